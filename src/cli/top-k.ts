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
    const row = Array.from({ length: classes }, (_, i) => ({ index: i, score: values[b * classes + i] }));
    row.sort((x, y) => y.score - x.score || x.index - y.index);
    rows.push(row.slice(0, k));
  }
  return rows;
}
