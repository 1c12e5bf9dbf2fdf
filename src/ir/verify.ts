import { JouleError } from '../core/errors.js';
import { type Graph, subgraphsOf } from './graph.js';

/**
 * Checks that a graph is well formed: every value is defined once, every node input is defined before
 * use (by a graph input, an initializer, an earlier node, or the enclosing scope of a subgraph), and
 * every graph output is produced. Throws MODEL_INVALID naming the first problem.
 */
export function verify(graph: Graph, outer: ReadonlySet<string> = new Set()): void {
  const defined = new Set<string>(outer);
  const define = (name: string, by: string): void => {
    if (name === '') return;
    if (defined.has(name) && !outer.has(name)) {
      throw new JouleError('MODEL_INVALID', `graph '${graph.name}': value '${name}' is defined twice (again by ${by})`);
    }
    defined.add(name);
  };
  for (const v of graph.inputs) define(v.name, 'a graph input');
  for (const name of graph.initializers.keys()) {
    if (!graph.inputs.some((v) => v.name === name)) define(name, 'an initializer');
  }
  const nodeNames = new Set<string>();
  for (const node of graph.nodes) {
    if (node.name !== '' && nodeNames.has(node.name)) {
      throw new JouleError('MODEL_INVALID', `graph '${graph.name}': node name '${node.name}' is used twice`);
    }
    nodeNames.add(node.name);
    for (const input of node.inputs) {
      if (input !== '' && !defined.has(input)) {
        throw new JouleError(
          'MODEL_INVALID',
          `${node.op} node '${node.name}' reads '${input}', which no graph input, initializer or earlier node defines (a missing initializer?)`,
        );
      }
    }
    for (const sub of subgraphsOf(node)) verify(sub, defined);
    for (const output of node.outputs) define(output, `${node.op} node '${node.name}'`);
  }
  for (const o of graph.outputs) {
    if (!defined.has(o.name)) throw new JouleError('MODEL_INVALID', `graph '${graph.name}': output '${o.name}' is never produced`);
  }
}
