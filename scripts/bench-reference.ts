/**
 * The reference backend beside onnxruntime-node, in one run: zoo networks at batch 1, runtimes
 * alternated (A B A B), median of the timed runs after a warm-up. The reference backend is the test
 * oracle, not a fast path; this records how far it is from a native runtime.
 *
 *   npm run bench:reference [-- --runs 5 --models caffenet,googlenet --batch 1]
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { encodeOnnx } from '../src/formats/onnx/encode.js';
import { summarize } from '../src/ir/summary.js';
import { Session } from '../src/runtime/session.js';
import { syntheticInput } from '../src/runtime/synthetic.js';
import { zooEntry } from '../src/zoo/index.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    models: { type: 'string', default: 'caffenet,googlenet' },
    batch: { type: 'string', default: '1' },
  },
});
const runs = Number(values.runs);
const batch = Number(values.batch);
const threads = availableParallelism();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`| model | batch | runtime | median ms | min-max ms | images/s | GFLOP/s |`);
console.log(`|---|---|---|---|---|---|---|`);
for (const name of values.models.split(',')) {
  const entry = zooEntry(name);
  const bytes = encodeOnnx(entry.build());
  const session = await Session.load(bytes, { backend: 'reference' });
  const peer = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const input = syntheticInput(session.inputs[0], batch, entry.preprocessing);
  const gflop = (2 * summarize(session.graph).macs * batch) / 1e9;
  const feedName = session.inputs[0].name;
  const contenders: [string, () => Promise<unknown>][] = [
    ['joule reference', () => session.run({ [feedName]: input })],
    [`onnxruntime-node ${threads} threads`, () => peer.run({ [feedName]: new ort.Tensor('float32', input.data as Float32Array, [...input.shape]) })],
  ];
  const times = contenders.map(() => [] as number[]);
  for (const [, run] of contenders) await run(); // warm-up
  for (let r = 0; r < runs; r++) {
    for (const [i, [, run]] of contenders.entries()) {
      const t0 = performance.now();
      await run();
      times[i].push(performance.now() - t0);
    }
  }
  for (const [i, [label]] of contenders.entries()) {
    const m = median(times[i]);
    const range = `${Math.min(...times[i]).toFixed(1)}-${Math.max(...times[i]).toFixed(1)}`;
    console.log(`| ${name} | ${batch} | ${label} | ${m.toFixed(1)} | ${range} | ${((batch * 1000) / m).toFixed(2)} | ${(gflop / (m / 1000)).toFixed(2)} |`);
  }
  await session.dispose();
  await peer.release();
}
console.log(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; ${threads} cores; Node ${process.version}`);
