/**
 * The cpu backend beside onnxruntime-node and onnxruntime-web (WebAssembly SIMD), in one run: CaffeNet and
 * GoogLeNet at batch 1 and 48, runtimes alternated (A B C A B C), median of the timed runs after warm-up.
 * onnxruntime-web is timed after the others at each point, in a block of its own: whichever runtime ran
 * right after one of its runs was slowed, onnxruntime-node as much as joule (at batch 1 CaffeNet 15 -> 23
 * ms, GoogLeNet 29 -> 42 ms for onnxruntime-node), its workers still busy after the run resolves.
 * GFLOP/s counts 2 FLOP per multiply-add; the share of peak is against this machine class's measured wasm
 * SIMD peak with relaxed_madd on `--threads` threads (BENCHMARKING.md: about 45 GFLOP/s per core).
 *
 *   npm run bench:cpu [-- --runs 5 --models caffenet,googlenet --batches 1,48 --threads 2 --no-web --fp16 --profile]
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { hasRelaxedSimd } from '../src/backends/cpu/kernels.js';
import { type BenchModel, type LoadedRuntime, loadRuntime } from '../src/bench/runtimes.js';
import { encodeOnnx } from '../src/formats/onnx/encode.js';
import { summarize } from '../src/ir/summary.js';
import { Session } from '../src/runtime/session.js';
import { syntheticInput } from '../src/runtime/synthetic.js';
import { zooEntry } from '../src/zoo/index.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    models: { type: 'string', default: 'caffenet,googlenet' },
    batches: { type: 'string', default: '1,48' },
    threads: { type: 'string', default: String(availableParallelism()) },
    'no-web': { type: 'boolean', default: false },
    // Also time joule with fp16 weights (the peers run the fp32 model).
    fp16: { type: 'boolean', default: false },
    // Time every step of joule's timed runs and print where the time goes, per model and batch.
    profile: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const threads = Number(values.threads);
const wasmPeakPerCore = hasRelaxedSimd() ? 45 : 37.5;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

type Runner = (input: Float32Array, shape: number[]) => Promise<unknown>;

/** onnxruntime-web as `joule bench` loads it: in a child process of its own (src/bench/peer-process.ts says why). */
async function webPeer(model: BenchModel): Promise<LoadedRuntime | undefined> {
  if (values['no-web']) return undefined;
  try {
    return await loadRuntime({ runtime: 'onnxruntime-web', backend: 'wasm' }, model, 'fp32', threads);
  } catch (e) {
    process.stderr.write(`onnxruntime-web unavailable: ${(e as Error).message}\n`);
    return undefined;
  }
}

const profiles: string[] = [];
function formatProfile(profile: Map<string, number>, runCount: number): string {
  const total = [...profile.values()].reduce((a, b) => a + b, 0);
  return [...profile]
    .sort((a, b) => b[1] - a[1])
    .map(([step, ms]) => `${step} ${(ms / runCount).toFixed(1)} (${((100 * ms) / total).toFixed(0)}%)`)
    .join(', ');
}

console.log(`| model | batch | runtime | median ms | min-max ms | images/s | GFLOP/s | share of wasm peak |`);
console.log(`|---|---|---|---|---|---|---|---|`);
for (const name of values.models.split(',')) {
  const entry = zooEntry(name);
  const built = entry.build();
  const bytes = encodeOnnx(built);
  const session = await Session.load(bytes, { backend: 'cpu', threads, profile: values.profile });
  const half = values.fp16 ? await Session.load(bytes, { backend: 'cpu', threads, precision: 'fp16' }) : undefined;
  const node = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    extra: { session: { 'intra_op.allow_spinning': '0' } },
  });
  const web = await webPeer({ name, bytes, inputs: built.graph.inputs, preprocessing: entry.preprocessing, macs: summarize(built.graph).macs });
  const feedName = session.inputs[0].name;
  for (const batch of values.batches.split(',').map(Number)) {
    const input = syntheticInput(session.inputs[0], batch, entry.preprocessing);
    const data = input.data as Float32Array;
    const shape = [...input.shape];
    const gflop = (2 * summarize(session.graph).macs * batch) / 1e9;
    const contenders: [string, Runner][] = [
      [`joule cpu (${hasRelaxedSimd() ? 'relaxed SIMD' : 'SIMD128'}), ${threads} threads`, () => session.run({ [feedName]: input })],
      [`onnxruntime-node, ${threads} threads`, (x, s) => node.run({ [feedName]: new ort.Tensor('float32', x, s) })],
    ];
    if (half !== undefined) contenders.splice(1, 0, [`joule cpu, fp16 weights, ${threads} threads`, () => half.run({ [feedName]: input })]);
    const alternated = contenders.length;
    const webTarget = await web?.prepare(batch);
    if (webTarget !== undefined) contenders.push([`onnxruntime-web wasm, ${threads} threads`, () => webTarget.run()]);
    const times = contenders.map(() => [] as number[]);
    const time = async (i: number): Promise<void> => {
      const t0 = performance.now();
      await contenders[i][1](data, shape);
      times[i].push(performance.now() - t0);
    };
    for (let w = 0; w < 2; w++) for (const [, run] of contenders.slice(0, alternated)) await run(data, shape); // warm-up
    await session.profile(); // counts only the timed runs
    for (let r = 0; r < runs; r++) for (let i = 0; i < alternated; i++) await time(i);
    if (webTarget !== undefined) {
      for (let w = 0; w < 2; w++) await webTarget.run();
      for (let r = 0; r < runs; r++) await time(alternated);
    }
    for (const [i, [label]] of contenders.entries()) {
      const m = median(times[i]);
      const range = `${Math.min(...times[i]).toFixed(1)}-${Math.max(...times[i]).toFixed(1)}`;
      const rate = gflop / (m / 1000);
      const share = label.startsWith('joule') ? `${((100 * rate) / (wasmPeakPerCore * threads)).toFixed(0)}%` : '';
      console.log(`| ${name} | ${batch} | ${label} | ${m.toFixed(1)} | ${range} | ${((batch * 1000) / m).toFixed(2)} | ${rate.toFixed(1)} | ${share} |`);
    }
    if (values.profile) profiles.push(`${name} batch ${batch}: ${formatProfile(await session.profile(), runs)}`);
  }
  await session.dispose();
  await half?.dispose();
  await node.release();
  await web?.dispose();
}
if (profiles.length > 0) console.log(`\njoule cpu, mean ms per run by kind of step:\n${profiles.join('\n')}`);
console.log(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; ${availableParallelism()} cores; Node ${process.version}`);
