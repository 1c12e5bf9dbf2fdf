import { describe, expect, it } from 'vitest';
import type { PowerMeter } from '../../src/bench/meters.js';
import { ServerMetrics } from '../../src/serve/metrics.js';

/** A meter that reads `watts` over windows of `seconds`, counting its windows. */
function fakeMeter(watts: number, seconds: number): PowerMeter & { windows: number } {
  let open = false;
  return {
    name: 'nvidia-smi',
    scope: 'GPU 0: Test GPU',
    windows: 0,
    start() {
      open = true;
    },
    async stop() {
      if (!open) throw new Error('not started');
      open = false;
      this.windows++;
      return { averageWatts: watts, joules: watts * seconds, samples: 10 };
    },
  };
}

describe('server metrics', () => {
  it('reads power and energy from the meter at each scrape, and says nothing without one', async () => {
    const without = new ServerMetrics(8);
    expect(await without.registry.metrics()).not.toMatch(/joule_power_watts\{/);
    const metrics = new ServerMetrics(8);
    const meter = fakeMeter(250, 2);
    metrics.attachMeter(meter);
    const first = await metrics.registry.metrics();
    expect(first).toContain('joule_power_watts{meter="nvidia-smi",scope="GPU 0: Test GPU"} 250');
    expect(first).toContain('joule_energy_joules_total{meter="nvidia-smi",scope="GPU 0: Test GPU"} 500');
    const second = await metrics.registry.metrics();
    expect(second).toContain('joule_energy_joules_total{meter="nvidia-smi",scope="GPU 0: Test GPU"} 1000');
    await metrics.detachMeter();
    expect(meter.windows).toBe(3);
  });

  it('buckets batch sizes up to the max batch', async () => {
    const metrics = new ServerMetrics(12);
    metrics.onBatch(3, 4, [1, 2, 3], 10);
    const text = await metrics.registry.metrics();
    expect(text).toContain('joule_batch_size_bucket{le="2"} 0');
    expect(text).toContain('joule_batch_size_bucket{le="4"} 1');
    expect(text).toContain('joule_batch_size_bucket{le="12"} 1');
    expect(text).toContain('joule_queue_seconds_count 3');
  });
});
