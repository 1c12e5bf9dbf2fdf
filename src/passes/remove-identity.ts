import type { Graph, Node } from '../ir/graph.js';
import { isDefaultDomain } from '../ir/graph.js';
import { renameValues } from './rename.js';

/** An Identity, or a Dropout at inference whose mask nobody reads: output equals input. */
function passThrough(node: Node, read: ReadonlySet<string>): boolean {
  if (!isDefaultDomain(node.domain)) return false;
  if (node.op === 'Identity') return true;
  if (node.op !== 'Dropout') return false;
  const mask = node.outputs[1];
  const trainingMode = node.inputs[2];
  return (mask === undefined || mask === '' || !read.has(mask)) && (trainingMode === undefined || trainingMode === '');
}

/**
 * Removes Identity nodes and inference-time Dropout, wiring readers to the input directly. Where the
 * output is a graph output, the producer's value takes the output's name instead, so the graph's
 * interface keeps its names; a pass-through from a graph input straight to a graph output stays.
 */
export function removeIdentities(graph: Graph): Graph {
  const read = new Set<string>();
  for (const n of graph.nodes) for (const i of n.inputs) read.add(i);
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const external = new Set([...graph.inputs.map((v) => v.name), ...graph.initializers.keys()]);

  let current = graph;
  for (const { name } of graph.nodes) {
    // Look the node up again: earlier removals may have renamed its input.
    const node = current.nodes.find((n) => n.name === name);
    if (node === undefined || !passThrough(node, read)) continue;
    const from = node.inputs[0];
    const to = node.outputs[0];
    const nodes = current.nodes.filter((n) => n.name !== node.name);
    if (!graphOutputs.has(to)) {
      current = renameValues({ ...current, nodes }, new Map([[to, from]]));
    } else if (!external.has(from) && !graphOutputs.has(from)) {
      current = renameValues({ ...current, nodes }, new Map([[from, to]]));
    }
  }
  return current;
}
