import { mapNumbers } from './broadcast.js';
import { type OpDef, checkDType, floatTypes, requireInputs } from './op.js';

/** Tanh: the hyperbolic tangent, elementwise. */
export const tanh: OpDef = {
  type: 'Tanh',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    checkDType(ctx.node, 'input X', x.dtype, floatTypes);
    return [x];
  },
  reference(ctx, [x]) {
    return [mapNumbers([x!], ctx.outputs[0], ([v]) => Math.tanh(v))];
  },
};
