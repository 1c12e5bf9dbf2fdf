import type { Tensor } from '../../core/tensor.js';
import { isDefaultDomain } from '../../ir/graph.js';
import { opDef } from '../../ops/index.js';
import type { Backend } from '../backend.js';
import { runGraph } from './interpreter.js';

/** Runs every op with its plain reference kernel: slow, obviously right, the oracle for other backends. */
export const referenceBackend: Backend = {
  name: 'reference',
  unsupported(node) {
    if (!isDefaultDomain(node.domain)) return `domain '${node.domain}' is not supported`;
    return opDef(node.op) === undefined ? 'no reference kernel' : undefined;
  },
  async prepare(graph) {
    return {
      async run(feeds) {
        const results = runGraph(graph, feeds);
        return new Map<string, Tensor>(graph.outputs.map((o, i) => [o.name, results[i]]));
      },
      async dispose() {},
    };
  },
};
