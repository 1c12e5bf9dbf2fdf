import { JouleError } from '../../core/errors.js';
import { formatShape } from '../../core/shape.js';
import type { Tensor } from '../../core/tensor.js';
import { type Graph, type Node, isDefaultDomain, onnxOpset } from '../../ir/graph.js';
import { inferNode } from '../../ir/infer.js';
import { opDef } from '../../ops/index.js';

/**
 * Runs one node with its reference kernel. Output shapes come from the op's own inference run on the
 * concrete inputs, so shape logic lives in one place; the kernel's outputs are checked against them.
 */
export function runNode(node: Node, opset: number, inputs: readonly (Tensor | undefined)[], scope: ReadonlyMap<string, Tensor>): Tensor[] {
  const def = isDefaultDomain(node.domain) ? opDef(node.op) : undefined;
  if (def === undefined) throw new JouleError('UNSUPPORTED_OPS', `unsupported op ${node.op} (node '${node.name}', domain '${node.domain}')`);
  const types = new Map<string, { dtype: Tensor['dtype']; shape: readonly number[] }>();
  const constants = new Map<string, Tensor>();
  node.inputs.forEach((name, i) => {
    const t = inputs[i];
    if (name !== '' && t !== undefined) {
      types.set(name, { dtype: t.dtype, shape: t.shape });
      constants.set(name, t);
    }
  });
  // Subgraphs see the whole enclosing scope, so inference of an If sees its branches' outer values.
  for (const [name, t] of scope) {
    if (!types.has(name)) {
      types.set(name, { dtype: t.dtype, shape: t.shape });
      constants.set(name, t);
    }
  }
  const outTypes = inferNode(node, opset, { types, constants });
  const outputs = outTypes.map((t, i) => {
    if (t.shape === undefined || !t.shape.every((d) => typeof d === 'number')) {
      throw new JouleError('INTERNAL', `${node.op} node '${node.name}': output ${i} has no concrete shape at run time (${formatShape(t.shape)})`);
    }
    return { dtype: t.dtype, shape: t.shape as readonly number[] };
  });
  let results: Tensor[];
  try {
    results = def.reference({ node, opset, outputs, runSubgraph: (g) => runGraph(g, scope) }, inputs);
  } catch (e) {
    if (e instanceof RangeError && /allocation failed|Invalid (typed )?array length/.test(e.message)) {
      const shapes = outputs.map((o) => `${o.dtype}${formatShape(o.shape)}`).join(', ');
      throw new JouleError('OUT_OF_MEMORY', `${node.op} node '${node.name}': cannot allocate its outputs ${shapes}: ${e.message}`);
    }
    throw e;
  }
  results.forEach((r, i) => {
    const want = outputs[i];
    if (want !== undefined && (r.dtype !== want.dtype || formatShape(r.shape) !== formatShape(want.shape))) {
      throw new JouleError('INTERNAL', `${node.op} node '${node.name}': kernel produced ${r.dtype}${formatShape(r.shape)} for output ${i}, inference said ${want.dtype}${formatShape(want.shape)}`);
    }
  });
  return results;
}

/**
 * Runs a graph node by node in topological order. `scope` holds the feeds (and, for a subgraph, every
 * value of the enclosing graph). Intermediate values are released after their last use.
 */
export function runGraph(graph: Graph, scope: ReadonlyMap<string, Tensor>): Tensor[] {
  const env = new Map<string, Tensor>(scope);
  for (const [name, t] of graph.initializers) env.set(name, t);
  const opset = onnxOpset(graph);
  const lastUse = lastUses(graph);
  const keep = new Set(graph.outputs.map((o) => o.name));
  graph.nodes.forEach((node, index) => {
    const inputs = node.inputs.map((name) => {
      if (name === '') return undefined;
      const t = env.get(name);
      if (t === undefined) throw new JouleError('MODEL_INVALID', `${node.op} node '${node.name}' reads '${name}', which has no value`);
      return t;
    });
    const results = runNode(node, opset, inputs, env);
    node.outputs.forEach((name, i) => {
      if (name !== '' && results[i] !== undefined) env.set(name, results[i]);
    });
    for (const name of node.inputs) {
      if (lastUse.get(name) === index && !keep.has(name) && !scope.has(name) && !graph.initializers.has(name)) env.delete(name);
    }
  });
  return graph.outputs.map((o) => {
    const t = env.get(o.name);
    if (t === undefined) throw new JouleError('MODEL_INVALID', `graph output '${o.name}' was not produced`);
    return t;
  });
}

/** For each value, the index of the last node that reads it (directly or from a subgraph). */
function lastUses(graph: Graph): Map<string, number> {
  const last = new Map<string, number>();
  graph.nodes.forEach((node, i) => {
    for (const name of node.inputs) last.set(name, i);
    for (const a of Object.values(node.attrs)) {
      if (a.type === 'graph') for (const name of freeNames(a.value)) last.set(name, i);
    }
  });
  return last;
}

/** Names a subgraph reads from its enclosing scope. */
function freeNames(graph: Graph): Set<string> {
  const defined = new Set<string>([...graph.inputs.map((v) => v.name), ...graph.initializers.keys()]);
  const free = new Set<string>();
  for (const node of graph.nodes) {
    for (const name of node.inputs) if (name !== '' && !defined.has(name)) free.add(name);
    for (const a of Object.values(node.attrs)) {
      if (a.type === 'graph') for (const name of freeNames(a.value)) if (!defined.has(name)) free.add(name);
    }
    for (const name of node.outputs) defined.add(name);
  }
  for (const o of graph.outputs) if (!defined.has(o.name)) free.add(o.name);
  return free;
}
