import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/bench/clock.js';
import { runServer } from '../../src/bench/scenarios.js';
import { batcherServerTarget } from '../../src/bench/server-target.js';
import { Session } from '../../src/runtime/session.js';
import { tinyClassifier } from '../serve/fixtures.js';

describe('the server scenario on joule\'s dynamic batcher', () => {
  it('offers Poisson load to a real session through the batcher and reports batches formed', async () => {
    const session = await Session.load(tinyClassifier(), { backend: 'cpu', threads: 1 });
    try {
      const factory = batcherServerTarget({ maxBatch: 4, maxDelayMs: 20 });
      const target = await factory({ model: 'tiny', runtime: 'joule', backend: 'cpu', precision: 'fp32', loaded: { session } as never });
      expect(target).toBeDefined();
      const result = await runServer({ ...target!, p99BoundMs: 1000, durationS: 0.6, rates: [200], clock: systemClock });
      await target!.close();
      const [load] = result.loads;
      expect(load.rejected).toBe(0);
      expect(load.achievedRate).toBeGreaterThan(50);
      // At 200 requests/s and a 20 ms delay, requests share batches.
      expect(load.meanBatch).toBeGreaterThan(1.5);
      expect(load.meanBatch).toBeLessThanOrEqual(4);
      expect(result).toMatchObject({ maxBatch: 4, maxDelayMs: 20, sustainedRate: 200 });
    } finally {
      await session.dispose();
    }
  });

  it('does not serve peers', async () => {
    const target = await batcherServerTarget({ maxBatch: 4, maxDelayMs: 1 })({ model: 'tiny', runtime: 'onnxruntime-node', backend: 'cpu', precision: 'fp32', loaded: {} as never });
    expect(target).toBeUndefined();
  });
});
