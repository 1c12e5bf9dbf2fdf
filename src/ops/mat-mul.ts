import { broadcastShapes, formatShape, shapeSize, type Dim } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { broadcastIndex } from './broadcast.js';
import { type OpDef, checkDType, describeType, floatTypes, nodeError, requireInputs } from './op.js';

/** A 2-D matrix inside a flat array: element (r, c) is at offset + r * rowStride + c * colStride. */
export interface MatrixView {
  readonly data: Float32Array | Float64Array;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/**
 * out[outOffset + i * n + j] = sum over p < k of a(i, p) * b(p, j), accumulated in float64 in the order
 * p = 0, 1, ... The loop order follows B's layout so that the inner loop walks memory contiguously.
 */
export function matmulInto(a: MatrixView, b: MatrixView, m: number, k: number, n: number, out: Float64Array, outOffset: number): void {
  if (b.colStride === 1 && n > 1) {
    // i-p-j: rows of B are contiguous, so accumulate a whole output row at once.
    for (let i = 0; i < m; i++) {
      const row = outOffset + i * n;
      out.fill(0, row, row + n);
      for (let p = 0; p < k; p++) {
        const aip = a.data[a.offset + i * a.rowStride + p * a.colStride];
        const bRow = b.offset + p * b.rowStride;
        for (let j = 0; j < n; j++) out[row + j] += aip * b.data[bRow + j];
      }
    }
    return;
  }
  // i-j-p: dot products, contiguous when B is stored transposed (or is a single column).
  for (let i = 0; i < m; i++) {
    const aRow = a.offset + i * a.rowStride;
    for (let j = 0; j < n; j++) {
      const bCol = b.offset + j * b.colStride;
      let acc = 0;
      for (let p = 0; p < k; p++) acc += a.data[aRow + p * a.colStride] * b.data[bCol + p * b.rowStride];
      out[outOffset + i * n + j] = acc;
    }
  }
}

/** Float inputs read as float32 without a copy; integers widened to float64 so they stay exact. */
export function matrixData(t: Tensor): Float32Array | Float64Array {
  return t.dtype === 'float32' || t.dtype === 'float16' ? t.toFloat32() : t.toFloat64();
}

/**
 * MatMul with NumPy semantics: a 1-D A is a row [1, K] and a 1-D B a column [K, 1] (the added axis is
 * dropped from the result); leading batch axes broadcast.
 */
export const matMul: OpDef = {
  type: 'MatMul',
  infer(ctx) {
    const [a, b] = requireInputs(ctx, 2);
    checkDType(ctx.node, 'input A', a.dtype, [...floatTypes, 'int32', 'int64']);
    if (b.dtype !== a.dtype) throw nodeError(ctx.node, `input B is ${describeType(b)} but A is ${describeType(a)}`, 'UNSUPPORTED_DTYPE');
    if (a.shape === undefined || b.shape === undefined) return [{ dtype: a.dtype, shape: undefined }];
    const shapes = `A ${formatShape(a.shape)} and B ${formatShape(b.shape)}`;
    if (a.shape.length === 0 || b.shape.length === 0) throw nodeError(ctx.node, `scalars cannot be multiplied as matrices: ${shapes}`);
    const ka = a.shape[a.shape.length - 1];
    const kb = b.shape.length === 1 ? b.shape[0] : b.shape[b.shape.length - 2];
    if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) {
      throw nodeError(ctx.node, `inner dimensions differ (${ka} and ${kb}) in ${shapes}`);
    }
    const batch = broadcastShapes([a.shape.slice(0, -2), b.shape.slice(0, -2)], `${ctx.node.op} node '${ctx.node.name}'`);
    const rows: Dim[] = a.shape.length >= 2 ? [a.shape[a.shape.length - 2]] : [];
    const cols: Dim[] = b.shape.length >= 2 ? [b.shape[b.shape.length - 1]] : [];
    return [{ dtype: a.dtype, shape: [...batch, ...rows, ...cols] }];
  },
  reference(ctx, [a, b]) {
    const at = a!;
    const bt = b!;
    const out = ctx.outputs[0];
    const k = at.shape[at.shape.length - 1];
    const m = at.rank >= 2 ? at.shape[at.rank - 2] : 1;
    const n = bt.rank >= 2 ? bt.shape[bt.rank - 1] : 1;
    const batchShape = out.shape.slice(0, out.shape.length - (at.rank >= 2 ? 1 : 0) - (bt.rank >= 2 ? 1 : 0));
    const aBatch = broadcastIndex(at.shape.slice(0, -2), batchShape);
    const bBatch = broadcastIndex(bt.shape.slice(0, -2), batchShape);
    const aData = matrixData(at);
    const bData = matrixData(bt);
    const y = new Float64Array(shapeSize(out.shape));
    for (let i = 0; i < aBatch.length; i++) {
      const aView = { data: aData, offset: aBatch[i] * m * k, rowStride: k, colStride: 1 };
      const bView = { data: bData, offset: bBatch[i] * k * n, rowStride: n, colStride: 1 };
      matmulInto(aView, bView, m, k, n, y, i * m * n);
    }
    return [Tensor.from(out.dtype, y, out.shape)];
  },
  macs(_node, inputs, outputs) {
    const k = inputs[0]?.[inputs[0].length - 1] ?? 0;
    return shapeSize(outputs[0]) * k;
  },
};
