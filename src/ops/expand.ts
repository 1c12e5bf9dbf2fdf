import { type Dim, broadcastShapes } from '../core/shape.js';
import { broadcastIndex } from './broadcast.js';
import { intValues, take } from './indexing.js';
import { type OpDef, checkDType, checkRank, nodeError, requireInputs } from './op.js';
import { operandLength } from './operands.js';

/**
 * Expand (opset 8+): broadcasts the input against the int64 `shape` input, NumPy style in both
 * directions, so a 1 in `shape` keeps the input's dim.
 */
export const expand: OpDef = {
  type: 'Expand',
  infer(ctx) {
    const [x, s] = requireInputs(ctx, 2);
    checkDType(ctx.node, 'input shape', s.dtype, ['int64']);
    checkRank(ctx.node, 'input shape', s.shape, 1);
    const target = ctx.constant(1);
    if (x.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
    if (target === undefined) {
      // A dim of the input other than 1 survives any broadcast; the rest is unknown.
      const n = operandLength(ctx, 1);
      if (n === undefined) return [{ dtype: x.dtype, shape: undefined }];
      const rank = Math.max(n, x.shape.length);
      const shape: Dim[] = Array.from({ length: rank }, (_, i) => {
        const d = x.shape![i - (rank - x.shape!.length)];
        return d === undefined || d === 1 ? '?' : d;
      });
      return [{ dtype: x.dtype, shape }];
    }
    const dims = intValues(target);
    if (dims.some((d) => d < 0)) throw nodeError(ctx.node, `shape [${dims.join(', ')}] has a negative dim`);
    return [{ dtype: x.dtype, shape: broadcastShapes([x.shape, dims], `${ctx.node.op} node '${ctx.node.name}'`) }];
  },
  reference(ctx, [x]) {
    const { shape } = ctx.outputs[0];
    return [take(x!, broadcastIndex(x!.shape, shape), shape)];
  },
};
