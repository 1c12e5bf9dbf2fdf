import { Tensor } from '../core/tensor.js';
import type { ValueType } from '../ir/graph.js';
import { Attrs, type InferContext, type OpDef, checkDType, floatTypes, nodeError, requireInputs } from './op.js';

/**
 * Fails when the node asks for training-mode dropout that is not the identity: training_mode (an input
 * from opset 12) true with a ratio above 0. Random dropout is not inference, and joule refuses it.
 */
function randomDropout(ctx: InferContext): void {
  if (ctx.opset < 12) return;
  const training = ctx.constant(2);
  if (training === undefined || training.size === 0 || training.get(0) === 0) return;
  const ratio = ctx.inputs[1] === undefined ? 0.5 : ctx.constant(1)?.get(0);
  if (ratio === undefined || ratio === 0) return; // an unknown ratio is checked when the node runs
  throw nodeError(ctx.node, 'training_mode=true drops random elements; joule runs Dropout for inference only', 'UNSUPPORTED_OPS');
}

/**
 * Dropout at inference: the output is the input, and the optional mask output is all true (bool from
 * opset 10, the input's dtype filled with 1 before). The ratio is an attribute before opset 12, an input
 * from 12 together with training_mode.
 */
export const dropout: OpDef = {
  type: 'Dropout',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    checkDType(ctx.node, 'input data', x.dtype, floatTypes);
    const ratio = ctx.opset < 12 ? new Attrs(ctx.node).float('ratio', 0.5) : ctx.constant(1)?.get(0);
    if (ratio !== undefined && !(ratio >= 0 && ratio < 1)) throw nodeError(ctx.node, `ratio ${ratio} is not in [0, 1)`, 'MODEL_INVALID');
    randomDropout(ctx);
    const outputs: ValueType[] = [x];
    if (ctx.node.outputs.length > 1) outputs.push({ dtype: ctx.opset < 10 ? x.dtype : 'bool', shape: x.shape });
    return outputs;
  },
  reference(ctx, [x]) {
    const outputs = [x!];
    const mask = ctx.outputs[1];
    if (mask !== undefined) outputs.push(Tensor.from(mask.dtype, new Array<number>(x!.size).fill(1), mask.shape));
    return outputs;
  },
};
