/**
 * joule serve with and without dynamic batching, under Poisson load from joule loadgen: throughput,
 * latency percentiles and the mean batch at several offered rates. Server and load generator share this
 * process (inference runs on the server's worker threads); the two configurations alternate per rate.
 *
 *   npm run bench:serve [-- --model zoo:googlenet --rates 4,8,12,16 --duration 15 --max-batch 8 --max-delay-ms 10]
 */
import { parseArgs } from 'node:util';
import { loadgen, syntheticPng } from '../src/serve/loadgen.js';
import { JouleServer } from '../src/serve/server.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'zoo:googlenet' },
    backend: { type: 'string', default: 'cpu' },
    rates: { type: 'string', default: '4,8,12,16' },
    duration: { type: 'string', default: '15' },
    'max-batch': { type: 'string', default: '8' },
    'max-delay-ms': { type: 'string', default: '10' },
  },
});

const configs = [
  { label: `batching on (max batch ${values['max-batch']}, max delay ${values['max-delay-ms']} ms)`, maxBatch: Number(values['max-batch']) },
  { label: 'batching off (max batch 1)', maxBatch: 1 },
];
const servers = [];
for (const c of configs) {
  servers.push(await JouleServer.start({
    model: values.model, backend: values.backend as 'cpu', maxBatch: c.maxBatch, maxDelayMs: Number(values['max-delay-ms']),
    maxQueue: 64, timeoutMs: 10_000, port: 0,
  }));
}
const body = await syntheticPng(320, 240);

/** Mean rows per batch since the last call, from the server's own histogram. */
function batchMeter(server: JouleServer): () => Promise<number> {
  let last = { sum: 0, count: 0 };
  return async () => {
    const { values: v } = await server.metrics.batchSize.get();
    const sum = v.find((x) => x.metricName === 'joule_batch_size_sum')?.value ?? 0;
    const count = v.find((x) => x.metricName === 'joule_batch_size_count')?.value ?? 0;
    const mean = count > last.count ? (sum - last.sum) / (count - last.count) : 0;
    last = { sum, count };
    return mean;
  };
}
const meters = servers.map(batchMeter);

console.log(`${values.model} on the ${values.backend} backend, Poisson arrivals, ${values.duration} s per point; latency in ms from the scheduled send`);
console.log('| offered req/s | server | achieved req/s | OK/s | p50 | p90 | p99 | mean batch | 429 | 504 |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const rate of values.rates.split(',').map(Number)) {
  for (const [i, server] of servers.entries()) {
    await meters[i]();
    const r = await loadgen({ url: `${server.url}/v1/classify`, mode: 'poisson', rate, durationS: Number(values.duration), body, contentType: 'image/png', seed: rate });
    const mean = await meters[i]();
    const l = r.latency;
    const f = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(0));
    console.log(`| ${rate} | ${configs[i].label} | ${r.achievedRate.toFixed(1)} | ${r.throughput.toFixed(1)} | ${f(l?.p50)} | ${f(l?.p90)} | ${f(l?.p99)} | ${mean.toFixed(2)} | ${r.rejected} | ${r.deadlineExceeded} |`);
  }
}
for (const s of servers) await s.close();
