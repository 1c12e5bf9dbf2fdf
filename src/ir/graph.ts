import type { DType } from '../core/dtype.js';
import type { Dim } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';

/** An ONNX attribute value, tagged with its type so that export writes back exactly what was read. */
export type Attribute =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'tensor'; readonly value: Tensor }
  | { readonly type: 'graph'; readonly value: Graph }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'strings'; readonly value: readonly string[] };

/** One operator application. Inputs and outputs are value names; '' marks an omitted optional input. */
export interface Node {
  readonly name: string;
  readonly op: string;
  /** '' for the default ONNX domain. */
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, Attribute>>;
}

/** The static type of a value: its dtype and shape; shape undefined means even the rank is unknown. */
export interface ValueType {
  readonly dtype: DType;
  readonly shape: readonly Dim[] | undefined;
}

export interface ValueInfo extends ValueType {
  readonly name: string;
}

/**
 * A dataflow graph in ONNX's terms. Plain immutable data: passes build new graphs.
 * Subgraphs (the branches of If) are Graphs too; their nodes may read names of the enclosing scope.
 */
export interface Graph {
  readonly name: string;
  /** Graph inputs fed by the caller (initializers are not listed here). */
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Nodes in topological order. */
  readonly nodes: readonly Node[];
  readonly initializers: ReadonlyMap<string, Tensor>;
  /** Operator set versions by domain ('' is the default ONNX domain). */
  readonly opsets: ReadonlyMap<string, number>;
  /** Types of intermediate values as far as shape inference got; empty until it runs. */
  readonly valueTypes: ReadonlyMap<string, ValueType>;
}

/** A graph and what a model file says about it. */
export interface Model {
  readonly graph: Graph;
  readonly producer: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export function makeGraph(parts: Partial<Graph> & Pick<Graph, 'nodes' | 'inputs' | 'outputs'>): Graph {
  return {
    name: parts.name ?? 'main',
    inputs: parts.inputs,
    outputs: parts.outputs,
    nodes: parts.nodes,
    initializers: parts.initializers ?? new Map(),
    opsets: parts.opsets ?? new Map([['', 17]]),
    valueTypes: parts.valueTypes ?? new Map(),
  };
}

/** The default-domain opset a graph uses. */
export function onnxOpset(graph: Graph): number {
  return graph.opsets.get('') ?? graph.opsets.get('ai.onnx') ?? 1;
}

export function isDefaultDomain(domain: string): boolean {
  return domain === '' || domain === 'ai.onnx';
}

/** Subgraphs held in a node's attributes. */
export function subgraphsOf(node: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of Object.values(node.attrs)) if (a.type === 'graph') out.push(a.value);
  return out;
}
