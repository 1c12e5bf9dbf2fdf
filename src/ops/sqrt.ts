import { mapNumbers } from './broadcast.js';
import { type OpDef, checkDType, floatTypes, requireInputs } from './op.js';

/** Sqrt: y = √x elementwise (NaN for negative x). */
export const sqrt: OpDef = {
  type: 'Sqrt',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    checkDType(ctx.node, 'input X', x.dtype, floatTypes);
    return [x];
  },
  reference(ctx, [x]) {
    return [mapNumbers([x!], ctx.outputs[0], ([v]) => Math.sqrt(v))];
  },
};
