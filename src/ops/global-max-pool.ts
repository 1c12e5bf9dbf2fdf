import { Tensor } from '../core/tensor.js';
import { type OpDef, floatTypes } from './op.js';
import { inferGlobalPool, planes } from './pool-common.js';

/** GlobalMaxPool: the largest element of every [N, C] plane over all spatial axes. */
export const globalMaxPool: OpDef = {
  type: 'GlobalMaxPool',
  infer(ctx) {
    return [inferGlobalPool(ctx, floatTypes)];
  },
  reference(ctx, [x]) {
    const { count, size } = planes(x!.shape);
    const v = x!.toFloat64();
    const y = new Float64Array(count);
    for (let p = 0; p < count; p++) {
      let best = size > 0 ? v[p * size] : NaN;
      for (let i = p * size + 1; i < (p + 1) * size; i++) if (v[i] > best) best = v[i];
      y[p] = best;
    }
    return [Tensor.from(ctx.outputs[0].dtype, y, ctx.outputs[0].shape)];
  },
};
