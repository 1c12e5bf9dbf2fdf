import { mapNumbers } from './broadcast.js';
import { Attrs, type OpDef, checkDType, floatTypes, requireInputs } from './op.js';

/** LeakyRelu: y = x for x >= 0, alpha * x below (alpha defaults to 0.01). */
export const leakyRelu: OpDef = {
  type: 'LeakyRelu',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    checkDType(ctx.node, 'input X', x.dtype, floatTypes);
    return [x];
  },
  reference(ctx, [x]) {
    const alpha = new Attrs(ctx.node).float('alpha', 0.01);
    return [mapNumbers([x!], ctx.outputs[0], ([v]) => (v < 0 ? alpha * v : v))];
  },
};
