import { describe, expect, it } from 'vitest';
import { virtualClock } from '../../src/bench/clock.js';
import { type MeasureLimits, measure, offerLoad, runLatency, runServer, runThroughput } from '../../src/bench/scenarios.js';

const limits = (l: Partial<MeasureLimits>): MeasureLimits => ({
  warmupIterations: 0,
  warmupMs: 0,
  minDurationMs: 100,
  minIterations: 1,
  maxDurationMs: 10_000,
  ...l,
});

/** A runtime whose i-th run takes times(i) ms of virtual time. */
function fakeRuntime(clock: { advance(ms: number): void }, times: (i: number) => number): { run(): Promise<void>; runs: number } {
  const runtime = {
    runs: 0,
    async run() {
      clock.advance(times(runtime.runs++));
    },
  };
  return runtime;
}

describe('latency and throughput scenarios', () => {
  it('excludes warm-up and measures until both the minimum duration and iteration count are met', async () => {
    const clock = virtualClock();
    // Three slow warm-up runs (compilation), then 10 ms each.
    const runtime = fakeRuntime(clock, (i) => (i < 3 ? 500 : 10));
    const m = await runLatency(runtime, { clock, limits: limits({ warmupIterations: 3, minDurationMs: 100, minIterations: 5 }) });
    expect(m.warmupIterations).toBe(3);
    expect(m.iterations).toBe(10);
    expect(m.latencyMs).toEqual({ mean: 10, p50: 10, p90: 10, p99: 10, min: 10, max: 10 });
    expect(m.durationS).toBeCloseTo(0.1);
    expect(m.imagesPerSecond).toBeCloseTo(100);
    expect(m.interrupted).toBe(false);
  });

  it('warms up for at least the minimum warm-up time', async () => {
    const clock = virtualClock();
    const m = await measure(fakeRuntime(clock, () => 10), 1, { clock, limits: limits({ warmupIterations: 1, warmupMs: 50 }) });
    expect(m.warmupIterations).toBe(5);
  });

  it('honours the minimum iteration count past the minimum duration', async () => {
    const clock = virtualClock();
    const m = await measure(fakeRuntime(clock, () => 10), 1, { clock, limits: limits({ minDurationMs: 10, minIterations: 20 }) });
    expect(m.iterations).toBe(20);
  });

  it('stops at the maximum duration', async () => {
    const clock = virtualClock();
    const m = await measure(fakeRuntime(clock, () => 10), 1, { clock, limits: limits({ minIterations: 1000, maxDurationMs: 100 }) });
    expect(m.iterations).toBe(10);
  });

  it('reports images/s of the batch in throughput and per-batch latency percentiles', async () => {
    const clock = virtualClock();
    const times = [40, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]; // first one is warm-up
    const m = await runThroughput(fakeRuntime(clock, (i) => times[i % times.length]), 8, {
      clock,
      limits: limits({ warmupIterations: 1, minDurationMs: 550 }),
    });
    expect(m.iterations).toBe(10);
    expect(m.latencyMs).toEqual({ mean: 55, p50: 50, p90: 90, p99: 100, min: 10, max: 100 });
    expect(m.imagesPerSecond).toBeCloseTo((8 * 10) / 0.55);
  });

  it('opens the measuring window only after warm-up', async () => {
    const clock = virtualClock();
    const events: string[] = [];
    const runtime = { run: async () => void (events.push('run'), clock.advance(10)) };
    await measure(runtime, 1, {
      clock,
      limits: limits({ warmupIterations: 2, minDurationMs: 20, minIterations: 2 }),
      window: { start: () => void events.push('start'), stop: async () => void events.push('stop') },
    });
    expect(events).toEqual(['run', 'run', 'start', 'run', 'run', 'stop']);
  });

  it('returns what was measured when aborted, marked interrupted', async () => {
    const clock = virtualClock();
    const controller = new AbortController();
    let runs = 0;
    const runtime = {
      async run() {
        clock.advance(10);
        if (++runs === 6) controller.abort(); // the 4th measured run
      },
    };
    const m = await measure(runtime, 1, { clock, signal: controller.signal, limits: limits({ warmupIterations: 2, minDurationMs: 10_000 }) });
    expect(m.interrupted).toBe(true);
    expect(m.iterations).toBe(4);
    expect(m.latencyMs.p50).toBe(10);
  });
});

/** Uniform numbers whose exponential inter-arrival time is exactly 1/rate: -ln(1 - U) = 1. */
const evenArrivals = (): number => 1 - Math.exp(-1);

/** A deterministic uniform source (an LCG). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** One server, `serviceMs` a request, requests queued first come first served; refuses past `maxQueue`. */
function fakeServer(clock: ReturnType<typeof virtualClock>, serviceMs: number, maxQueue = Infinity) {
  let busyUntil = 0;
  let queued = 0;
  return async (): Promise<{ batchSize: number }> => {
    if (queued >= maxQueue) throw new Error('queue full');
    queued++;
    const start = Math.max(clock.now(), busyUntil);
    busyUntil = start + serviceMs;
    await clock.sleep(busyUntil - clock.now());
    queued--;
    return { batchSize: 1 };
  };
}

describe('server scenario', () => {
  it('offers Poisson arrivals at the rate and measures end-to-end latency', async () => {
    const clock = virtualClock();
    const load = await offerLoad(10, {
      submit: fakeServer(clock, 5),
      clock,
      random: evenArrivals,
      durationS: 1,
      p99BoundMs: 50,
      maxBatch: 1,
      maxDelayMs: 0,
    });
    expect(load.offeredRate).toBe(10);
    expect(load.latencyMs).toEqual({ mean: 5, p50: 5, p90: 5, p99: 5, min: 5, max: 5 });
    // Ten arrivals, the last at 1 s and done at 1.005 s.
    expect(load.achievedRate).toBeCloseTo(10 / 1.005);
    expect(load.meanBatch).toBe(1);
    expect(load.rejected).toBe(0);
  });

  it('doubles the rate until p99 exceeds the bound, bisects once, and reports the highest sustained rate', async () => {
    const clock = virtualClock();
    // 10 ms a request: at most 100 requests/s; the queue grows past that.
    const result = await runServer({
      submit: fakeServer(clock, 10),
      clock,
      random: seeded(7),
      durationS: 2,
      p99BoundMs: 100,
      maxBatch: 1,
      maxDelayMs: 0,
      startRate: 10,
    });
    const rates = result.loads.map((l) => l.offeredRate);
    expect(rates.slice(0, 4)).toEqual([10, 20, 40, 80]);
    const failed = result.loads.findIndex((l) => l.latencyMs.p99 > 100);
    expect(failed).toBeGreaterThan(0);
    expect(rates).toHaveLength(failed + 2); // the failure, then one bisection
    expect(rates[failed + 1]).toBe((rates[failed - 1] + rates[failed]) / 2);
    const good = result.loads.filter((l) => l.latencyMs.p99 <= 100 && l.rejected === 0).map((l) => l.offeredRate);
    expect(result.sustainedRate).toBe(Math.max(...good));
    expect(result.sustainedRate).toBeLessThan(160);
    expect(result).toMatchObject({ p99BoundMs: 100, maxBatch: 1, maxDelayMs: 0 });
  });

  it('counts rejected requests and never calls a rate with rejections sustained', async () => {
    const clock = virtualClock();
    const result = await runServer({
      submit: fakeServer(clock, 10, 2),
      clock,
      random: evenArrivals,
      durationS: 1,
      p99BoundMs: 1000,
      maxBatch: 1,
      maxDelayMs: 0,
      rates: [50, 200],
    });
    expect(result.loads.map((l) => l.offeredRate)).toEqual([50, 200]);
    expect(result.loads[0].rejected).toBe(0);
    expect(result.loads[1].rejected).toBeGreaterThan(0);
    expect(result.sustainedRate).toBe(50);
  });

  it('stops offering load when aborted', async () => {
    const clock = virtualClock();
    const controller = new AbortController();
    let submitted = 0;
    const load = await offerLoad(100, {
      submit: async () => {
        if (++submitted === 5) controller.abort();
        return { batchSize: 1 };
      },
      clock,
      random: evenArrivals,
      durationS: 10,
      p99BoundMs: 50,
      maxBatch: 1,
      maxDelayMs: 0,
      signal: controller.signal,
    });
    expect(submitted).toBe(5);
    expect(load.latencyMs.max).toBe(0);
  });
});
