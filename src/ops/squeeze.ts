import { type Dim, formatShape } from '../core/shape.js';
import { type OpDef, nodeError, requireInputs } from './op.js';
import { intsOperand, normalizeAxes, operandLength } from './operands.js';

/**
 * Squeeze: removes dims of size 1, those listed in axes (an attribute before opset 13, an input from 13)
 * or, without axes, every dim of size 1 (unknowable for symbolic dims, so the shape is then unknown).
 */
export const squeeze: OpDef = {
  type: 'Squeeze',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    const axes = intsOperand(ctx, 'axes', 1, 13);
    const shape = x.shape;
    if (shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
    if (axes === undefined) {
      const n = operandLength(ctx, 1);
      return [{ dtype: x.dtype, shape: n === undefined ? undefined : new Array<Dim>(shape.length - n).fill('?') }];
    }
    if (axes === null) {
      if (!shape.every((d) => typeof d === 'number')) return [{ dtype: x.dtype, shape: undefined }];
      return [{ dtype: x.dtype, shape: shape.filter((d) => d !== 1) }];
    }
    const drop = normalizeAxes(ctx, axes, shape.length, shape);
    for (const a of drop) {
      if (typeof shape[a] === 'number' && shape[a] !== 1) {
        throw nodeError(ctx.node, `cannot squeeze axis ${a} of size ${shape[a]} (input shape ${formatShape(shape)})`);
      }
    }
    return [{ dtype: x.dtype, shape: shape.filter((_, i) => !drop.includes(i)) }];
  },
  reference(ctx, [x]) {
    return [x!.reshape(ctx.outputs[0].shape)];
  },
};
