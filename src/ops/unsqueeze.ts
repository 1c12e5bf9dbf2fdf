import type { Dim } from '../core/shape.js';
import { type OpDef, nodeError, requireInputs } from './op.js';
import { intsOperand, normalizeAxes, operandLength } from './operands.js';

/**
 * Unsqueeze: inserts dims of size 1 at `axes`, positions in the output (an attribute before opset 13,
 * an input from 13; negative from opset 11).
 */
export const unsqueeze: OpDef = {
  type: 'Unsqueeze',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    const axes = intsOperand(ctx, 'axes', 1, 13);
    if (axes === null) throw nodeError(ctx.node, 'axes are required', 'MODEL_INVALID');
    const shape = x.shape;
    if (shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
    if (axes === undefined) {
      const n = operandLength(ctx, 1);
      return [{ dtype: x.dtype, shape: n === undefined ? undefined : new Array<Dim>(shape.length + n).fill('?') }];
    }
    const rank = shape.length + axes.length;
    const insert = normalizeAxes(ctx, axes, rank, shape);
    const out: Dim[] = [];
    let next = 0;
    for (let i = 0; i < rank; i++) out.push(insert.includes(i) ? 1 : shape[next++]);
    return [{ dtype: x.dtype, shape: out }];
  },
  reference(ctx, [x]) {
    return [x!.reshape(ctx.outputs[0].shape)];
  },
};
