import type { DType } from '../core/dtype.js';
import { type Dim, broadcastShapes, formatShape, shapeSize } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import type { ValueType } from '../ir/graph.js';
import { fromInt64 } from './int64.js';
import { type InferContext, nodeError } from './op.js';

/** The concrete type of one output, as a kernel receives it. */
export interface OutputType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/**
 * For each element of `outShape` in row-major order, the flat index of the element of `inShape` that
 * NumPy broadcasting reads (shapes aligned at the right; a dimension of 1 repeats).
 */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let acc = 1;
  for (let i = inShape.length - 1; i >= 0; i--) {
    const o = rank - inShape.length + i;
    strides[o] = inShape[i] === 1 ? 0 : acc;
    acc *= inShape[i];
  }
  const size = shapeSize(outShape);
  const index = new Int32Array(size);
  const coord = new Array<number>(rank).fill(0);
  let flat = 0;
  for (let i = 0; i < size; i++) {
    index[i] = flat;
    // Odometer step: bump the last axis, carrying into earlier ones.
    for (let a = rank - 1; a >= 0; a--) {
      coord[a]++;
      flat += strides[a];
      if (coord[a] < outShape[a]) break;
      flat -= strides[a] * coord[a];
      coord[a] = 0;
    }
  }
  return index;
}

/** The broadcast output shape of a node's inputs; undefined when any input's rank is unknown. */
export function inferBroadcastShape(ctx: InferContext, types: readonly ValueType[]): Dim[] | undefined {
  const shapes = types.map((t) => t.shape);
  if (shapes.some((s) => s === undefined)) return undefined;
  return broadcastShapes(shapes as (readonly Dim[])[], `${ctx.node.op} node '${ctx.node.name}'`);
}

/** Fails unless every input has the same dtype as the first. */
export function checkSameDType(ctx: InferContext, types: readonly ValueType[]): void {
  for (const t of types) {
    if (t.dtype !== types[0].dtype) {
      throw nodeError(ctx.node, `inputs must share one dtype, got ${types.map((x) => x.dtype).join(', ')}`, 'UNSUPPORTED_DTYPE');
    }
  }
}

/** f applied elementwise over broadcast inputs, computed on float64 numbers and converted to the output dtype. */
export function mapNumbers(inputs: readonly Tensor[], out: OutputType, f: (values: readonly number[]) => number): Tensor {
  const data = inputs.map((t) => t.toFloat64());
  const index = inputs.map((t) => broadcastIndex(t.shape, out.shape));
  const result = new Float64Array(shapeSize(out.shape));
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < result.length; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = data[k][index[k][i]];
    result[i] = f(args);
  }
  return Tensor.from(out.dtype, result, out.shape);
}

/**
 * f applied elementwise over broadcast integer inputs on exact bigints; the result wraps to int64 (as C
 * does) and converts to the output dtype (a bool is "nonzero", for comparisons).
 */
export function mapBigInts(inputs: readonly Tensor[], out: OutputType, f: (values: readonly bigint[]) => bigint): Tensor {
  const data = inputs.map((t) => (t.dtype === 'int64' ? (t.data as BigInt64Array) : BigInt64Array.from(t.toFloat64(), (v) => BigInt(v))));
  const index = inputs.map((t) => broadcastIndex(t.shape, out.shape));
  const size = shapeSize(out.shape);
  const result = new BigInt64Array(size);
  const args = new Array<bigint>(inputs.length);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = data[k][index[k][i]];
    result[i] = f(args);
  }
  return fromInt64(result, out.dtype, out.shape);
}

/** Whether integer arithmetic must run on bigints to stay exact: some input is int64 and all are integers. */
export function needsBigInts(inputs: readonly Tensor[]): boolean {
  const integer = (t: Tensor) => t.dtype === 'int64' || t.dtype === 'int32' || t.dtype === 'uint8';
  return inputs.some((t) => t.dtype === 'int64') && inputs.every(integer);
}

/**
 * Fails unless `from` broadcasts to `to` in one direction (ONNX's unidirectional broadcasting: PRelu's
 * slope, LayerNormalization's scale): aligned at the right, each dim of `from` is 1 or equals `to`'s.
 */
export function checkUnidirectional(ctx: InferContext, what: string, from: ValueType, to: ValueType): void {
  if (from.shape === undefined || to.shape === undefined) return;
  const [f, t] = [from.shape, to.shape];
  const fits =
    f.length <= t.length &&
    f.every((d, i) => {
      const target = t[t.length - f.length + i];
      return d === 1 || d === target || typeof d === 'string' || typeof target === 'string';
    });
  if (!fits) throw nodeError(ctx.node, `${what} ${formatShape(f)} does not broadcast to ${formatShape(t)}`);
}
