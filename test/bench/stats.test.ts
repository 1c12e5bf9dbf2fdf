import { describe, expect, it } from 'vitest';
import { latencyStats, percentile } from '../../src/bench/stats.js';

describe('latency statistics', () => {
  it('gives nearest-rank percentiles, exact on known data', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(latencyStats(samples)).toEqual({ mean: 50.5, p50: 50, p90: 90, p99: 99, min: 1, max: 100 });
  });

  it('takes a sample that happened, never an interpolation', () => {
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([10, 20, 30, 40], 99)).toBe(40);
    expect(latencyStats([7])).toEqual({ mean: 7, p50: 7, p90: 7, p99: 7, min: 7, max: 7 });
  });

  it('is all zeros for no samples', () => {
    expect(latencyStats([])).toEqual({ mean: 0, p50: 0, p90: 0, p99: 0, min: 0, max: 0 });
  });
});
