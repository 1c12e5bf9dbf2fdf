import { describe, expect, it } from 'vitest';
import { type VirtualClock, virtualClock } from '../../src/bench/clock.js';
import { type MatrixOptions, type ProgressEvent, planPoints, runMatrix } from '../../src/bench/matrix.js';
import { validateReport } from '../../src/bench/report/index.js';
import { type BenchModel, type LoadedRuntime, type RuntimeLoader, SkipPoint } from '../../src/bench/runtimes.js';
import type { MeasureLimits, ServerTargetFactory } from '../../src/bench/scenarios.js';

const limits: MeasureLimits = { warmupIterations: 2, warmupMs: 0, minDurationMs: 100, minIterations: 3, maxDurationMs: 1000 };

const tinyModel = async (name: string): Promise<BenchModel> => ({ name, bytes: new Uint8Array(), inputs: [], macs: 1e6 });

/** Fake runtimes: joule cpu takes 10 ms per image (fp16 8 ms), onnxruntime-node 5 ms, onnxruntime-web is not installed. */
function fakeLoader(clock: VirtualClock) {
  const disposed: string[] = [];
  const loaded: string[] = [];
  const loader: RuntimeLoader = async (spec, _model, precision) => {
    if (spec.runtime === 'onnxruntime-web') throw new SkipPoint('onnxruntime-web is not installed');
    if (spec.runtime !== 'joule' && precision !== 'fp32') throw new SkipPoint(`${spec.runtime} runs the fp32 model only`);
    const label = `${spec.runtime} ${spec.backend} ${precision}`;
    loaded.push(label);
    const perImage = spec.runtime === 'joule' ? (precision === 'fp16' ? 8 : 10) : 5;
    const runtime: LoadedRuntime = {
      id: { runtime: spec.runtime, backend: spec.backend, version: '1.0.0' },
      prepare: async (batch) => ({ run: async () => clock.advance(perImage * batch) }),
      warnings: async () => (precision === 'fp16' ? ['fp16 weights widened to fp32 for one layer'] : []),
      dispose: async () => void disposed.push(label),
      ...(spec.runtime === 'joule'
        ? { classify: async (n: number) => Array.from({ length: n }, (_, i) => Float32Array.from([i % 2, 1 - (i % 2), precision === 'fp16' ? 0.01 : 0])) }
        : {}),
    };
    return runtime;
  };
  return { loader, disposed, loaded };
}

function options(clock: VirtualClock, loader: RuntimeLoader, extra: Partial<MatrixOptions> = {}): MatrixOptions {
  return {
    models: ['tiny'],
    runtimes: [
      { runtime: 'joule', backend: 'cpu' },
      { runtime: 'onnxruntime-node', backend: 'cpu' },
      { runtime: 'onnxruntime-web', backend: 'wasm' },
    ],
    precisions: ['fp32', 'fp16'],
    scenarios: ['latency', 'throughput'],
    batches: [1, 4],
    limits,
    threads: 2,
    accuracyInputs: 4,
    command: 'joule bench tiny',
    clock,
    loadModel: tinyModel,
    loadRuntime: loader,
    meterFor: async () => ({ reason: 'no CPU power meter: no RAPL powercap interface' }),
    ...extra,
  };
}

describe('the matrix runner', () => {
  it('produces a report in the schema, skipped peers included, sessions disposed', async () => {
    const clock = virtualClock();
    const { loader, disposed, loaded } = fakeLoader(clock);
    const events: ProgressEvent[] = [];
    const report = await runMatrix(options(clock, loader, { onProgress: (e) => events.push(e) }));
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual([]);
    expect(report).toMatchObject({ schemaVersion: 1, tool: 'joule bench', command: 'joule bench tiny', interrupted: false });
    expect(report.points).toHaveLength(3 * 2 * 2);
    const summary = report.points.map((p) => `${p.runtime.runtime} ${p.precision} b${p.batch} ${p.scenario} ${p.status}`);
    expect(summary).toContain('joule fp32 b1 latency ok');
    expect(summary).toContain('joule fp16 b4 throughput ok');
    expect(summary).toContain('onnxruntime-node fp32 b4 throughput ok');
    expect(summary).toContain('onnxruntime-node fp16 b1 latency skipped');
    expect(summary).toContain('onnxruntime-web fp32 b1 latency skipped');
    const web = report.points.find((p) => p.runtime.runtime === 'onnxruntime-web')!;
    expect(web.error).toBe('onnxruntime-web is not installed');

    const jouleB4 = report.points.find((p) => p.runtime.runtime === 'joule' && p.precision === 'fp32' && p.batch === 4)!;
    expect(jouleB4.imagesPerSecond).toBeCloseTo(100);
    expect(jouleB4.latencyMs?.p50).toBe(40);
    expect(jouleB4.gflops).toBeCloseTo((2 * 1e6 * 100) / 1e9);
    expect(jouleB4.warmupIterations).toBe(2);
    expect(jouleB4.power).toEqual({ source: 'not-measured', reason: 'no CPU power meter: no RAPL powercap interface' });
    const fp16 = report.points.find((p) => p.runtime.runtime === 'joule' && p.precision === 'fp16')!;
    expect(fp16.warnings).toEqual(['fp16 weights widened to fp32 for one layer']);

    expect(report.accuracy).toHaveLength(1);
    expect(report.accuracy[0]).toMatchObject({ model: 'tiny', inputs: 4, top1Agreement: 1, top5Agreement: 1 });
    expect(report.reference.some((r) => r.approximate === true)).toBe(true);
    expect(report.machine.cores).toBeGreaterThan(0);

    expect([...disposed].sort()).toEqual([...loaded].sort());
    expect(events.filter((e) => e.phase === 'done').at(-1)).toMatchObject({ done: 12, total: 12 });
  });

  it('alternates the runtimes from round to round', async () => {
    const clock = virtualClock();
    const { loader } = fakeLoader(clock);
    const report = await runMatrix(options(clock, loader, { precisions: ['fp32'] }));
    expect(report.points.map((p) => `${p.runtime.runtime} b${p.batch}`)).toEqual([
      'joule b1',
      'onnxruntime-node b1',
      'onnxruntime-web b1',
      'onnxruntime-web b4',
      'onnxruntime-node b4',
      'joule b4',
    ]);
  });

  it('labels declared power as declared', async () => {
    const clock = virtualClock();
    const { loader } = fakeLoader(clock);
    const report = await runMatrix(options(clock, loader, { precisions: ['fp32'], powerWatts: 50 }));
    const p = report.points.find((x) => x.status === 'ok' && x.batch === 1 && x.runtime.runtime === 'joule')!;
    expect(p.power).toMatchObject({ source: 'declared', meter: 'declared', averageWatts: 50, joulesPerImage: 0.5, imagesPerSecondPerWatt: 2 });
  });

  it('stops at Ctrl-C, keeping the partial point, marked interrupted', async () => {
    const clock = virtualClock();
    const controller = new AbortController();
    const { loader, disposed, loaded } = fakeLoader(clock);
    const report = await runMatrix(
      options(clock, loader, {
        signal: controller.signal,
        loadRuntime: async (spec, model, precision, threads) => {
          const r = await loader(spec, model, precision, threads);
          if (spec.runtime !== 'onnxruntime-node') return r;
          // Ctrl-C during onnxruntime-node's first point, after 2 warm-up and 2 measured runs.
          let runs = 0;
          const run = async (batch: number): Promise<void> => {
            clock.advance(5 * batch);
            if (++runs === 4) controller.abort();
          };
          return { ...r, prepare: async (batch: number) => ({ run: () => run(batch) }) };
        },
      }),
    );
    expect(report.interrupted).toBe(true);
    expect(report.points.length).toBeLessThan(12);
    const last = report.points.at(-1)!;
    expect(last.interrupted).toBe(true);
    expect(last.runtime.runtime).toBe('onnxruntime-node');
    expect(last.iterations).toBe(2);
    expect([...disposed].sort()).toEqual([...loaded].sort());
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual([]);
  });

  it('runs server points against a target, skipping runtimes it does not serve', async () => {
    const clock = virtualClock();
    const { loader } = fakeLoader(clock);
    const base = options(clock, loader, { precisions: ['fp32'], scenarios: ['server'], server: { p99BoundMs: 50, durationS: 1, rates: [10, 20] } });
    // The default target, joule's batcher, needs a joule Session; these fakes have none.
    const without = await runMatrix(base);
    expect(without.points.map((p) => p.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(without.points[0].error).toMatch(/does not serve joule/);

    const target: ServerTargetFactory = async (ctx) =>
      ctx.runtime !== 'joule'
        ? undefined
        : { submit: async () => (await clock.sleep(5), { batchSize: 2 }), maxBatch: 8, maxDelayMs: 2, close: async () => undefined };
    const withTarget = await runMatrix({ ...base, serverTarget: target, random: () => 1 - Math.exp(-1) });
    const served = withTarget.points[0];
    expect(served).toMatchObject({ status: 'ok', scenario: 'server', batch: 8 });
    expect(served.server).toMatchObject({ p99BoundMs: 50, maxBatch: 8, maxDelayMs: 2, sustainedRate: 20 });
    expect(served.server!.loads.map((l) => l.meanBatch)).toEqual([2, 2]);
    expect(withTarget.points[1]).toMatchObject({ status: 'skipped', error: 'the server scenario does not serve onnxruntime-node cpu' });
    expect(validateReport(JSON.parse(JSON.stringify(withTarget)))).toEqual([]);
  });

  it('plans batch 1 as latency and the others as throughput, 128 on webgpu by default', () => {
    const o = options(virtualClock(), fakeLoader(virtualClock()).loader, { batches: undefined });
    expect(planPoints(o, { runtime: 'joule', backend: 'webgpu' }, 'fp32').map((p) => `${p.scenario} ${p.batch}`)).toEqual(['latency 1', 'throughput 128']);
    expect(planPoints(o, { runtime: 'joule', backend: 'cpu' }, 'fp32').map((p) => `${p.scenario} ${p.batch}`)).toEqual(['latency 1', 'throughput 48']);
    const only = { ...o, scenarios: ['throughput' as const], batches: [1, 16] };
    expect(planPoints(only, { runtime: 'joule', backend: 'cpu' }, 'fp32').map((p) => `${p.scenario} ${p.batch}`)).toEqual(['throughput 1', 'throughput 16']);
  });
});
