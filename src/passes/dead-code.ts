import type { Graph, Node } from '../ir/graph.js';
import { valuesRead } from './rename.js';

/** Removes nodes none of whose outputs is read (ops here have no side effects) and unused initializers. */
export function eliminateDeadCode(graph: Graph): Graph {
  const live = new Set(graph.outputs.map((o) => o.name));
  const kept: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (!node.outputs.some((o) => live.has(o))) continue;
    kept.push(node);
    const reads = valuesRead({ ...graph, nodes: [node], outputs: [] });
    for (const name of reads) live.add(name);
  }
  kept.reverse();
  const initializers = new Map([...graph.initializers].filter(([name]) => live.has(name)));
  return { ...graph, nodes: kept, initializers };
}
