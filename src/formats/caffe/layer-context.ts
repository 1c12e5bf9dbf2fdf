import type { Dim } from '../../core/shape.js';
import { Tensor } from '../../core/tensor.js';
import type { Attribute } from '../../ir/graph.js';
import type { CaffeLayer } from './decode.js';

/** What a layer converter can do: read its layer, add nodes and parameters, look at shapes. */
export interface LayerContext {
  readonly layer: CaffeLayer;
  /** The IR values of the layer's bottoms. */
  readonly inputs: readonly string[];
  /** Checks the number of bottoms (exact or [min, max]) and tops. */
  arity(bottoms: number | readonly [number, number], tops: number | readonly [number, number]): void;
  /** The shape of a value; only the batch dimension is symbolic. */
  shape(value: string): readonly Dim[];
  /** A dimension that must be a known size for the conversion (the batch is not). */
  size(dim: Dim, what: string): number;
  /** The `<kind>_param` message of `layer` (default: this layer), or one of defaults when it has none. */
  param<T>(kind: string, layer?: CaffeLayer): T;
  /** Whether the `<kind>_param` message of `layer` (default: this layer) sets `field`. */
  has(kind: string, field: string, layer?: CaffeLayer): boolean;
  /** Declares a graph input (a top of an Input layer or a net input). */
  input(name: string, shape: readonly Dim[]): string;
  /**
   * Adds a node and returns its output. A node without `suffix` is the layer's last: its output is the
   * layer's top. Others are named `<layer>_<suffix>`.
   */
  op(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, Attribute>>, suffix?: string): string;
  /** An initializer named `<layer>_<suffix>`. */
  constant(suffix: string, tensor: Tensor): string;
  /**
   * Blob `index` of the `count` trained blobs of `layer` (default: this layer), checked against `shape`
   * the way Caffe checks it, or zeros of that shape where missing weights are allowed.
   */
  weight(index: number, count: number, shape: readonly number[], layer?: CaffeLayer): Tensor<'float32'>;
  /** The next layer, when this one may absorb it (BatchNorm takes the Scale that follows it). */
  peekNext(): CaffeLayer | undefined;
  /** Absorbs the next layer: its top becomes this layer's output. */
  absorbNext(): void;
  /** Fails with MODEL_INVALID (the message is prefixed with the file and layer). */
  fail(message: string): never;
}

/** Converts one Caffe layer to IR nodes; returns the IR value of each top. */
export type LayerConverter = (ctx: LayerContext) => string[];

/** Caffe's CanonicalAxisIndex: a possibly negative axis of a blob of rank `rank`. */
export function canonicalAxis(ctx: LayerContext, axis: number, rank: number, what = 'axis'): number {
  if (axis < -rank || axis >= rank) ctx.fail(`${what} ${axis} is out of range for a blob of ${rank} axes`);
  return axis < 0 ? axis + rank : axis;
}

/** An int64 shape tensor (Reshape's second input). */
export const shapeTensor = (dims: readonly number[]): Tensor => Tensor.from('int64', dims, [dims.length]);

/** A float32 scalar. */
export const scalar = (value: number): Tensor => Tensor.scalar('float32', value);
