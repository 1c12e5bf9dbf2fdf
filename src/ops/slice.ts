import { type Dim, stridesOf } from '../core/shape.js';
import { type InferContext, type OpDef, nodeError, requireInputs } from './op.js';
import { indexMap, take } from './indexing.js';
import { concreteContext, intsOperand, normalizeAxes, operandLength } from './operands.js';

/** Ends at or beyond this mean "to the end" (exporters write INT64_MAX or INT32_MAX). */
const huge = 2 ** 31 - 1;

/** The first index and the length of a slice of a dim of size d, clamped as NumPy does. */
export function sliceRange(d: number, start: number, end: number, step: number): { first: number; length: number } {
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), d);
    e = Math.min(Math.max(e, 0), d);
    return { first: s, length: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = Math.min(Math.max(s, 0), d - 1);
  e = Math.min(Math.max(e, -1), d - 1);
  return { first: s, length: Math.max(0, Math.ceil((s - e) / -step)) };
}

/** The length of a slice of a symbolic dim: the dim itself for a whole-axis slice, else unknown. */
function symbolicLength(d: Dim, start: number, end: number, step: number): Dim {
  if (step === 1 && start === 0 && end >= huge) return d;
  if (step === -1 && start >= huge && end <= -huge) return d;
  return '?';
}

interface SliceSpec {
  readonly axes: number[];
  readonly starts: number[];
  readonly ends: number[];
  readonly steps: number[];
}

/**
 * starts/ends/axes/steps: attributes before opset 10 (no steps), inputs from 10. Where some are not known
 * before running, only `axes` (the axes that may change) is returned, undefined when even that is unknown.
 */
function sliceSpec(ctx: InferContext, shape: readonly Dim[]): SliceSpec | { axes: number[] | undefined } {
  const starts = intsOperand(ctx, 'starts', 1, 10);
  const ends = intsOperand(ctx, 'ends', 2, 10);
  const axesIn = intsOperand(ctx, 'axes', 3, 10);
  const steps = ctx.opset < 10 ? null : intsOperand(ctx, 'steps', 4, 10);
  if (starts === null || ends === null) throw nodeError(ctx.node, 'starts and ends are required', 'MODEL_INVALID');
  const count = (starts ?? ends)?.length ?? operandLength(ctx, 1);
  const listed = axesIn === null ? (count === undefined ? undefined : Array.from({ length: count }, (_, i) => i)) : axesIn;
  const axes = listed === undefined ? undefined : normalizeAxes(ctx, listed, shape.length, shape);
  if (starts === undefined || ends === undefined || steps === undefined || axes === undefined) return { axes };
  const stepList = steps ?? axes.map(() => 1);
  if (starts.length !== axes.length || ends.length !== axes.length || stepList.length !== axes.length) {
    throw nodeError(ctx.node, `starts, ends, axes and steps differ in length (${starts.length}, ${ends.length}, ${axes.length}, ${stepList.length})`);
  }
  if (stepList.includes(0)) throw nodeError(ctx.node, 'a step is 0');
  return { axes, starts, ends, steps: stepList };
}

/**
 * Slice: a strided window of the input, NumPy style: per listed axis, start (inclusive), end (exclusive),
 * step (negative walks backwards); out-of-range starts and ends clamp, so INT64_MAX means "to the end".
 */
export const slice: OpDef = {
  type: 'Slice',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    const shape = x.shape;
    if (shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
    const spec = sliceSpec(ctx, shape);
    if (!('starts' in spec)) {
      return [{ dtype: x.dtype, shape: shape.map((d, i) => (spec.axes === undefined || spec.axes.includes(i) ? '?' : d)) }];
    }
    const out: Dim[] = [...shape];
    spec.axes.forEach((a, k) => {
      const d = shape[a];
      const [start, end, step] = [spec.starts[k], spec.ends[k], spec.steps[k]];
      out[a] = typeof d === 'number' ? sliceRange(d, start, end, step).length : symbolicLength(d, start, end, step);
    });
    return [{ dtype: x.dtype, shape: out }];
  },
  reference(ctx, inputs) {
    const x = inputs[0]!;
    const spec = sliceSpec(concreteContext(ctx, inputs), x.shape) as SliceSpec;
    const first = new Array<number>(x.rank).fill(0);
    const step = new Array<number>(x.rank).fill(1);
    spec.axes.forEach((a, k) => {
      first[a] = sliceRange(x.shape[a], spec.starts[k], spec.ends[k], spec.steps[k]).first;
      step[a] = spec.steps[k];
    });
    const strides = stridesOf(x.shape);
    const outShape = ctx.outputs[0].shape;
    const index = indexMap(outShape, (c) => c.reduce((acc, i, a) => acc + (first[a] + i * step[a]) * strides[a], 0));
    return [take(x, index, outShape)];
  },
};
