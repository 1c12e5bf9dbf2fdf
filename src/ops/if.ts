import { formatShape, type Dim } from '../core/shape.js';
import type { ValueType } from '../ir/graph.js';
import { Attrs, type OpDef, checkDType, describeType, nodeError, requireInputs } from './op.js';

/** One type for an output both branches may produce: same dtype; dims that differ become '?', ranks that differ an unknown shape. */
function mergeTypes(a: ValueType, b: ValueType, fail: () => Error): ValueType {
  if (a.dtype !== b.dtype) throw fail();
  if (a.shape === undefined || b.shape === undefined || a.shape.length !== b.shape.length) return { dtype: a.dtype, shape: undefined };
  const bs = b.shape;
  return { dtype: a.dtype, shape: a.shape.map((d, i): Dim => (d === bs[i] ? d : '?')) };
}

/**
 * If: runs then_branch or else_branch by a one-element bool `cond`. The branches are subgraphs with no
 * inputs that read values of the enclosing graph. With cond unknown before running, the output types
 * are those both branches agree on.
 */
export const ifOp: OpDef = {
  type: 'If',
  infer(ctx) {
    const [cond] = requireInputs(ctx, 1);
    checkDType(ctx.node, 'input cond', cond.dtype, ['bool']);
    const attrs = new Attrs(ctx.node);
    const known = ctx.constant(0);
    if (known !== undefined) {
      if (known.size !== 1) throw nodeError(ctx.node, `cond must hold one element, got shape ${formatShape(known.shape)}`);
      return [...ctx.inferSubgraph(attrs.graph(known.get(0) ? 'then_branch' : 'else_branch'))];
    }
    const thenTypes = ctx.inferSubgraph(attrs.graph('then_branch'));
    const elseTypes = ctx.inferSubgraph(attrs.graph('else_branch'));
    const disagree = () =>
      nodeError(
        ctx.node,
        `then_branch gives ${thenTypes.map(describeType).join(', ')} but else_branch gives ${elseTypes.map(describeType).join(', ')}`,
        'MODEL_INVALID',
      );
    if (thenTypes.length !== elseTypes.length) throw disagree();
    return thenTypes.map((t, i) => mergeTypes(t, elseTypes[i], disagree));
  },
  reference(ctx, [cond]) {
    return ctx.runSubgraph(new Attrs(ctx.node).graph(cond!.get(0) ? 'then_branch' : 'else_branch'));
  },
};
