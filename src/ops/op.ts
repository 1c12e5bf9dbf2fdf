import type { DType } from '../core/dtype.js';
import { JouleError, type ErrorCode } from '../core/errors.js';
import { formatShape, type Dim } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import type { Attribute, Graph, Node, ValueType } from '../ir/graph.js';

/** What shape inference knows when it reaches a node. */
export interface InferContext {
  readonly node: Node;
  /** The default-domain opset of the model: ops change meaning across versions. */
  readonly opset: number;
  /** Types of the node's inputs; undefined where an optional input is omitted. */
  readonly inputs: readonly (ValueType | undefined)[];
  /** The value of input i when it is known before running (an initializer, a folded constant, or at run time). */
  constant(i: number): Tensor | undefined;
  /** Output types of a subgraph (an If branch) in the node's scope. */
  inferSubgraph(graph: Graph): readonly ValueType[];
}

/** What a reference kernel gets besides its inputs. */
export interface KernelContext {
  readonly node: Node;
  readonly opset: number;
  /** Output types inferred from the concrete inputs: every shape here is concrete. */
  readonly outputs: readonly { readonly dtype: DType; readonly shape: readonly number[] }[];
  /** Runs a subgraph in the node's scope and returns its outputs. */
  runSubgraph(graph: Graph): Tensor[];
}

/**
 * One ONNX operator: attribute schema with ONNX defaults, shape and dtype inference, and a plain
 * reference kernel that is the test oracle for every fast backend.
 */
export interface OpDef {
  readonly type: string;
  /** Checks inputs and attributes and returns output types (symbolic where inputs are). */
  infer(ctx: InferContext): ValueType[];
  /** Computes the outputs from concrete inputs (undefined where an optional input is omitted). */
  reference(ctx: KernelContext, inputs: readonly (Tensor | undefined)[]): Tensor[];
  /** Multiply-adds the node performs for these (concrete) shapes; omitted for ops that do none. */
  macs?(node: Node, inputs: readonly (readonly number[] | undefined)[], outputs: readonly (readonly number[])[]): number;
}

/** An error about one node, naming it, its op and what is wrong. */
export function nodeError(node: Node, message: string, code: ErrorCode = 'SHAPE_MISMATCH'): JouleError {
  return new JouleError(code, `${node.op} node '${node.name}': ${message}`);
}

export function describeType(t: ValueType | undefined): string {
  return t === undefined ? 'nothing' : `${t.dtype}${formatShape(t.shape)}`;
}

/** Typed access to a node's attributes with ONNX defaults; a wrong attribute type is an error naming the node. */
export class Attrs {
  constructor(private readonly node: Node) {}

  has(name: string): boolean {
    return name in this.node.attrs;
  }

  private get<T extends Attribute['type']>(name: string, type: T): Extract<Attribute, { type: T }> | undefined {
    const a = this.node.attrs[name];
    if (a === undefined) return undefined;
    if (a.type !== type) throw nodeError(this.node, `attribute '${name}' should be ${type}, got ${a.type}`, 'MODEL_INVALID');
    return a as Extract<Attribute, { type: T }>;
  }

  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    return this.get(name, 'int')?.value ?? fallback;
  }

  float(name: string, fallback: number): number;
  float(name: string): number | undefined;
  float(name: string, fallback?: number): number | undefined {
    return this.get(name, 'float')?.value ?? fallback;
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    return this.get(name, 'string')?.value ?? fallback;
  }

  ints(name: string, fallback: readonly number[]): readonly number[];
  ints(name: string): readonly number[] | undefined;
  ints(name: string, fallback?: readonly number[]): readonly number[] | undefined {
    return this.get(name, 'ints')?.value ?? fallback;
  }

  floats(name: string): readonly number[] | undefined {
    return this.get(name, 'floats')?.value;
  }

  tensor(name: string): Tensor | undefined {
    return this.get(name, 'tensor')?.value;
  }

  graph(name: string): Graph {
    const g = this.get(name, 'graph')?.value;
    if (g === undefined) throw nodeError(this.node, `attribute '${name}' is required`, 'MODEL_INVALID');
    return g;
  }

  /** Fails for a required attribute that is missing. */
  required<T>(name: string, value: T | undefined): T {
    if (value === undefined) throw nodeError(this.node, `attribute '${name}' is required`, 'MODEL_INVALID');
    return value;
  }
}

/** The input types, failing with a clear message when a required input is missing. */
export function requireInputs(ctx: InferContext, count: number): ValueType[] {
  const out: ValueType[] = [];
  for (let i = 0; i < count; i++) {
    const t = ctx.inputs[i];
    if (t === undefined) throw nodeError(ctx.node, `input ${i} is required`, 'MODEL_INVALID');
    out.push(t);
  }
  return out;
}

/** Fails unless the dtype is one of those allowed. */
export function checkDType(node: Node, what: string, dtype: DType, allowed: readonly DType[]): void {
  if (!allowed.includes(dtype)) {
    throw nodeError(node, `${what} has dtype ${dtype}; this op takes ${allowed.join(', ')}`, 'UNSUPPORTED_DTYPE');
  }
}

/** Fails unless the rank is as expected (a shape of unknown rank passes). */
export function checkRank(node: Node, what: string, shape: readonly Dim[] | undefined, rank: number): void {
  if (shape !== undefined && shape.length !== rank) {
    throw nodeError(node, `${what} must have rank ${rank}, got shape ${formatShape(shape)}`);
  }
}

export const floatTypes: readonly DType[] = ['float32', 'float16'];
export const numericTypes: readonly DType[] = ['float32', 'float16', 'int32', 'int64', 'uint8'];
