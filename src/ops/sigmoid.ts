import { mapNumbers } from './broadcast.js';
import { type OpDef, checkDType, floatTypes, requireInputs } from './op.js';

/** Sigmoid: y = 1 / (1 + e^-x), evaluated so that neither tail overflows. */
export const sigmoid: OpDef = {
  type: 'Sigmoid',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    checkDType(ctx.node, 'input X', x.dtype, floatTypes);
    return [x];
  },
  reference(ctx, [x]) {
    return [mapNumbers([x!], ctx.outputs[0], ([v]) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))))];
  },
};
