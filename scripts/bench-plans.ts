/**
 * The memory of one cpu session that runs several batch sizes, as a server with dynamic batching does:
 * each batch size is a plan of its own. Per model and precision, one session runs the batches in order
 * (a plan is prepared at its first run), and the process's resident memory is read after each, with its
 * peak at the end. Each model runs in a process of its own, so that one model's peak is its own.
 *
 *   npm run bench:plans [-- --models caffenet,googlenet --batches 1,8,16,1 --precision fp32 --threads 2]
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Tensor } from '../src/core/tensor.js';
import { Session } from '../src/runtime/session.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'caffenet,googlenet' },
    batches: { type: 'string', default: '1,8,16,1' },
    precision: { type: 'string', default: 'fp32' },
    threads: { type: 'string', default: String(availableParallelism()) },
    // Internal: measure one model in this process.
    only: { type: 'string' },
  },
});
const batches = values.batches.split(',').map(Number);
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);

if (values.only === undefined) {
  console.log(`| model | precision | ${batches.map((b) => `RSS after batch ${b}`).join(' | ')} | peak RSS | ms a run (second run of each batch) |`);
  console.log(`|---|---|${batches.map(() => '---|').join('')}---|---|`);
  for (const model of values.models.split(',')) {
    const args = [...process.execArgv, process.argv[1], '--only', model, '--batches', values.batches, '--precision', values.precision, '--threads', values.threads];
    process.stdout.write(execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  }
  console.log(`\nMB = 2^20 bytes; ${availableParallelism()} cores; Node ${process.version}`);
} else {
  const precision = values.precision === 'fp16' ? 'fp16' : 'fp32';
  const session = await Session.load(`zoo:${values.only}`, { backend: 'cpu', precision, threads: Number(values.threads) });
  const input = session.inputs[0];
  const rss: string[] = [];
  const times: string[] = [];
  for (const batch of batches) {
    const shape = [batch, ...(input.shape ?? []).slice(1).map(Number)];
    const feeds = { [input.name]: Tensor.zeros('float32', shape) };
    await session.run(feeds);
    const started = performance.now();
    await session.run(feeds);
    times.push((performance.now() - started).toFixed(0));
    rss.push(mb(process.memoryUsage().rss));
  }
  await session.dispose();
  console.log(`| ${values.only} | ${precision} | ${rss.join(' | ')} | ${mb(process.resourceUsage().maxRSS * 1024)} | ${times.join(', ')} |`);
}
