import { Tensor } from '../core/tensor.js';
import { type OpDef, floatTypes } from './op.js';
import { inferGlobalPool, planes } from './pool-common.js';

/** GlobalAveragePool: the mean of every [N, C] plane over all spatial axes. */
export const globalAveragePool: OpDef = {
  type: 'GlobalAveragePool',
  infer(ctx) {
    return [inferGlobalPool(ctx, floatTypes)];
  },
  reference(ctx, [x]) {
    const { count, size } = planes(x!.shape);
    const v = x!.toFloat64();
    const y = new Float64Array(count);
    for (let p = 0; p < count; p++) {
      let sum = 0;
      for (let i = p * size; i < (p + 1) * size; i++) sum += v[i];
      y[p] = sum / size;
    }
    return [Tensor.from(ctx.outputs[0].dtype, y, ctx.outputs[0].shape)];
  },
};
