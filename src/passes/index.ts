import type { Graph } from '../ir/graph.js';
import { verify } from '../ir/verify.js';
import { eliminateDeadCode } from './dead-code.js';
import { foldBatchNorm } from './fold-batch-norm.js';
import { foldConstants } from './fold-constants.js';
import { removeIdentities } from './remove-identity.js';

export { eliminateDeadCode } from './dead-code.js';
export { foldBatchNorm } from './fold-batch-norm.js';
export { foldConstants } from './fold-constants.js';
export { removeIdentities } from './remove-identity.js';
export { weightsToFp16 } from './to-fp16.js';

export type Pass = (graph: Graph) => Graph;

/** The passes every backend wants, in order. */
export const standardPasses: readonly Pass[] = [foldConstants, removeIdentities, foldBatchNorm, eliminateDeadCode];

/** Runs passes in order, verifying the graph after each so a broken rewrite is caught where it happens. */
export function runPasses(graph: Graph, passes: readonly Pass[] = standardPasses): Graph {
  let g = graph;
  for (const pass of passes) {
    g = pass(g);
    verify(g);
  }
  return g;
}
