import { Tensor } from '../core/tensor.js';
import { checkDType, floatTypes, requireInputs, type OpDef } from './op.js';

/** Relu: y = max(x, 0). */
export const relu: OpDef = {
  type: 'Relu',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    checkDType(ctx.node, 'input X', x.dtype, [...floatTypes, 'int32', 'int64']);
    return [x];
  },
  reference(ctx, [x]) {
    const v = x!.toFloat64();
    for (let i = 0; i < v.length; i++) v[i] = v[i] > 0 ? v[i] : 0;
    return [Tensor.from(ctx.outputs[0].dtype, v, ctx.outputs[0].shape)];
  },
};
