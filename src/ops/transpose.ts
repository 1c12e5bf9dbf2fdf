import { type Dim, formatShape, stridesOf } from '../core/shape.js';
import type { Node } from '../ir/graph.js';
import { Attrs, type OpDef, nodeError, requireInputs } from './op.js';
import { indexMap, take } from './indexing.js';

/** The perm attribute, or the reversed axes by default; fails unless it permutes the input's axes. */
function permutation(node: Node, shape: readonly Dim[]): number[] {
  const rank = shape.length;
  const perm = new Attrs(node).ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)) {
    throw nodeError(node, `perm [${perm.join(', ')}] is not a permutation of the axes of input shape ${formatShape(shape)}`);
  }
  return [...perm];
}

/** Transpose: output axis i is input axis perm[i]; perm defaults to reversing the axes. */
export const transpose: OpDef = {
  type: 'Transpose',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    if (x.shape === undefined) {
      const n = new Attrs(ctx.node).ints('perm')?.length;
      return [{ dtype: x.dtype, shape: n === undefined ? undefined : new Array<Dim>(n).fill('?') }];
    }
    const shape = x.shape;
    return [{ dtype: x.dtype, shape: permutation(ctx.node, shape).map((p) => shape[p]) }];
  },
  reference(ctx, [x]) {
    const perm = permutation(ctx.node, x!.shape);
    const strides = stridesOf(x!.shape);
    const outShape = ctx.outputs[0].shape;
    const index = indexMap(outShape, (c) => perm.reduce((acc, p, i) => acc + c[i] * strides[p], 0));
    return [take(x!, index, outShape)];
  },
};
