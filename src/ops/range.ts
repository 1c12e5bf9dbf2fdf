import { Tensor } from '../core/tensor.js';
import type { Node } from '../ir/graph.js';
import { checkSameDType } from './broadcast.js';
import { type OpDef, checkDType, nodeError, requireInputs } from './op.js';

/** The element count of Range: max(ceil((limit - start) / delta), 0), on exact bigints for int64. */
function rangeLength(node: Node, start: Tensor, limit: Tensor, delta: Tensor): number {
  if (delta.get(0) === 0) throw nodeError(node, 'delta is 0');
  if (start.dtype !== 'int64') return Math.max(Math.ceil((limit.get(0) - start.get(0)) / delta.get(0)), 0);
  const [s, l, d] = [start, limit, delta].map((t) => (t.data as BigInt64Array)[0]);
  const diff = l - s;
  // BigInt division truncates; round up where the quotient is positive and inexact.
  const q = diff / d + (diff % d !== 0n && (diff < 0n) === (d < 0n) ? 1n : 0n);
  return q > 0n ? Number(q) : 0;
}

/**
 * Range (opset 11): start, start + delta, ... up to but excluding limit, from three scalars of one dtype.
 * The length is known before running only when all three are.
 */
export const range: OpDef = {
  type: 'Range',
  infer(ctx) {
    const types = requireInputs(ctx, 3);
    checkDType(ctx.node, 'input start', types[0].dtype, ['float32', 'float16', 'int32', 'int64']);
    checkSameDType(ctx, types);
    ['start', 'limit', 'delta'].forEach((what, i) => {
      const s = types[i].shape;
      if (s !== undefined && s.length !== 0 && !(s.length === 1 && s[0] === 1)) throw nodeError(ctx.node, `input ${what} must be a scalar`);
    });
    const [start, limit, delta] = [0, 1, 2].map((i) => ctx.constant(i));
    if (start === undefined || limit === undefined || delta === undefined) return [{ dtype: types[0].dtype, shape: ['?'] }];
    return [{ dtype: types[0].dtype, shape: [rangeLength(ctx.node, start, limit, delta)] }];
  },
  reference(ctx, [start, , delta]) {
    const out = ctx.outputs[0];
    const n = out.shape[0];
    if (out.dtype === 'int64') {
      const [s, d] = [(start!.data as BigInt64Array)[0], (delta!.data as BigInt64Array)[0]];
      return [new Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => s + BigInt(i) * d), out.shape)];
    }
    const [s, d] = [start!.get(0), delta!.get(0)];
    return [Tensor.from(out.dtype, Array.from({ length: n }, (_, i) => s + i * d), out.shape)];
  },
};
