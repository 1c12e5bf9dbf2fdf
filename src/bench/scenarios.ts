// The scenarios of `joule bench`, after MLPerf Inference: single stream (latency, batch 1), offline
// (throughput at a large batch) and server (Poisson arrivals into a dynamic batcher, searched for the
// highest rate whose p99 latency stays under a bound). Runtimes, clock and randomness are injected.

import type { Clock } from './clock.js';
import type { LoadedRuntime } from './runtimes.js';
import { latencyStats } from './stats.js';
import type { LatencyStats, ServerLoadPoint, ServerResult } from './schema.js';

/** A runtime prepared for one batch size: each call runs one batch. */
export interface BatchTarget {
  run(): Promise<void>;
}

/** When warm-up ends and how long a point is measured. */
export interface MeasureLimits {
  /** Warm-up runs at least this many iterations (past V8's baseline tier and pipeline compilation)... */
  readonly warmupIterations: number;
  /** ...and at least this long. */
  readonly warmupMs: number;
  /** The measured window lasts at least this long... */
  readonly minDurationMs: number;
  /** ...and at least this many iterations... */
  readonly minIterations: number;
  /** ...unless it reaches this cap first. */
  readonly maxDurationMs: number;
}

export const defaultLimits: MeasureLimits = {
  warmupIterations: 3,
  warmupMs: 1000,
  minDurationMs: 5000,
  minIterations: 10,
  maxDurationMs: 60_000,
};

/** Called around the measured window only (a power meter: never sampled during warm-up). */
export interface MeasureWindow {
  start(): void;
  stop(): Promise<void>;
}

export interface MeasureOptions {
  readonly limits: MeasureLimits;
  readonly clock: Clock;
  /** Stops the scenario early (Ctrl-C): what was measured so far comes back, marked interrupted. */
  readonly signal?: AbortSignal;
  readonly window?: MeasureWindow;
}

export interface Measurement {
  readonly batch: number;
  readonly warmupIterations: number;
  readonly iterations: number;
  /** Seconds of the measured window. */
  readonly durationS: number;
  /** Per-batch latency over the measured iterations. */
  readonly latencyMs: LatencyStats;
  readonly imagesPerSecond: number;
  /** True when the signal stopped the scenario before its limits were met. */
  readonly interrupted: boolean;
}

/** Milliseconds between turns given to the event loop (Ctrl-C, progress), outside any timed run. */
const yieldEveryMs = 100;

/** Runs warm-up, then times each batch until the limits are met; `batch` images per run. */
export async function measure(target: BatchTarget, batch: number, options: MeasureOptions): Promise<Measurement> {
  const { limits, clock, signal } = options;
  const aborted = (): boolean => signal?.aborted === true;
  // A runtime whose runs settle in microtasks would starve the event loop, and with it the SIGINT handler.
  let lastYield = clock.now();
  const yieldNow = async (): Promise<void> => {
    if (clock.now() - lastYield < yieldEveryMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    lastYield = clock.now();
  };
  let warmup = 0;
  const warmupStart = clock.now();
  while (!aborted() && (warmup < limits.warmupIterations || clock.now() - warmupStart < limits.warmupMs)) {
    await target.run();
    warmup++;
    await yieldNow();
  }
  const samples: number[] = [];
  const start = clock.now();
  let end = start;
  options.window?.start();
  try {
    while (!aborted()) {
      const t0 = clock.now();
      await target.run();
      end = clock.now();
      samples.push(end - t0);
      const elapsed = end - start;
      if (elapsed >= limits.maxDurationMs) break;
      if (elapsed >= limits.minDurationMs && samples.length >= limits.minIterations) break;
      await yieldNow();
    }
  } finally {
    await options.window?.stop();
  }
  const durationS = (end - start) / 1000;
  return {
    batch,
    warmupIterations: warmup,
    iterations: samples.length,
    durationS,
    latencyMs: latencyStats(samples),
    imagesPerSecond: durationS > 0 ? (samples.length * batch) / durationS : 0,
    interrupted: aborted(),
  };
}

/** Single stream: one image at a time, latency percentiles (MLPerf's SingleStream). */
export function runLatency(target: BatchTarget, options: MeasureOptions): Promise<Measurement> {
  return measure(target, 1, options);
}

/** Offline: batches of `batch` back to back, images per second (MLPerf's Offline). */
export function runThroughput(target: BatchTarget, batch: number, options: MeasureOptions): Promise<Measurement> {
  return measure(target, batch, options);
}

// ---------------------------------------------------------------------------------------------------
// Server

/** One request into the server under test; resolves with the size of the batch that served it, rejects when refused. */
export type Submit = () => Promise<{ readonly batchSize: number }>;

export interface ServerOptions {
  readonly submit: Submit;
  readonly p99BoundMs: number;
  /** The batcher's configuration, recorded in the result. */
  readonly maxBatch: number;
  readonly maxDelayMs: number;
  /** Seconds of arrivals at each offered rate. */
  readonly durationS: number;
  readonly clock: Clock;
  /** Uniform in [0, 1) (default Math.random); inter-arrival times are exponential from it. */
  readonly random?: () => number;
  /** The offered rates to try, requests/s; without them: start at `startRate`, double until failure, bisect once. */
  readonly rates?: readonly number[];
  readonly startRate?: number;
  /** The doubling search stops here (default 100000/s). */
  readonly maxRate?: number;
  readonly signal?: AbortSignal;
}

/** Offers Poisson arrivals at `rate` requests/s for `durationS` and measures each request's end-to-end latency. */
export async function offerLoad(rate: number, options: ServerOptions): Promise<ServerLoadPoint> {
  const { clock, submit, signal } = options;
  const aborted = (): boolean => signal?.aborted === true;
  const random = options.random ?? Math.random;
  const durationMs = options.durationS * 1000;
  const latencies: number[] = [];
  const batchSizes: number[] = [];
  let rejected = 0;
  const pending: Promise<void>[] = [];
  const start = clock.now();
  let arrival = 0;
  while (!aborted()) {
    // Exponential inter-arrival time: -ln(1 - U) / rate, U uniform in [0, 1).
    arrival += (-Math.log(1 - random()) / rate) * 1000;
    if (arrival > durationMs) break;
    await clock.sleep(start + arrival - clock.now(), signal);
    if (aborted()) break;
    // Latency counts from the scheduled arrival, so a load generator falling behind shows as latency.
    const scheduled = start + arrival;
    pending.push(
      submit().then(
        ({ batchSize }) => {
          latencies.push(clock.now() - scheduled);
          batchSizes.push(batchSize);
        },
        () => {
          rejected++;
        },
      ),
    );
  }
  await Promise.all(pending);
  const elapsedS = Math.max(options.durationS, (clock.now() - start) / 1000);
  return {
    offeredRate: rate,
    achievedRate: elapsedS > 0 ? latencies.length / elapsedS : 0,
    latencyMs: latencyStats(latencies),
    meanBatch: batchSizes.length > 0 ? batchSizes.reduce((a, b) => a + b, 0) / batchSizes.length : 0,
    rejected,
  };
}

const sustains = (load: ServerLoadPoint, bound: number): boolean =>
  load.rejected === 0 && load.achievedRate > 0 && load.latencyMs.p99 <= bound;

/**
 * The server scenario: offered rates tried in turn (given, or from `startRate` doubling until the p99
 * exceeds the bound or a request is rejected, then one bisection between the last good and the first bad
 * rate). `sustainedRate` is the highest offered rate with p99 under the bound and nothing rejected.
 */
export async function runServer(options: ServerOptions): Promise<ServerResult> {
  const loads: ServerLoadPoint[] = [];
  const bound = options.p99BoundMs;
  const aborted = (): boolean => options.signal?.aborted === true;
  if (options.rates !== undefined) {
    for (const rate of options.rates) {
      if (aborted()) break;
      loads.push(await offerLoad(rate, options));
    }
  } else {
    const maxRate = options.maxRate ?? 100_000;
    let rate = options.startRate ?? 1;
    let good: number | undefined;
    let bad: number | undefined;
    while (!aborted() && rate <= maxRate) {
      const load = await offerLoad(rate, options);
      loads.push(load);
      if (!sustains(load, bound)) {
        bad = rate;
        break;
      }
      good = rate;
      rate *= 2;
    }
    if (!aborted() && good !== undefined && bad !== undefined) loads.push(await offerLoad((good + bad) / 2, options));
  }
  const sustained = loads.filter((l) => sustains(l, bound)).map((l) => l.offeredRate);
  return {
    p99BoundMs: bound,
    maxBatch: options.maxBatch,
    maxDelayMs: options.maxDelayMs,
    loads,
    sustainedRate: sustained.length > 0 ? Math.max(...sustained) : 0,
  };
}

/** What the server scenario runs against: a dynamic batcher in front of a loaded runtime. */
export interface ServerTarget {
  readonly submit: Submit;
  readonly maxBatch: number;
  readonly maxDelayMs: number;
  /** Stops the batcher; the runtime itself is disposed by the matrix. */
  close(): Promise<void>;
}

/** What a server target is built from: the point's model and the runtime loaded for it. */
export interface ServerTargetContext {
  readonly model: string;
  readonly runtime: string;
  readonly backend: string;
  readonly precision: 'fp32' | 'fp16';
  /** The loaded runtime (for joule, `session` is the Session). */
  readonly loaded: LoadedRuntime;
}

/** Builds a server target for a point, or undefined where it cannot serve that runtime. */
export type ServerTargetFactory = (context: ServerTargetContext) => Promise<ServerTarget | undefined>;
