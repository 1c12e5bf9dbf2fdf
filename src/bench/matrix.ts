// The matrix of `joule bench`: models x runtimes x precisions x scenarios, measured one point at a time,
// runtimes alternated (A B C, then C B A) and each model's sessions disposed after their points.

import type { Precision } from '../backends/backend.js';
import { compareOutputs } from './accuracy.js';
import { type Clock, systemClock } from './clock.js';
import { machineInfo } from './machine.js';
import { type MeterChoice, type PowerReading, declaredPower, detectMeter, notMeasured, powerResult } from './meters.js';
import { referenceRows } from './reference.js';
import { batcherServerTarget } from './server-target.js';
import {
  type MeasureLimits,
  type Measurement,
  type ServerTargetFactory,
  defaultLimits,
  measure,
  runServer,
} from './scenarios.js';
import {
  type BenchModel,
  type LoadedRuntime,
  type RuntimeLoader,
  type RuntimeSpec,
  isSkip,
  loadBenchModel,
  loadRuntime,
  onGpu,
  specLabel,
} from './runtimes.js';
import {
  type AccuracyResult,
  type BenchPoint,
  type BenchReport,
  type PowerResult,
  type RuntimeId,
  type Scenario,
  benchSchemaVersion,
} from './schema.js';

/** One point to run: its scenario, batch and measuring limits. */
export interface PointPlan {
  readonly scenario: Scenario;
  readonly batch: number;
  readonly limits: MeasureLimits;
}

/** The server scenario's search settings (the batcher's own settings come from its target). */
export interface ServerPlan {
  readonly p99BoundMs: number;
  /** Seconds of arrivals per offered rate. */
  readonly durationS: number;
  readonly rates?: readonly number[];
  readonly startRate?: number;
  readonly maxRate?: number;
}

export interface MatrixOptions {
  /** Zoo names or model files. */
  readonly models: readonly string[];
  readonly runtimes: readonly RuntimeSpec[];
  readonly precisions: readonly Precision[];
  readonly scenarios: readonly Scenario[];
  /** Batch sizes; 1 is the latency scenario's. Default: 1 and `largeBatch(spec)`. */
  readonly batches?: readonly number[];
  /** The throughput batch where `batches` is not given (default: 128 on webgpu, 48 elsewhere). */
  readonly largeBatch?: (spec: RuntimeSpec) => number;
  readonly limits?: MeasureLimits;
  /** Adjusts or drops (undefined) a runtime's points, e.g. fewer on a slow software GPU. */
  readonly pointFilter?: (spec: RuntimeSpec, precision: Precision, point: PointPlan) => PointPlan | undefined;
  readonly threads: number;
  /** Declared wattage (--power-watts): every point's power is labelled declared. */
  readonly powerWatts?: number;
  /** The meter for a backend (default detectMeter); asked once per backend. */
  readonly meterFor?: (spec: RuntimeSpec) => Promise<MeterChoice>;
  /** fp16 against fp32 on this many images per joule backend, where both precisions run (0: none). */
  readonly accuracyInputs?: number;
  readonly server?: ServerPlan;
  /** What the server scenario runs against (default: joule's dynamic batcher, max batch 8, max delay 5 ms). */
  readonly serverTarget?: ServerTargetFactory;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** The command line recorded in the report. */
  readonly command: string;
  readonly clock?: Clock;
  readonly loadModel?: (source: string) => Promise<BenchModel>;
  readonly loadRuntime?: RuntimeLoader;
  readonly random?: () => number;
}

export interface ProgressEvent {
  /** Points finished so far and planned in all (skipped ones included). */
  readonly done: number;
  readonly total: number;
  /** 'model caffenet: building', 'caffenet joule cpu fp32 b1 latency', ... */
  readonly label: string;
  readonly phase: 'loading' | 'measuring' | 'done';
  /** With phase 'done': the point just finished. */
  readonly point?: BenchPoint;
}

export const defaultServerPlan: ServerPlan = { p99BoundMs: 100, durationS: 10 };

const defaultLargeBatch = (spec: RuntimeSpec): number => (onGpu(spec) ? 128 : 48);

/** The points of one runtime at one precision, in order: latency, throughput, then server. */
export function planPoints(options: MatrixOptions, spec: RuntimeSpec, precision: Precision): PointPlan[] {
  const limits = options.limits ?? defaultLimits;
  const batches = options.batches ?? [1, (options.largeBatch ?? defaultLargeBatch)(spec)];
  const plans: PointPlan[] = [];
  const has = (s: Scenario): boolean => options.scenarios.includes(s);
  if (has('latency')) plans.push({ scenario: 'latency', batch: 1, limits });
  if (has('throughput')) {
    const large = has('latency') ? batches.filter((b) => b !== 1) : batches;
    for (const batch of [...new Set(large)]) plans.push({ scenario: 'throughput', batch, limits });
  }
  // The server point's batch becomes the batcher's maxBatch once it runs.
  if (has('server')) plans.push({ scenario: 'server', batch: 1, limits });
  return plans.flatMap((p) => {
    const kept = options.pointFilter === undefined ? p : options.pointFilter(spec, precision, p);
    return kept === undefined ? [] : [kept];
  });
}

interface Loaded {
  readonly spec: RuntimeSpec;
  readonly plans: readonly PointPlan[];
  readonly runtime?: LoadedRuntime;
  readonly skipped?: { readonly status: 'skipped' | 'failed'; readonly error: string };
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Runs the matrix and returns the report; with the signal aborted it returns what was measured, `interrupted`. */
export async function runMatrix(options: MatrixOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const clock = options.clock ?? systemClock;
  const loadModelFn = options.loadModel ?? loadBenchModel;
  const loadRuntimeFn = options.loadRuntime ?? loadRuntime;
  const meterFor = options.meterFor ?? ((spec: RuntimeSpec) => detectMeter(onGpu(spec) ? 'webgpu' : spec.backend));
  const serverTarget = options.serverTarget ?? batcherServerTarget({ maxBatch: 8, maxDelayMs: 5 });
  const accuracyInputs = options.accuracyInputs ?? 0;
  const aborted = (): boolean => options.signal?.aborted === true;
  const points: BenchPoint[] = [];
  const accuracy: AccuracyResult[] = [];
  const meters = new Map<string, Promise<MeterChoice>>();
  let gpu: string | undefined;
  let interrupted = false;

  const total =
    options.models.length *
    options.precisions.reduce((n, p) => n + options.runtimes.reduce((m, spec) => m + planPoints(options, spec, p).length, 0), 0);
  const progress = (event: Omit<ProgressEvent, 'done' | 'total'>): void => options.onProgress?.({ ...event, done: points.length, total });

  const record = (point: BenchPoint): void => {
    points.push(point);
    progress({ label: pointLabel(point.model, point.runtime, point.precision, point.batch, point.scenario), phase: 'done', point });
  };

  const powerOf = async (spec: RuntimeSpec): Promise<MeterChoice> => {
    const key = onGpu(spec) ? 'gpu' : 'cpu';
    let choice = meters.get(key);
    if (choice === undefined) {
      choice = meterFor(spec).catch((e: unknown) => ({ reason: `the meter failed: ${errorText(e)}` }));
      meters.set(key, choice);
    }
    return choice;
  };

  models: for (const source of options.models) {
    if (aborted()) break;
    progress({ label: `model ${source}: building`, phase: 'loading' });
    let model: BenchModel;
    try {
      model = await loadModelFn(source);
    } catch (e) {
      for (const precision of options.precisions) {
        for (const spec of options.runtimes) {
          for (const plan of planPoints(options, spec, precision)) {
            record(skippedPoint(source, idOf(spec), precision, plan, 'failed', `the model could not be loaded: ${errorText(e)}`));
          }
        }
      }
      continue;
    }
    // fp32 scores per joule backend, kept for the fp16 comparison.
    const fp32Scores = new Map<string, { id: RuntimeId; scores: Float32Array[] }>();
    for (const precision of options.precisions) {
      if (aborted()) break models;
      const loaded: Loaded[] = [];
      try {
        for (const spec of options.runtimes) {
          const plans = planPoints(options, spec, precision);
          if (plans.length === 0) continue;
          if (aborted()) break;
          progress({ label: `${model.name}: loading ${specLabel(spec)} ${precision}`, phase: 'loading' });
          try {
            loaded.push({ spec, plans, runtime: await loadRuntimeFn(spec, model, precision, options.threads) });
          } catch (e) {
            loaded.push({ spec, plans, skipped: { status: isSkip(e) ? 'skipped' : 'failed', error: errorText(e) } });
          }
        }
        // Round r runs every runtime's r-th point, alternating the runtimes' order from round to round.
        const rounds = Math.max(0, ...loaded.map((l) => l.plans.length));
        for (let r = 0; r < rounds && !interrupted; r++) {
          const order = r % 2 === 0 ? loaded : [...loaded].reverse();
          for (const entry of order) {
            const plan = entry.plans[r];
            if (plan === undefined) continue;
            if (aborted()) {
              interrupted = true;
              break;
            }
            const id = entry.runtime?.id ?? idOf(entry.spec);
            if (entry.skipped !== undefined) {
              record(skippedPoint(model.name, id, precision, plan, entry.skipped.status, entry.skipped.error));
              continue;
            }
            const runtime = entry.runtime!;
            progress({ label: pointLabel(model.name, id, precision, plan.batch, plan.scenario), phase: 'measuring' });
            const point =
              plan.scenario === 'server'
                ? await serverPoint(model, entry.spec, runtime, precision, options, serverTarget, clock)
                : await measuredPoint(model, entry.spec, runtime, precision, plan, options, clock, await powerOf(entry.spec));
            if (point.status === 'ok' && onGpu(entry.spec) && gpu === undefined) gpu = await runtime.device?.();
            if (point.interrupted === true) interrupted = true;
            // A point stopped before its measured window holds nothing worth reporting.
            if (point.interrupted !== true || point.status === 'ok') record(point);
          }
        }
        if (!interrupted && !aborted() && accuracyInputs > 0 && options.precisions.includes('fp32') && options.precisions.includes('fp16')) {
          for (const entry of loaded) {
            const runtime = entry.runtime;
            if (runtime?.classify === undefined || aborted()) continue;
            progress({ label: `${model.name}: accuracy ${specLabel(entry.spec)} ${precision}`, phase: 'measuring' });
            try {
              const scores = await runtime.classify(accuracyInputs);
              const key = specLabel(entry.spec);
              if (precision === 'fp32') fp32Scores.set(key, { id: runtime.id, scores });
              const reference = fp32Scores.get(key);
              if (precision === 'fp16' && reference !== undefined) accuracy.push(compareOutputs(model.name, runtime.id, reference.scores, scores));
            } catch {
              // A runtime that cannot run here was already reported by its points.
            }
          }
        }
      } finally {
        for (const entry of loaded) await entry.runtime?.dispose().catch(() => undefined);
      }
      if (interrupted) break models;
    }
  }
  return {
    schemaVersion: benchSchemaVersion,
    tool: 'joule bench',
    startedAt,
    command: options.command,
    machine: machineInfo(gpu),
    points,
    accuracy,
    reference: referenceRows,
    interrupted: interrupted || aborted(),
  };
}

const idOf = (spec: RuntimeSpec): RuntimeId => ({ runtime: spec.runtime, backend: spec.backend, version: 'unknown' });

/** 'caffenet joule cpu fp32 b1 latency'. */
export function pointLabel(model: string, id: RuntimeId, precision: Precision, batch: number, scenario: Scenario): string {
  return `${model} ${id.runtime} ${id.backend} ${precision}${scenario === 'server' ? '' : ` b${batch}`} ${scenario}`;
}

function skippedPoint(model: string, runtime: RuntimeId, precision: Precision, plan: PointPlan, status: 'skipped' | 'failed', error: string): BenchPoint {
  return { model, runtime, precision, batch: plan.batch, scenario: plan.scenario, status, error };
}

async function measuredPoint(
  model: BenchModel,
  spec: RuntimeSpec,
  runtime: LoadedRuntime,
  precision: Precision,
  plan: PointPlan,
  options: MatrixOptions,
  clock: Clock,
  meterChoice: MeterChoice,
): Promise<BenchPoint> {
  const base = { model: model.name, runtime: runtime.id, precision, batch: plan.batch, scenario: plan.scenario };
  const meter = options.powerWatts === undefined && 'meter' in meterChoice ? meterChoice.meter : undefined;
  let reading: PowerReading | undefined;
  let meterError: string | undefined;
  let m: Measurement;
  try {
    const target = await runtime.prepare(plan.batch);
    m = await measure(target, plan.batch, {
      limits: plan.limits,
      clock,
      signal: options.signal,
      window:
        meter === undefined
          ? undefined
          : {
              start: () => meter.start(),
              stop: async () => {
                try {
                  reading = await meter.stop();
                } catch (e) {
                  meterError = errorText(e);
                }
              },
            },
    });
  } catch (e) {
    return { ...base, status: isSkip(e) ? 'skipped' : 'failed', error: errorText(e) };
  }
  const warnings = await runtime.warnings().catch(() => []);
  if (m.iterations === 0) {
    return { ...base, status: 'skipped', error: 'interrupted before the measured window', interrupted: true, warmupIterations: m.warmupIterations };
  }
  let power: PowerResult;
  if (options.powerWatts !== undefined) power = declaredPower(options.powerWatts, m.imagesPerSecond);
  else if (reading !== undefined && meter !== undefined) {
    power = powerResult({ source: 'measured', meter: meter.name, scope: meter.scope }, reading.averageWatts, m.imagesPerSecond, reading.samples);
  } else power = notMeasured(meterError ?? ('reason' in meterChoice ? meterChoice.reason : 'no meter'));
  return {
    ...base,
    status: 'ok',
    imagesPerSecond: m.imagesPerSecond,
    latencyMs: m.latencyMs,
    iterations: m.iterations,
    durationS: m.durationS,
    warmupIterations: m.warmupIterations,
    gflops: (2 * model.macs * m.imagesPerSecond) / 1e9,
    power,
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(m.interrupted ? { interrupted: true } : {}),
  };
}

async function serverPoint(
  model: BenchModel,
  spec: RuntimeSpec,
  runtime: LoadedRuntime,
  precision: Precision,
  options: MatrixOptions,
  factory: ServerTargetFactory,
  clock: Clock,
): Promise<BenchPoint> {
  const base = { model: model.name, runtime: runtime.id, precision, batch: 1, scenario: 'server' as const };
  let target;
  try {
    target = await factory({ model: model.name, runtime: spec.runtime, backend: spec.backend, precision, loaded: runtime });
  } catch (e) {
    return { ...base, status: isSkip(e) ? 'skipped' : 'failed', error: errorText(e) };
  }
  if (target === undefined) return { ...base, status: 'skipped', error: `the server scenario does not serve ${specLabel(spec)}` };
  try {
    const plan = options.server ?? defaultServerPlan;
    const result = await runServer({
      submit: target.submit,
      maxBatch: target.maxBatch,
      maxDelayMs: target.maxDelayMs,
      p99BoundMs: plan.p99BoundMs,
      durationS: plan.durationS,
      rates: plan.rates,
      startRate: plan.startRate,
      maxRate: plan.maxRate,
      clock,
      random: options.random,
      signal: options.signal,
    });
    const best = result.loads.find((l) => l.offeredRate === result.sustainedRate);
    const warnings = await runtime.warnings().catch(() => []);
    return {
      ...base,
      batch: target.maxBatch,
      status: 'ok',
      server: result,
      ...(best !== undefined ? { imagesPerSecond: best.achievedRate, latencyMs: best.latencyMs, gflops: (2 * model.macs * best.achievedRate) / 1e9 } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(options.signal?.aborted === true ? { interrupted: true } : {}),
    };
  } catch (e) {
    return { ...base, status: 'failed', error: errorText(e) };
  } finally {
    await target.close().catch(() => undefined);
  }
}
