import { checkSameDType, inferBroadcastShape, mapBigInts, mapNumbers, needsBigInts } from './broadcast.js';
import { type OpDef, checkDType, numericTypes } from './op.js';
import { variadicInputs } from './operands.js';

/** Sum: the elementwise sum of one or more inputs, with NumPy broadcasting (opset 8+; a superset of 6). */
export const sum: OpDef = {
  type: 'Sum',
  infer(ctx) {
    const types = variadicInputs(ctx);
    checkDType(ctx.node, 'input 0', types[0].dtype, numericTypes);
    checkSameDType(ctx, types);
    return [{ dtype: types[0].dtype, shape: inferBroadcastShape(ctx, types) }];
  },
  reference(ctx, inputs) {
    const xs = inputs.map((t) => t!);
    const out = ctx.outputs[0];
    if (needsBigInts(xs)) return [mapBigInts(xs, out, (vs) => vs.reduce((a, b) => a + b, 0n))];
    return [mapNumbers(xs, out, (vs) => vs.reduce((a, b) => a + b, 0))];
  },
};
