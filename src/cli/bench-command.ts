// `joule bench`: parses flags, builds the matrix and hands the report to the renderers.

import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import type { Precision } from '../backends/backend.js';
import { JouleError } from '../core/errors.js';
import { nonNegativeInt, nonNegativeNumber, positiveInt, positiveInts, positiveNumber } from './arguments.js';
import { batcherServerTarget } from '../bench/server-target.js';
import { type MatrixOptions, type PointPlan, type ProgressEvent, runMatrix } from '../bench/matrix.js';
import { renderHtml, renderMarkdown, renderTable } from '../bench/report/index.js';
import { type RuntimeSpec, onGpu, peerSpecs } from '../bench/runtimes.js';
import { type MeasureLimits, defaultLimits } from '../bench/scenarios.js';
import type { BenchReport, Scenario } from '../bench/schema.js';

/** The names --backends takes: joule's backends, then the peers. */
export const benchRuntimes: Readonly<Record<string, RuntimeSpec>> = {
  cpu: { runtime: 'joule', backend: 'cpu' },
  webgpu: { runtime: 'joule', backend: 'webgpu' },
  'webgpu-resident': { runtime: 'joule', backend: 'webgpu-resident' },
  reference: { runtime: 'joule', backend: 'reference' },
  'onnxruntime-node': peerSpecs[0],
  'onnxruntime-web': peerSpecs[1],
};

export interface BenchCommandOptions {
  readonly backends?: string[];
  readonly precision: Precision[];
  readonly batch?: number[];
  readonly scenario: Scenario[];
  readonly duration?: number;
  readonly maxDuration?: number;
  readonly warmup?: number;
  readonly threads?: number;
  readonly json?: string;
  readonly html?: string;
  readonly markdown?: string;
  readonly powerWatts?: number;
  readonly accuracyInputs?: number;
  readonly p99Ms: number;
  readonly maxBatch: number;
  readonly maxDelayMs: number;
  readonly quick?: boolean;
}

function list<T extends string>(allowed: readonly T[], what: string): (value: string) => T[] {
  return (value) => {
    const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
    for (const item of items) {
      if (!(allowed as readonly string[]).includes(item)) {
        throw new JouleError('BAD_ARGUMENT', `unknown ${what} '${item}'; use ${allowed.join(', ')}`);
      }
    }
    return items as T[];
  };
}

export interface GpuProbe {
  readonly adapter?: string;
  /** A software adapter (lavapipe, SwiftShader). */
  readonly software?: boolean;
  readonly reason?: string;
}

/** Whether this machine has a WebGPU adapter (and the reason where it has none). */
export async function probeWebGpu(): Promise<GpuProbe> {
  try {
    const { acquireGpu, releaseGpu } = await import('../backends/webgpu/device.js');
    const context = await acquireGpu();
    const { adapter, software } = context;
    await releaseGpu();
    return { adapter, software };
  } catch (e) {
    return { reason: e instanceof Error ? e.message : String(e) };
  }
}

/** The quick matrix's limits: a couple of warm-up runs and 1.5 s per point. */
export const quickLimits: MeasureLimits = { warmupIterations: 2, warmupMs: 0, minDurationMs: 1500, minIterations: 3, maxDurationMs: 10_000 };

/**
 * The matrix a command line asks for. Default: caffenet and googlenet on every joule backend with an
 * adapter (not reference) and both peers, fp32 and fp16, batch 1 (latency) and the large batch
 * (throughput: 48, or 128 on webgpu). --quick: caffenet, batch 1 and 8, short points; webgpu (slow
 * on a software adapter) at batch 1 fp32 only.
 */
export async function matrixFromOptions(
  models: readonly string[],
  opts: BenchCommandOptions,
  command: string,
  webgpu: () => Promise<GpuProbe> = probeWebGpu,
  note: (line: string) => void = () => undefined,
): Promise<Omit<MatrixOptions, 'signal' | 'onProgress'>> {
  const quick = opts.quick === true;
  let names = opts.backends;
  if (names === undefined) {
    names = ['cpu', 'onnxruntime-node', 'onnxruntime-web'];
    const gpu = await webgpu();
    // A software adapter is a CPU pretending: the full matrix leaves it out (its batch-128 points take
    // many minutes); --quick keeps one point to show the backend works; --backends webgpu asks for it.
    // On a GPU, also the runs with inputs and outputs kept on it (as the study and PyTorch time them).
    if (gpu.adapter !== undefined && gpu.software !== true && !quick) names.splice(1, 0, 'webgpu', 'webgpu-resident');
    else if (gpu.adapter !== undefined && quick) names.splice(1, 0, 'webgpu');
    else if (gpu.adapter !== undefined) note(`webgpu left out: the only adapter is a software one (${gpu.adapter}); --backends webgpu measures it anyway`);
    else note(`webgpu left out: ${gpu.reason ?? 'no adapter'}`);
  }
  const base = quick ? quickLimits : defaultLimits;
  const limits: MeasureLimits = {
    ...base,
    ...(opts.warmup !== undefined ? { warmupIterations: opts.warmup } : {}),
    ...(opts.duration !== undefined ? { minDurationMs: opts.duration * 1000 } : {}),
    ...(opts.maxDuration !== undefined ? { maxDurationMs: opts.maxDuration * 1000 } : {}),
  };
  const quickFilter = (spec: RuntimeSpec, precision: Precision, point: PointPlan): PointPlan | undefined =>
    onGpu(spec) && (point.batch !== 1 || precision !== 'fp32') ? undefined : point;
  return {
    models: models.length > 0 ? models : quick ? ['caffenet'] : ['caffenet', 'googlenet'],
    runtimes: names.map((n) => benchRuntimes[n]),
    precisions: opts.precision,
    scenarios: opts.scenario,
    batches: opts.batch ?? (quick ? [1, 8] : undefined),
    limits,
    pointFilter: quick && opts.backends === undefined ? quickFilter : undefined,
    threads: opts.threads ?? availableParallelism(),
    powerWatts: opts.powerWatts,
    accuracyInputs: opts.accuracyInputs ?? (quick ? 4 : 16),
    server: { p99BoundMs: opts.p99Ms, durationS: opts.duration ?? (quick ? 2 : 10) },
    serverTarget: batcherServerTarget({ maxBatch: opts.maxBatch, maxDelayMs: opts.maxDelayMs }),
    command,
  };
}

/** Progress on stderr: one rewritten line on a terminal, a line per finished point otherwise. */
function progressPrinter(stream: NodeJS.WriteStream): (event: ProgressEvent) => void {
  const tty = stream.isTTY === true;
  const started = performance.now();
  return (event) => {
    const elapsed = ((performance.now() - started) / 1000).toFixed(0);
    if (tty) {
      const width = 20;
      const filled = event.total > 0 ? Math.round((width * event.done) / event.total) : 0;
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${event.done}/${event.total} ${elapsed}s`;
      const line = `${bar} ${event.phase === 'done' ? '' : event.label}`;
      stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 100) - 1)}`);
      return;
    }
    if (event.phase !== 'done' || event.point === undefined) return;
    const p = event.point;
    const result = p.status === 'ok' ? `${(p.imagesPerSecond ?? 0).toFixed(2)} images/s` : `${p.status}: ${p.error ?? ''}`;
    stream.write(`[${event.done}/${event.total} ${elapsed}s] ${event.label}: ${result}\n`);
  };
}

async function writeReports(report: BenchReport, opts: BenchCommandOptions): Promise<void> {
  console.log(renderTable(report));
  const outputs: [string | undefined, () => string][] = [
    [opts.json, () => `${JSON.stringify(report, null, 2)}\n`],
    [opts.markdown, () => renderMarkdown(report)],
    [opts.html, () => renderHtml(report)],
  ];
  for (const [file, render] of outputs) {
    if (file === undefined) continue;
    await writeFile(file, render());
    console.error(`wrote ${file}`);
  }
}

/** The `bench` command, for `program.addCommand(benchCommand())`. */
export function benchCommand(): Command {
  return new Command('bench')
    .description('measure models on joule\'s backends beside onnxruntime-node and onnxruntime-web: images/s, latency percentiles, GFLOP/s, power, fp16 accuracy')
    .argument('[models...]', 'zoo names (caffenet, googlenet, alexnet) or .onnx files (default: caffenet googlenet)')
    .option('--backends <list>', `comma-separated: ${Object.keys(benchRuntimes).join(', ')} (default: cpu, webgpu where an adapter exists, and both peers)`, list(Object.keys(benchRuntimes), 'backend'))
    .option('--precision <list>', 'fp32, fp16 or both', list(['fp32', 'fp16'] as const, 'precision'), ['fp32', 'fp16'] as Precision[])
    .option('--batch <list>', 'batch sizes; 1 is the latency scenario (default: 1 and 48, 128 on webgpu)', positiveInts)
    .addOption(
      new Option('--scenario <list>', 'latency (batch 1, single stream), throughput (offline, large batch), server (Poisson arrivals into the dynamic batcher)')
        .argParser(list(['latency', 'throughput', 'server'] as const, 'scenario'))
        .default(['latency', 'throughput'] as Scenario[], 'latency,throughput'),
    )
    .option('--duration <s>', 'minimum measured seconds per point (per offered rate in the server scenario)', positiveNumber)
    .option('--max-duration <s>', 'measured seconds at most per point', positiveNumber)
    .option('--warmup <n>', 'minimum warm-up iterations', nonNegativeInt)
    .option('-t, --threads <n>', 'threads for every runtime (default: the available cores)', positiveInt)
    .option('--json <file>', 'write the report as JSON')
    .option('--markdown <file>', 'write the report as Markdown')
    .option('--html <file>', 'write the report as an HTML page with charts')
    .option('--power-watts <w>', 'declare the power draw (reported as declared, not measured)', positiveNumber)
    .option('--accuracy-inputs <n>', 'images for the fp16-against-fp32 comparison (0: none)', nonNegativeInt)
    .option('--p99-ms <ms>', 'the server scenario\'s p99 latency bound', positiveNumber, 100)
    .option('--max-batch <n>', 'the server scenario\'s dynamic batcher: most requests in a batch', positiveInt, 8)
    .option('--max-delay-ms <ms>', 'the server scenario\'s dynamic batcher: longest a request waits for its batch to fill', nonNegativeNumber, 5)
    .option('--quick', 'a short run: caffenet, batch 1 and 8, 1.5 s per point')
    .action(async (models: string[], opts: BenchCommandOptions) => {
      const options = await matrixFromOptions(models, opts, `joule ${process.argv.slice(2).join(' ')}`.trim(), probeWebGpu, (l) => console.error(l));
      const controller = new AbortController();
      let interrupts = 0;
      const onSigint = (): void => {
        interrupts++;
        if (interrupts > 1) process.exit(130);
        console.error('\ninterrupted: finishing the current point and reporting what was measured (Ctrl-C again to quit at once)');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      const tty = process.stderr.isTTY === true;
      let report: BenchReport;
      try {
        report = await runMatrix({ ...options, signal: controller.signal, onProgress: progressPrinter(process.stderr) });
      } finally {
        process.off('SIGINT', onSigint);
        if (tty) process.stderr.write('\r\x1b[2K');
      }
      await writeReports(report, opts);
      if (report.interrupted) process.exitCode = 130;
    });
}
