import type { Dim } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { type Graph, type Node, isDefaultDomain, onnxOpset } from '../ir/graph.js';
import { inferGraph } from '../ir/infer.js';
import { runNode } from '../backends/reference/interpreter.js';
import { renameValues } from './rename.js';

/**
 * Folding never makes the stored constants much bigger than they were: a result larger than its
 * inputs (ConstantOfShape, Expand, widening float16 weights back to float32) is computed at run time
 * instead, unless it is small.
 */
const smallConstantBytes = 1 << 14;

function bytesOf(tensors: readonly (Tensor | undefined)[]): number {
  return tensors.reduce((n, t) => n + (t === undefined ? 0 : t.data.byteLength), 0);
}

/**
 * Evaluates every node whose inputs are all known before running and replaces it by an initializer.
 * With concrete input shapes, Shape nodes become constants too, so the shape arithmetic that exporters
 * emit (Shape -> Gather -> Concat -> Reshape, If on a shape test) folds away, and an If whose
 * condition is known is replaced by the nodes of the branch it takes.
 */
export function foldConstants(graph: Graph): Graph {
  const initializers = new Map(graph.initializers);
  const nodes: Node[] = [];
  const opset = onnxOpset(graph);
  const { types } = inferGraph(graph);
  const used = new Set<string>([...types.keys(), ...graph.nodes.map((n) => n.name)]);
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };

  const queue = [...graph.nodes];
  while (queue.length > 0) {
    const node = queue.shift()!;
    if (!isDefaultDomain(node.domain)) {
      nodes.push(node);
      continue;
    }
    if (node.op === 'Shape') {
      const shape = types.get(node.inputs[0])?.shape;
      const value = shape && shapeValue(node, shape, opset);
      if (value) {
        initializers.set(node.outputs[0], value);
        continue;
      }
    }
    if (node.op === 'If' && initializers.has(node.inputs[0])) {
      queue.unshift(...inlineBranch(node, initializers.get(node.inputs[0])!, initializers, fresh));
      continue;
    }
    const foldable =
      node.inputs.every((name) => name === '' || initializers.has(name)) &&
      !Object.values(node.attrs).some((a) => a.type === 'graph');
    if (foldable) {
      const inputs = node.inputs.map((name) => (name === '' ? undefined : initializers.get(name)));
      const results = runNode(node, opset, inputs, new Map());
      const grown = bytesOf(results);
      if (grown <= smallConstantBytes || grown <= bytesOf(inputs)) {
        node.outputs.forEach((name, i) => {
          if (name !== '') initializers.set(name, results[i]);
        });
        continue;
      }
    }
    nodes.push(node);
  }
  // A graph output that became a constant still needs a producer: an Identity of the initializer.
  for (const o of graph.outputs) {
    if (initializers.has(o.name) && !graph.initializers.has(o.name)) {
      const constName = fresh(`${o.name}_value`);
      initializers.set(constName, initializers.get(o.name)!);
      initializers.delete(o.name);
      nodes.push({ name: fresh(`${o.name}_identity`), op: 'Identity', domain: '', inputs: [constName], outputs: [o.name], attrs: {} });
    }
  }
  return { ...graph, nodes, initializers, valueTypes: new Map() };
}

/** The int64 value of a Shape node whose input shape is concrete (start/end from opset 15). */
function shapeValue(node: Node, shape: readonly Dim[], opset: number): Tensor | undefined {
  const rank = shape.length;
  const clamp = (v: number): number => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  const startAttr = node.attrs.start;
  const endAttr = node.attrs.end;
  const start = opset >= 15 && startAttr?.type === 'int' ? clamp(startAttr.value) : 0;
  const end = opset >= 15 && endAttr?.type === 'int' ? clamp(endAttr.value) : rank;
  const dims = shape.slice(start, Math.max(start, end));
  if (!dims.every((d): d is number => typeof d === 'number')) return undefined;
  return Tensor.from('int64', dims, [dims.length]);
}

/**
 * The nodes of the branch an If takes, renamed so they cannot collide with the enclosing graph,
 * followed by Identity nodes that give the branch outputs the If's output names.
 */
function inlineBranch(node: Node, cond: Tensor, initializers: Map<string, Tensor>, fresh: (base: string) => string): Node[] {
  const taken = cond.get(0) !== 0 ? node.attrs.then_branch : node.attrs.else_branch;
  if (taken?.type !== 'graph') return [node];
  const branch = taken.value;
  const rename = new Map<string, string>();
  for (const [name, t] of branch.initializers) {
    const n = fresh(name);
    rename.set(name, n);
    initializers.set(n, t);
  }
  for (const n of branch.nodes) for (const o of n.outputs) if (o !== '') rename.set(o, fresh(o));
  const renamed = renameValues(branch, rename);
  const inlined = renamed.nodes.map((n) => ({ ...n, name: fresh(n.name || n.op) }));
  renamed.outputs.forEach((o, i) => {
    const target = node.outputs[i];
    if (target !== undefined && target !== '') {
      inlined.push({ name: fresh(`${node.name}_out${i}`), op: 'Identity', domain: '', inputs: [o.name], outputs: [target], attrs: {} });
    }
  });
  return inlined;
}
