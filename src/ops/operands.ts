import { type Shape, formatShape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import type { ValueType } from '../ir/graph.js';
import { Attrs, type InferContext, type KernelContext, checkDType, nodeError } from './op.js';
import { intValues } from './indexing.js';

/**
 * Integers an op takes as attribute `name` before opset `since` and as input `index` from then on (axes,
 * pads, starts...): null when absent, undefined when an input whose value is not known before running.
 */
export function intsOperand(ctx: InferContext, name: string, index: number, since: number): number[] | null | undefined {
  if (ctx.opset < since) {
    const v = new Attrs(ctx.node).ints(name);
    return v === undefined ? null : [...v];
  }
  const t = ctx.inputs[index];
  if (t === undefined) return null;
  checkDType(ctx.node, `input '${name}'`, t.dtype, ['int64', 'int32']);
  const value = ctx.constant(index);
  return value === undefined ? undefined : intValues(value);
}

/** The length of a 1-D input from its static shape, when known. */
export function operandLength(ctx: InferContext, index: number): number | undefined {
  const n = ctx.inputs[index]?.shape?.[0];
  return typeof n === 'number' ? n : undefined;
}

/** Axes mapped into [0, rank) (negative counting from the end), failing on out-of-range or repeated axes. */
export function normalizeAxes(ctx: InferContext, axes: readonly number[], rank: number, shape: Shape | undefined): number[] {
  const out = axes.map((a) => {
    const n = a < 0 ? a + rank : a;
    if (!Number.isInteger(n) || n < 0 || n >= rank) {
      throw nodeError(ctx.node, `axis ${a} is out of range for rank ${rank} (input shape ${formatShape(shape)})`);
    }
    return n;
  });
  if (new Set(out).size !== out.length) throw nodeError(ctx.node, `axes [${axes.join(', ')}] repeat an axis`);
  return out;
}

/**
 * The InferContext of a node whose inputs are all known: kernels read their operands (axes, pads,
 * starts...) through the same code as inference does.
 */
export function concreteContext(ctx: KernelContext, inputs: readonly (Tensor | undefined)[]): InferContext {
  return {
    node: ctx.node,
    opset: ctx.opset,
    inputs: inputs.map((t) => (t === undefined ? undefined : { dtype: t.dtype, shape: t.shape })),
    constant: (i) => inputs[i],
    inferSubgraph: () => {
      throw nodeError(ctx.node, 'subgraphs are not inferred by kernels', 'INTERNAL');
    },
  };
}

/** The types of a variadic op's inputs (Sum, Concat): at least one, none omitted. */
export function variadicInputs(ctx: InferContext): ValueType[] {
  if (ctx.inputs.length === 0) throw nodeError(ctx.node, 'needs at least one input', 'MODEL_INVALID');
  return ctx.inputs.map((t, i) => {
    if (t === undefined) throw nodeError(ctx.node, `input ${i} is required`, 'MODEL_INVALID');
    return t;
  });
}
