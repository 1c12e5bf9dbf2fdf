import type { Dim } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import type { Node } from '../ir/graph.js';
import { Attrs, type OpDef, checkDType, checkRank, nodeError, requireInputs } from './op.js';
import { indexMap, intValues, take } from './indexing.js';
import { operandLength } from './operands.js';

/** The fill value: the one-element `value` attribute, float32 0 by default. */
function fillValue(node: Node): Tensor {
  const value = new Attrs(node).tensor('value') ?? Tensor.scalar('float32', 0);
  if (value.size !== 1) throw nodeError(node, `attribute 'value' must hold one element, got ${value.size}`, 'MODEL_INVALID');
  return value;
}

/** ConstantOfShape: a tensor of the shape given by its int64 input, every element the `value` attribute. */
export const constantOfShape: OpDef = {
  type: 'ConstantOfShape',
  infer(ctx) {
    const [s] = requireInputs(ctx, 1);
    checkDType(ctx.node, 'input', s.dtype, ['int64']);
    checkRank(ctx.node, 'input', s.shape, 1);
    const { dtype } = fillValue(ctx.node);
    const dims = ctx.constant(0);
    if (dims === undefined) {
      const n = operandLength(ctx, 0);
      return [{ dtype, shape: n === undefined ? undefined : new Array<Dim>(n).fill('?') }];
    }
    const shape = intValues(dims);
    if (shape.some((d) => d < 0)) throw nodeError(ctx.node, `shape [${shape.join(', ')}] has a negative dim`);
    return [{ dtype, shape }];
  },
  reference(ctx) {
    const { shape } = ctx.outputs[0];
    const value = fillValue(ctx.node);
    return [take(value, indexMap(shape, () => -1), shape, value)];
  },
};
