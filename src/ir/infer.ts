import { JouleError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { opDef } from '../ops/index.js';
import type { InferContext } from '../ops/op.js';
import { type Graph, type Node, type ValueType, isDefaultDomain, onnxOpset } from './graph.js';

export interface Scope {
  readonly types: ReadonlyMap<string, ValueType>;
  readonly constants: ReadonlyMap<string, Tensor>;
}

/** Output types of one node given its scope. Errors name the node. */
export function inferNode(node: Node, opset: number, scope: Scope): ValueType[] {
  const def = isDefaultDomain(node.domain) ? opDef(node.op) : undefined;
  if (def === undefined) {
    throw new JouleError('UNSUPPORTED_OPS', `unsupported op ${node.op} (node '${node.name}', domain '${node.domain}')`);
  }
  const ctx: InferContext = {
    node,
    opset,
    inputs: node.inputs.map((name) => (name === '' ? undefined : scope.types.get(name))),
    constant: (i) => {
      const name = node.inputs[i];
      return name === undefined || name === '' ? undefined : scope.constants.get(name);
    },
    inferSubgraph: (g) => inferGraph(g, scope).outputs,
  };
  const outs = def.infer(ctx);
  if (outs.length < node.outputs.filter((o) => o !== '').length && outs.length < node.outputs.length) {
    throw new JouleError('MODEL_INVALID', `${node.op} node '${node.name}' has ${node.outputs.length} outputs; the op produces ${outs.length}`);
  }
  return outs;
}

export interface InferResult {
  readonly types: Map<string, ValueType>;
  readonly outputs: ValueType[];
}

/**
 * Shape and dtype inference over a graph in an outer scope. Values known before running (initializers,
 * Constant nodes) are visible to ops whose output shape depends on them (Reshape, Slice, ...).
 */
export function inferGraph(graph: Graph, outer: Scope = { types: new Map(), constants: new Map() }): InferResult {
  const types = new Map<string, ValueType>(outer.types);
  const constants = new Map<string, Tensor>(outer.constants);
  for (const v of graph.inputs) types.set(v.name, { dtype: v.dtype, shape: v.shape });
  for (const [name, t] of graph.initializers) {
    types.set(name, { dtype: t.dtype, shape: t.shape });
    constants.set(name, t);
  }
  const opset = onnxOpset(graph);
  const scope: Scope = { types, constants };
  for (const node of graph.nodes) {
    const outs = inferNode(node, opset, scope);
    node.outputs.forEach((name, i) => {
      if (name !== '' && outs[i] !== undefined) types.set(name, outs[i]);
    });
    if (node.op === 'Constant' && isDefaultDomain(node.domain)) {
      const value = constantNodeValue(node, opset);
      if (value !== undefined) constants.set(node.outputs[0], value);
    }
  }
  const outputs = graph.outputs.map((o) => {
    const t = types.get(o.name);
    if (t === undefined) throw new JouleError('MODEL_INVALID', `graph output '${o.name}' is never produced`);
    return t;
  });
  return { types, outputs };
}

function constantNodeValue(node: Node, opset: number): Tensor | undefined {
  const def = opDef('Constant');
  if (def === undefined) return undefined;
  const [type] = def.infer({ node, opset, inputs: [], constant: () => undefined, inferSubgraph: () => [] });
  if (type.shape === undefined || !type.shape.every((d) => typeof d === 'number')) return undefined;
  const outputs = [{ dtype: type.dtype, shape: type.shape as number[] }];
  return def.reference({ node, opset, outputs, runSubgraph: () => [] }, [])[0];
}

/** The graph with valueTypes filled in by inference; graph inputs may be given more specific shapes. */
export function withInferredTypes(graph: Graph): Graph {
  const { types } = inferGraph(graph);
  const outputs = graph.outputs.map((o) => ({ ...o, ...types.get(o.name)!, name: o.name }));
  return { ...graph, outputs, valueTypes: types };
}
