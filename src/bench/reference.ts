// NVIDIA's 2015 study ("GPU-Based Deep Learning Inference: A Performance and Power Analysis"), as
// whitepaper.md gives it: the rows confirmed from text, then those recalled from its tables (approximate).

import type { ReferenceRow } from './schema.js';

const row = (
  device: string,
  model: string,
  precision: 'fp32' | 'fp16',
  batch: number,
  imagesPerSecond: number,
  watts?: number,
  imagesPerSecondPerWatt?: number,
  approximate = false,
): ReferenceRow => ({
  device,
  model,
  precision,
  batch,
  imagesPerSecond,
  ...(watts !== undefined ? { watts } : {}),
  ...(imagesPerSecondPerWatt !== undefined ? { imagesPerSecondPerWatt } : {}),
  ...(approximate ? { approximate: true } : {}),
});

/** The study's rows: confirmed first, then the approximate ones (marked `approximate`). */
export const referenceRows: readonly ReferenceRow[] = Object.freeze([
  // Confirmed from the text (blog and quoted tables).
  row('Titan X', 'alexnet', 'fp32', 1, 405),
  row('Titan X', 'alexnet', 'fp32', 128, 3216),
  row('Tegra X1', 'alexnet', 'fp16', 128, 258, undefined, 45),
  row('Core i7 6700K', 'caffenet', 'fp32', 48, 242, undefined, 3.9),
  row('Tegra X1', 'googlenet', 'fp16', 1, 33),
  // Recalled from the paper's tables, not confirmed from text.
  row('Titan X', 'alexnet', 'fp32', 1, 405, 164, 2.5, true),
  row('Titan X', 'alexnet', 'fp32', 128, 3216, 227, 14.2, true),
  row('Xeon E5-2698 v3', 'caffenet', 'fp32', 1, 76, 112, 0.7, true),
  row('Xeon E5-2698 v3', 'caffenet', 'fp32', 48, 476, 149, 3.2, true),
  row('Tegra X1', 'alexnet', 'fp32', 1, 47, 5.5, 8.6, true),
  row('Tegra X1', 'alexnet', 'fp32', 128, 155, 6.0, 25.8, true),
  row('Tegra X1', 'alexnet', 'fp16', 1, 67, 5.1, 13.1, true),
  row('Titan X', 'googlenet', 'fp32', 1, 138, 154, 0.9, true),
  row('Titan X', 'googlenet', 'fp32', 128, 863, 229, 3.8, true),
  row('Tegra X1', 'googlenet', 'fp16', 64, 75, 5.8, 12.8, true),
]);
