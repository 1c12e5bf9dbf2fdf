import { checkSameDType, checkUnidirectional, mapBigInts, mapNumbers } from './broadcast.js';
import { type OpDef, checkDType, requireInputs } from './op.js';

/**
 * PRelu: y = x for x >= 0, slope * x below. The slope broadcasts to X in one direction (opset 7+; PyTorch
 * exports a per-channel slope as [C, 1, 1]); integer inputs from opset 9.
 */
export const prelu: OpDef = {
  type: 'PRelu',
  infer(ctx) {
    const [x, slope] = requireInputs(ctx, 2);
    checkDType(ctx.node, 'input X', x.dtype, ['float32', 'float16', 'int32', 'int64']);
    checkSameDType(ctx, [x, slope]);
    checkUnidirectional(ctx, 'slope', slope, x);
    return [x];
  },
  reference(ctx, [x, slope]) {
    const out = ctx.outputs[0];
    if (x!.dtype === 'int64') return [mapBigInts([x!, slope!], out, ([v, s]) => (v < 0n ? v * s : v))];
    return [mapNumbers([x!, slope!], out, ([v, s]) => (v < 0 ? v * s : v))];
  },
};
