import type { Graph, Node } from '../ir/graph.js';

/** Renames values throughout a graph and its subgraphs (node inputs, node outputs and graph outputs). */
export function renameValues(graph: Graph, rename: ReadonlyMap<string, string>): Graph {
  if (rename.size === 0) return graph;
  const r = (name: string): string => rename.get(name) ?? name;
  return {
    ...graph,
    nodes: graph.nodes.map((node) => renameInNode(node, rename)),
    outputs: graph.outputs.map((o) => ({ ...o, name: r(o.name) })),
  };
}

function renameInNode(node: Node, rename: ReadonlyMap<string, string>): Node {
  const r = (name: string): string => rename.get(name) ?? name;
  let attrs = node.attrs;
  for (const [key, a] of Object.entries(node.attrs)) {
    if (a.type === 'graph') attrs = { ...attrs, [key]: { type: 'graph', value: renameValues(a.value, rename) } };
  }
  return { ...node, inputs: node.inputs.map(r), outputs: node.outputs.map(r), attrs };
}

/** Every value name a graph reads, including reads from inside its subgraphs. */
export function valuesRead(graph: Graph, into = new Set<string>()): Set<string> {
  for (const node of graph.nodes) {
    for (const name of node.inputs) if (name !== '') into.add(name);
    for (const a of Object.values(node.attrs)) if (a.type === 'graph') valuesRead(a.value, into);
  }
  for (const o of graph.outputs) into.add(o.name);
  return into;
}
