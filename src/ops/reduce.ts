import { type Dim, normalizeAxis, shapeSize, stridesOf } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { Attrs, type InferContext, type OpDef, checkDType, nodeError, numericTypes, requireInputs } from './op.js';
import { concreteContext, intsOperand, normalizeAxes, operandLength } from './operands.js';

/**
 * For each element of a tensor of `shape` (row-major), the flat index of the element of the reduced
 * output it falls into: the reduced axes collapse to one position. Elements of one output come in
 * increasing order along the reduced axes.
 */
export function reductionIndex(shape: readonly number[], axes: readonly number[]): Int32Array {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(kept).map((s, i) => (axes.includes(i) ? 0 : s));
  const index = new Int32Array(shapeSize(shape));
  const coord = new Array<number>(shape.length).fill(0);
  let flat = 0;
  for (let i = 0; i < index.length; i++) {
    index[i] = flat;
    for (let a = shape.length - 1; a >= 0; a--) {
      coord[a]++;
      flat += keptStrides[a];
      if (coord[a] < shape[a]) break;
      flat -= keptStrides[a] * coord[a];
      coord[a] = 0;
    }
  }
  return index;
}

/** The shape left after reducing `axes`: those dims become 1 (keepdims) or disappear. */
function reducedShape(shape: readonly Dim[], axes: readonly number[], keepDims: boolean): Dim[] {
  if (keepDims) return shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return shape.filter((_, i) => !axes.includes(i));
}

/** Groups the elements of `values` (laid out as `shape`) by the output element they reduce into. */
function groupsOf<T>(values: ArrayLike<T>, shape: readonly number[], axes: readonly number[], outSize: number): T[][] {
  const groups = Array.from({ length: outSize }, () => [] as T[]);
  const index = reductionIndex(shape, axes);
  for (let i = 0; i < index.length; i++) groups[index[i]].push(values[i]);
  return groups;
}

/** One Reduce* op, described by what it makes of the elements of one group. */
interface ReduceSpec {
  readonly type: string;
  /** The opset from which `axes` is an input (and noop_with_empty_axes exists); an attribute before. */
  readonly axesInputSince: number;
  num(values: readonly number[]): number;
  /** Exact int64 version, where the result is an integer function of integers. */
  big?: (values: readonly bigint[]) => bigint;
}

/** The axes to reduce, resolved: 'all' when none are listed, 'none' for a no-op; undefined when unknown. */
type ReduceAxes = number[] | 'none' | undefined;

function reduceAxes(ctx: InferContext, spec: ReduceSpec, rank: number, shape: readonly Dim[]): ReduceAxes {
  // Axes in the wrong place would silently reduce everything, so say so.
  const asInput = ctx.opset >= spec.axesInputSince;
  if (asInput && new Attrs(ctx.node).has('axes')) {
    throw nodeError(ctx.node, `from opset ${spec.axesInputSince} axes is an input, not an attribute`, 'MODEL_INVALID');
  }
  if (!asInput && ctx.inputs[1] !== undefined) throw nodeError(ctx.node, `before opset ${spec.axesInputSince} axes is an attribute, not an input`, 'MODEL_INVALID');
  const axes = intsOperand(ctx, 'axes', 1, spec.axesInputSince);
  if (axes === undefined) return undefined;
  if (axes === null || axes.length === 0) {
    const noop = ctx.opset >= spec.axesInputSince && new Attrs(ctx.node).int('noop_with_empty_axes', 0) !== 0;
    return noop ? 'none' : Array.from({ length: rank }, (_, i) => i);
  }
  return normalizeAxes(ctx, axes, rank, shape);
}

function reduceOp(spec: ReduceSpec): OpDef {
  return {
    type: spec.type,
    infer(ctx) {
      const [x] = requireInputs(ctx, 1);
      checkDType(ctx.node, 'input data', x.dtype, numericTypes);
      const keepDims = new Attrs(ctx.node).int('keepdims', 1) !== 0;
      if (x.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
      const axes = reduceAxes(ctx, spec, x.shape.length, x.shape);
      if (axes === 'none') return [x];
      if (axes === undefined) {
        // Unknown axes: with keepdims the rank stays; without, it drops by the (known, nonzero) count.
        const n = operandLength(ctx, 1);
        if (keepDims) return [{ dtype: x.dtype, shape: x.shape.map(() => '?') }];
        return [{ dtype: x.dtype, shape: n === undefined || n === 0 ? undefined : new Array<Dim>(x.shape.length - n).fill('?') }];
      }
      return [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, keepDims) }];
    },
    reference(ctx, inputs) {
      const x = inputs[0]!;
      const out = ctx.outputs[0];
      const axes = reduceAxes(concreteContext(ctx, inputs), spec, x.rank, x.shape)!;
      if (axes === 'none') return [x];
      const size = shapeSize(out.shape);
      if (x.dtype === 'int64' && spec.big !== undefined) {
        const big = spec.big;
        const groups = groupsOf(x.data as BigInt64Array, x.shape, axes, size);
        return [new Tensor('int64', BigInt64Array.from(groups, (g) => BigInt.asIntN(64, big(g))), out.shape)];
      }
      const groups = groupsOf(x.toFloat64(), x.shape, axes, size);
      return [Tensor.from(out.dtype, groups.map(spec.num), out.shape)];
    },
  };
}

const total = (vs: readonly number[]) => vs.reduce((a, b) => a + b, 0);
const bigTotal = (vs: readonly bigint[]) => vs.reduce((a, b) => a + b, 0n);

export const reduceSum = reduceOp({ type: 'ReduceSum', axesInputSince: 13, num: total, big: bigTotal });

/** The mean of an empty group is NaN (0 / 0); int64 means truncate toward zero, as a C cast does. */
export const reduceMean = reduceOp({
  type: 'ReduceMean',
  axesInputSince: 18,
  num: (vs) => total(vs) / vs.length,
  big: (vs) => (vs.length === 0 ? 0n : bigTotal(vs) / BigInt(vs.length)),
});

/** Max and Min of an empty group are -inf and +inf; NaN propagates. */
export const reduceMax = reduceOp({
  type: 'ReduceMax',
  axesInputSince: 18,
  num: (vs) => vs.reduce((a, b) => Math.max(a, b), -Infinity),
  big: (vs) => vs.reduce((a, b) => (b > a ? b : a)),
});

export const reduceMin = reduceOp({
  type: 'ReduceMin',
  axesInputSince: 18,
  num: (vs) => vs.reduce((a, b) => Math.min(a, b), Infinity),
  big: (vs) => vs.reduce((a, b) => (b < a ? b : a)),
});

export const reduceProd = reduceOp({
  type: 'ReduceProd',
  axesInputSince: 18,
  num: (vs) => vs.reduce((a, b) => a * b, 1),
  big: (vs) => vs.reduce((a, b) => BigInt.asIntN(64, a * b), 1n),
});

export const reduceL1 = reduceOp({
  type: 'ReduceL1',
  axesInputSince: 18,
  num: (vs) => total(vs.map(Math.abs)),
  big: (vs) => bigTotal(vs.map((v) => (v < 0n ? -v : v))),
});

export const reduceL2 = reduceOp({ type: 'ReduceL2', axesInputSince: 18, num: (vs) => Math.sqrt(total(vs.map((v) => v * v))) });

export const reduceSumSquare = reduceOp({
  type: 'ReduceSumSquare',
  axesInputSince: 18,
  num: (vs) => total(vs.map((v) => v * v)),
  big: (vs) => bigTotal(vs.map((v) => v * v)),
});

export const reduceLogSum = reduceOp({ type: 'ReduceLogSum', axesInputSince: 18, num: (vs) => Math.log(total(vs)) });

/** log(sum(exp(x))), shifted by the maximum so that no exp overflows. */
export const reduceLogSumExp = reduceOp({
  type: 'ReduceLogSumExp',
  axesInputSince: 18,
  num: (vs) => {
    const m = vs.reduce((a, b) => Math.max(a, b), -Infinity);
    if (!Number.isFinite(m)) return Math.log(total(vs.map(Math.exp)));
    return m + Math.log(total(vs.map((v) => Math.exp(v - m))));
  },
});

/** ArgMax / ArgMin: the int64 index of the extreme along `axis` (default 0), first or (opset 12+) last on ties. */
function argOp(type: string, better: (a: number | bigint, b: number | bigint) => boolean): OpDef {
  const axisOf = (ctx: InferContext, rank: number) =>
    normalizeAxis(new Attrs(ctx.node).int('axis', 0), rank, `${ctx.node.op} node '${ctx.node.name}'`);
  return {
    type,
    infer(ctx) {
      const [x] = requireInputs(ctx, 1);
      checkDType(ctx.node, 'input data', x.dtype, numericTypes);
      const keepDims = new Attrs(ctx.node).int('keepdims', 1) !== 0;
      if (x.shape === undefined) return [{ dtype: 'int64', shape: undefined }];
      if (x.shape.length === 0) throw nodeError(ctx.node, 'input data is a scalar; there is no axis to search');
      const axis = axisOf(ctx, x.shape.length);
      if (x.shape[axis] === 0) throw nodeError(ctx.node, `axis ${axis} is empty; there is no extreme to find`);
      return [{ dtype: 'int64', shape: reducedShape(x.shape, [axis], keepDims) }];
    },
    reference(ctx, inputs) {
      const x = inputs[0]!;
      const out = ctx.outputs[0];
      const axis = axisOf(concreteContext(ctx, inputs), x.rank);
      const last = new Attrs(ctx.node).int('select_last_index', 0) !== 0;
      const values: ArrayLike<number | bigint> = x.dtype === 'int64' ? (x.data as BigInt64Array) : x.toFloat64();
      const groups = groupsOf(values, x.shape, [axis], shapeSize(out.shape));
      const picks = groups.map((g) => {
        let best = 0;
        for (let k = 1; k < g.length; k++) if (better(g[k], g[best]) || (last && g[k] === g[best])) best = k;
        return BigInt(best);
      });
      return [new Tensor('int64', BigInt64Array.from(picks), out.shape)];
    },
  };
}

export const argMax = argOp('ArgMax', (a, b) => a > b);
export const argMin = argOp('ArgMin', (a, b) => a < b);
