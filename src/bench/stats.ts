import type { LatencyStats } from './schema.js';

/**
 * The p-th percentile (0 < p <= 100) by the nearest-rank method: the smallest sample with at least p% of
 * the samples at or below it. No interpolation, so every reported latency is one that happened.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Mean, p50, p90, p99, min and max of samples in milliseconds; all zero for no samples. */
export function latencyStats(samples: readonly number[]): LatencyStats {
  if (samples.length === 0) return { mean: 0, p50: 0, p90: 0, p99: 0, min: 0, max: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}
