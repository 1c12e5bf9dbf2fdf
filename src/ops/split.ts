import { type Dim, dimQuotient, formatShape, normalizeAxis, stridesOf } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { indexMap, take } from './indexing.js';
import { Attrs, type InferContext, type OpDef, nodeError, requireInputs } from './op.js';
import { concreteContext, intsOperand } from './operands.js';

/**
 * The sizes of the parts along the split axis of size `dim`; '?' where not known before running. `split`
 * is an attribute before opset 13 and an input from 13; without it, opset 18's num_outputs cuts parts of
 * ceil(dim / n) with a smaller last one, and otherwise the outputs split the axis evenly.
 */
function partSizes(ctx: InferContext, dim: Dim): Dim[] {
  const count = ctx.node.outputs.length;
  const shape = formatShape(ctx.inputs[0]?.shape);
  if (ctx.opset >= 13 && new Attrs(ctx.node).has('split')) throw nodeError(ctx.node, 'from opset 13 split is an input, not an attribute', 'MODEL_INVALID');
  const split = intsOperand(ctx, 'split', 1, 13);
  if (split === undefined) return new Array<Dim>(count).fill('?');
  if (split !== null) {
    if (split.length !== count) throw nodeError(ctx.node, `split [${split.join(', ')}] lists ${split.length} parts for ${count} outputs`);
    if (split.some((s) => s < 0)) throw nodeError(ctx.node, `split [${split.join(', ')}] has a negative part`);
    const sum = split.reduce((a, b) => a + b, 0);
    if (typeof dim === 'number' && sum !== dim) {
      throw nodeError(ctx.node, `split [${split.join(', ')}] adds up to ${sum}, but the axis has ${dim} (input shape ${shape})`);
    }
    return split;
  }
  const attrs = new Attrs(ctx.node);
  const numOutputs = ctx.opset >= 18 ? attrs.int('num_outputs') : undefined;
  if (numOutputs !== undefined) {
    if (numOutputs !== count) throw nodeError(ctx.node, `num_outputs is ${numOutputs} but the node has ${count} outputs`, 'MODEL_INVALID');
    if (typeof dim !== 'number') return count === 1 ? [dim] : new Array<Dim>(count).fill('?');
    const chunk = Math.ceil(dim / count);
    if (chunk * (count - 1) >= dim && dim > 0) {
      throw nodeError(ctx.node, `an axis of ${dim} cannot be cut into ${count} parts of ${chunk} (input shape ${shape})`);
    }
    return Array.from({ length: count }, (_, i) => (i < count - 1 ? chunk : dim - chunk * (count - 1)));
  }
  if (typeof dim === 'number' && dim % count !== 0) {
    throw nodeError(ctx.node, `an axis of ${dim} does not split evenly into ${count} outputs (input shape ${shape})`);
  }
  return new Array<Dim>(count).fill(dimQuotient(dim, count));
}

function splitAxis(ctx: InferContext, rank: number): number {
  return normalizeAxis(new Attrs(ctx.node).int('axis', 0), rank, `${ctx.node.op} node '${ctx.node.name}'`);
}

/** Split: cuts the input along `axis` (default 0) into one part per output. */
export const split: OpDef = {
  type: 'Split',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    const count = ctx.node.outputs.length;
    if (x.shape === undefined) return new Array(count).fill({ dtype: x.dtype, shape: undefined });
    if (x.shape.length === 0) throw nodeError(ctx.node, 'cannot split a scalar');
    const axis = splitAxis(ctx, x.shape.length);
    return partSizes(ctx, x.shape[axis]).map((size) => ({ dtype: x.dtype, shape: x.shape!.map((d, i) => (i === axis ? size : d)) }));
  },
  reference(ctx, inputs) {
    const x = inputs[0]!;
    const axis = splitAxis(concreteContext(ctx, inputs), x.rank);
    const strides = stridesOf(x.shape);
    let offset = 0;
    return ctx.outputs.map((out): Tensor => {
      const start = offset;
      offset += out.shape[axis];
      const index = indexMap(out.shape, (c) => c.reduce((acc, v, a) => acc + (a === axis ? v + start : v) * strides[a], 0));
      return take(x, index, out.shape);
    });
  },
};
