import { Tensor } from '../core/tensor.js';
import { Attrs, type OpDef, floatTypes, nodeError } from './op.js';
import { inferPool, planes, poolWindow } from './pool-common.js';
import { gatherTable } from './sliding-window.js';

/**
 * MaxPool: the largest element of each window, ignoring padding. The optional Indices output holds the
 * flat index of that element in X (the first one in window order on ties), with the spatial part of the
 * index row-major (storage_order 0) or column-major (storage_order 1).
 */
export const maxPool: OpDef = {
  type: 'MaxPool',
  infer(ctx) {
    const storageOrder = new Attrs(ctx.node).int('storage_order', 0);
    if (storageOrder !== 0 && storageOrder !== 1) {
      throw nodeError(ctx.node, `attribute 'storage_order' is ${storageOrder}; expected 0 (row-major) or 1 (column-major)`, 'MODEL_INVALID');
    }
    const y = inferPool(ctx, [...floatTypes, 'uint8']);
    return [y, { dtype: 'int64', shape: y.shape }];
  },
  reference(ctx, [x]) {
    const xt = x!;
    const w = poolWindow(ctx.node);
    const [yType, indicesType] = ctx.outputs;
    const table = gatherTable(w, xt.shape.slice(2), yType.shape.slice(2));
    const { count, size } = planes(xt.shape);
    const v = xt.toFloat64();
    const y = new Float64Array(count * table.outputPlane);
    const argmax = new Float64Array(count * table.outputPlane);
    for (let p = 0; p < count; p++) {
      const base = p * size;
      for (let o = 0; o < table.outputPlane; o++) {
        let best = -Infinity;
        let arg = -1;
        for (let r = table.begin[o]; r < table.begin[o + 1]; r++) {
          for (let q = 0, at = table.input[r]; q < table.length[r]; q++, at += table.step) {
            if (arg < 0 || v[base + at] > best) {
              best = v[base + at];
              arg = at;
            }
          }
        }
        y[p * table.outputPlane + o] = best;
        argmax[p * table.outputPlane + o] = arg;
      }
    }
    const out = [Tensor.from(yType.dtype, y, yType.shape)];
    if (ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '') {
      const columnMajor = new Attrs(ctx.node).int('storage_order', 0) === 1;
      const spatial = xt.shape.slice(2);
      for (let i = 0; i < argmax.length; i++) {
        const plane = Math.floor(i / table.outputPlane);
        const offset = columnMajor ? toColumnMajor(argmax[i], spatial) : argmax[i];
        argmax[i] = plane * size + offset;
      }
      out.push(Tensor.from(indicesType.dtype, argmax, indicesType.shape));
    }
    return out;
  },
};

/** Re-expresses a row-major offset within `sizes` as a column-major one. */
function toColumnMajor(rowMajor: number, sizes: readonly number[]): number {
  let rest = rowMajor;
  let offset = 0;
  let stride = 1;
  const coord = new Array<number>(sizes.length);
  for (let i = sizes.length - 1; i >= 0; i--) {
    coord[i] = rest % sizes[i];
    rest = Math.floor(rest / sizes[i]);
  }
  for (let i = 0; i < sizes.length; i++) {
    offset += coord[i] * stride;
    stride *= sizes[i];
  }
  return offset;
}
