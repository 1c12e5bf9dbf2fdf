import { asProbabilities, topIndices } from '../runtime/top-k.js';
import type { AccuracyResult, RuntimeId } from './schema.js';

/**
 * fp16 against fp32 on the same images (one score vector per image): top-1 agreement is the fraction
 * of images with the same most probable class; top-5 agreement the fraction whose five most probable
 * classes are the same set; the differences are over every class probability of every image.
 */
export function compareOutputs(
  model: string,
  runtime: RuntimeId,
  reference: readonly Float32Array[],
  candidate: readonly Float32Array[],
): AccuracyResult {
  if (reference.length !== candidate.length || reference.length === 0) {
    throw new Error(`accuracy needs the same non-zero number of outputs, got ${reference.length} and ${candidate.length}`);
  }
  let top1 = 0;
  let top5 = 0;
  let maxAbs = 0;
  let sumAbs = 0;
  let count = 0;
  for (const [i, refScores] of reference.entries()) {
    const a = asProbabilities(refScores);
    const b = asProbabilities(candidate[i]);
    if (a.length !== b.length) throw new Error(`output ${i} has ${a.length} classes in fp32 and ${b.length} in fp16`);
    const k = Math.min(5, a.length);
    const ta = topIndices(a, k);
    const tb = topIndices(b, k);
    if (ta[0] === tb[0]) top1++;
    const setB = new Set(tb);
    if (ta.every((c) => setB.has(c))) top5++;
    for (let j = 0; j < a.length; j++) {
      const d = Math.abs(a[j] - b[j]);
      maxAbs = Math.max(maxAbs, d);
      sumAbs += d;
      count++;
    }
  }
  return {
    model,
    runtime,
    inputs: reference.length,
    top1Agreement: top1 / reference.length,
    top5Agreement: top5 / reference.length,
    maxAbsDiff: maxAbs,
    meanAbsDiff: sumAbs / count,
  };
}
