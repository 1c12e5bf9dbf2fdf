import type { DType } from '../core/dtype.js';
import type { Dim } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { type Attribute, type Graph, type Node, type ValueInfo, makeGraph } from './graph.js';

/** Plain attribute values, tagged by their JavaScript type (integers must be passed with `int`/`ints`). */
export type AttrInput = Attribute | string | readonly string[] | Tensor | Graph;

/** Tags an integer attribute (a bare number would be ambiguous with float). */
export const int = (value: number): Attribute => ({ type: 'int', value });
export const ints = (value: readonly number[]): Attribute => ({ type: 'ints', value });
export const float = (value: number): Attribute => ({ type: 'float', value });
export const floats = (value: readonly number[]): Attribute => ({ type: 'floats', value });

function toAttribute(v: AttrInput): Attribute {
  if (typeof v === 'string') return { type: 'string', value: v };
  if (v instanceof Tensor) return { type: 'tensor', value: v };
  if (Array.isArray(v)) return { type: 'strings', value: v as readonly string[] };
  if ('type' in v && typeof v.type === 'string' && 'value' in v) return v as Attribute;
  return { type: 'graph', value: v as Graph };
}

/** Builds a Graph node by node, naming values uniquely. Used by the zoo, passes and tests. */
export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers = new Map<string, Tensor>();
  private readonly used = new Set<string>();

  constructor(
    private readonly name = 'main',
    private readonly opset = 17,
  ) {}

  /** A name not used yet in this graph, derived from `base`. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: readonly Dim[]): string {
    const n = this.unique(name);
    this.inputs.push({ name: n, dtype, shape });
    return n;
  }

  initializer(name: string, tensor: Tensor): string {
    const n = this.unique(name);
    this.initializers.set(n, tensor);
    return n;
  }

  /**
   * Adds a node and returns the names of its outputs (`outputs` is a count or explicit names). A
   * single output is named after the node.
   */
  node(
    op: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, AttrInput>> = {},
    options: { name?: string; outputs?: number | readonly string[]; domain?: string } = {},
  ): string[] {
    const name = this.unique(options.name ?? op.toLowerCase());
    const spec = options.outputs ?? 1;
    const outputs =
      typeof spec === 'number'
        ? Array.from({ length: spec }, (_, i) => (spec === 1 ? name : this.unique(`${name}_out${i}`)))
        : spec.map((o) => (o === '' ? '' : this.claim(o)));
    const tagged: Record<string, Attribute> = {};
    for (const [k, v] of Object.entries(attrs)) tagged[k] = toAttribute(v);
    this.nodes.push({ name, op, domain: options.domain ?? '', inputs: [...inputs], outputs, attrs: tagged });
    return outputs;
  }

  /** Adds a single-output node and returns its output name. */
  op(op: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrInput>> = {}, name?: string): string {
    return this.node(op, inputs, attrs, { name })[0];
  }

  output(name: string, dtype: DType, shape: readonly Dim[] | undefined): void {
    this.outputs.push({ name, dtype, shape });
  }

  build(): Graph {
    return makeGraph({
      name: this.name,
      inputs: this.inputs,
      outputs: this.outputs,
      nodes: this.nodes,
      initializers: this.initializers,
      opsets: new Map([['', this.opset]]),
    });
  }

  private claim(name: string): string {
    this.used.add(name);
    return name;
  }
}
