import { JouleError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';

/** The k highest scores of each row of a [batch, classes, ...] output, best first. */
export function topK(output: Tensor, k: number): { index: number; score: number }[][] {
  if (output.rank < 1) throw new JouleError('BAD_ARGUMENT', 'top-k needs an output with a batch dimension');
  const batch = output.shape[0];
  const classes = batch === 0 ? 0 : output.size / batch;
  const values = output.toFloat64();
  const rows: { index: number; score: number }[][] = [];
  for (let b = 0; b < batch; b++) {
    const row = values.subarray(b * classes, (b + 1) * classes);
    rows.push(topIndices(row, k).map((index) => ({ index, score: row[index] })));
  }
  return rows;
}

/** Scores as probabilities: kept where they already are (a softmax output), softmaxed otherwise. */
export function asProbabilities(scores: ArrayLike<number>): Float32Array {
  let sum = 0;
  let negative = false;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    sum += v;
    if (v < 0) negative = true;
  }
  if (!negative && Math.abs(sum - 1) < 1e-3) return scores instanceof Float32Array ? scores : Float32Array.from(scores);
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]);
  const out = new Float32Array(scores.length);
  let total = 0;
  for (let i = 0; i < scores.length; i++) total += out[i] = Math.exp(scores[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

/** Indices of the k largest scores, largest first (ties: lower index first). */
export function topIndices(scores: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b).slice(0, k);
}
