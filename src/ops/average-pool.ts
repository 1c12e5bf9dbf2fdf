import { Tensor } from '../core/tensor.js';
import { Attrs, type OpDef, floatTypes } from './op.js';
import { inferPool, planes, poolWindow } from './pool-common.js';
import { gatherTable } from './sliding-window.js';

/**
 * AveragePool: the mean of each window. With count_include_pad the divisor counts the taps that fall in
 * the input or its padding; a ceil-mode window that runs past the end padding never counts the overhang.
 */
export const averagePool: OpDef = {
  type: 'AveragePool',
  infer(ctx) {
    return [inferPool(ctx, floatTypes)];
  },
  reference(ctx, [x]) {
    const xt = x!;
    const w = poolWindow(ctx.node);
    const includePad = new Attrs(ctx.node).int('count_include_pad', 0) !== 0;
    const out = ctx.outputs[0];
    const table = gatherTable(w, xt.shape.slice(2), out.shape.slice(2));
    const { count, size } = planes(xt.shape);
    const v = xt.toFloat64();
    const y = new Float64Array(count * table.outputPlane);
    for (let p = 0; p < count; p++) {
      const base = p * size;
      for (let o = 0; o < table.outputPlane; o++) {
        let sum = 0;
        let taps = 0;
        for (let r = table.begin[o]; r < table.begin[o + 1]; r++) {
          for (let q = 0, at = table.input[r]; q < table.length[r]; q++, at += table.step) sum += v[base + at];
          taps += table.length[r];
        }
        const divisor = includePad ? table.padded[o] : taps;
        y[p * table.outputPlane + o] = sum / divisor;
      }
    }
    return [Tensor.from(out.dtype, y, out.shape)];
  },
};
