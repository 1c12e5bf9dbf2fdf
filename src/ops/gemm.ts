import { type Dim, formatShape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { broadcastIndex } from './broadcast.js';
import { matmulInto, matrixData } from './mat-mul.js';
import { Attrs, type OpDef, checkDType, checkRank, describeType, floatTypes, nodeError, requireInputs } from './op.js';

/**
 * Gemm: Y = alpha * A' * B' + beta * C, where A' is A [M, K] (or its transpose with transA) and B' is
 * B [K, N] (or its transpose with transB). C broadcasts to [M, N]; it is optional from opset 11.
 */
export const gemm: OpDef = {
  type: 'Gemm',
  infer(ctx) {
    const { node } = ctx;
    const [a, b] = requireInputs(ctx, 2);
    const c = ctx.inputs[2];
    if (c === undefined && ctx.opset < 11) throw nodeError(node, 'input C is required before opset 11', 'MODEL_INVALID');
    checkDType(node, 'input A', a.dtype, floatTypes);
    for (const [what, t] of [['B', b], ['C', c]] as const) {
      if (t !== undefined && t.dtype !== a.dtype) throw nodeError(node, `input ${what} is ${describeType(t)} but A is ${describeType(a)}`, 'UNSUPPORTED_DTYPE');
    }
    checkRank(node, 'input A', a.shape, 2);
    checkRank(node, 'input B', b.shape, 2);
    if (a.shape === undefined || b.shape === undefined) return [{ dtype: a.dtype, shape: undefined }];
    const attrs = new Attrs(node);
    const [m, ka] = attrs.int('transA', 0) ? [a.shape[1], a.shape[0]] : a.shape;
    const [kb, n] = attrs.int('transB', 0) ? [b.shape[1], b.shape[0]] : b.shape;
    const shapes = `A ${formatShape(a.shape)}, B ${formatShape(b.shape)}`;
    if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) throw nodeError(node, `inner dimensions differ (${ka} and ${kb}) in ${shapes}`);
    const shape: Dim[] = [m, n];
    if (c?.shape !== undefined) {
      const cs = c.shape;
      const fits = cs.length <= 2 && cs.every((d, i) => {
        const target = shape[2 - cs.length + i];
        return d === 1 || typeof d !== 'number' || typeof target !== 'number' || d === target;
      });
      if (!fits) throw nodeError(node, `C ${formatShape(cs)} does not broadcast to the result ${formatShape(shape)} (${shapes})`);
    }
    return [{ dtype: a.dtype, shape }];
  },
  reference(ctx, [a, b, c]) {
    const attrs = new Attrs(ctx.node);
    const alpha = attrs.float('alpha', 1);
    const beta = attrs.float('beta', 1);
    const out = ctx.outputs[0];
    const [m, n] = out.shape;
    const transA = attrs.int('transA', 0) !== 0;
    const transB = attrs.int('transB', 0) !== 0;
    const k = transA ? a!.shape[0] : a!.shape[1];
    const aView = { data: matrixData(a!), offset: 0, rowStride: transA ? 1 : k, colStride: transA ? m : 1 };
    const bView = { data: matrixData(b!), offset: 0, rowStride: transB ? 1 : n, colStride: transB ? k : 1 };
    const y = new Float64Array(m * n);
    matmulInto(aView, bView, m, k, n, y, 0);
    const cIndex = c === undefined ? undefined : broadcastIndex(c.shape, out.shape);
    const cv = c?.toFloat64();
    for (let i = 0; i < y.length; i++) y[i] = alpha * y[i] + (cv === undefined ? 0 : beta * cv[cIndex![i]]);
    return [Tensor.from(out.dtype, y, out.shape)];
  },
  macs(node, inputs, outputs) {
    const a = inputs[0];
    if (a === undefined) return 0;
    const k = new Attrs(node).int('transA', 0) ? a[0] : a[1];
    return outputs[0][0] * outputs[0][1] * k;
  },
};
