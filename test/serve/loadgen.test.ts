import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadgenCommand } from '../../src/cli/loadgen-command.js';
import { JouleError } from '../../src/core/errors.js';
import { percentile } from '../../src/bench/stats.js';
import { type RequestRecord, isLoopbackHost, latencyStats, loadgen, loadgenTarget } from '../../src/serve/loadgen.js';
import { expectJouleError } from '../helpers/errors.js';

/** What the test server saw. */
interface Seen {
  count: number;
  inFlight: number;
  maxInFlight: number;
  arrivals: number[];
  bodies: { contentType: string | undefined; bytes: Buffer }[];
}

type Handler = (index: number, res: ServerResponse) => void | Promise<void>;

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback server that answers each request with `handler` (given its arrival index) and counts what it saw. */
async function serve(handler: Handler = (_, res) => void res.end('{}')): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = { count: 0, inFlight: 0, maxInFlight: 0, arrivals: [], bodies: [] };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const index = seen.count++;
    seen.arrivals.push(performance.now());
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    res.on('close', () => seen.inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.bodies.push({ contentType: req.headers['content-type'], bytes: Buffer.concat(chunks) });
      void handler(index, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/classify`, seen };
}

const json = (res: ServerResponse, status: number, value: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
};
const tinyBody = { body: new Uint8Array([1, 2, 3]), contentType: 'application/octet-stream' };

describe('latency statistics', () => {
  it('gives nearest-rank percentiles, mean, min and max of a known distribution', () => {
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1); // 1..100, shuffled
    expect(latencyStats(values)).toEqual({ count: 100, mean: 50.5, p50: 50, p90: 90, p99: 99, min: 1, max: 100 });
    const skewed = [...Array<number>(990).fill(1), ...Array<number>(10).fill(1000)];
    const s = latencyStats(skewed)!;
    expect([s.p50, s.p90, s.p99, s.max]).toEqual([1, 1, 1, 1000]);
    expect(s.mean).toBeCloseTo(10.99, 10);
    expect(latencyStats([7])).toMatchObject({ p50: 7, p99: 7, mean: 7 });
    expect(latencyStats([])).toBeNull();
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
  });
});

describe('targets', () => {
  it('accepts loopback hosts only, unless remote hosts are allowed', async () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]', 'LOCALHOST', '[::ffff:127.0.0.1]']) {
      expect(isLoopbackHost(new URL(`http://${host}:8080/`).hostname), host).toBe(true);
    }
    for (const host of ['10.0.0.1', '128.0.0.1', 'example.com', '[::2]', 'localhost.example.com', '0.0.0.0']) {
      expect(isLoopbackHost(new URL(`http://${host}:8080/`).hostname), host).toBe(false);
    }
    await expectJouleError(loadgen({ url: 'http://10.1.2.3:8080/v1/classify', requests: 1 }), 'BAD_ARGUMENT', '10.1.2.3', 'loopback', '--allow-remote');
    expect(loadgenTarget('http://example.com/x', true).href).toBe('http://example.com/x');
  });

  it('rejects URLs and options that make no sense, before sending anything', async () => {
    await expectJouleError(loadgen({ url: 'not a url' }), 'BAD_ARGUMENT', 'not a URL');
    await expectJouleError(loadgen({ url: 'ftp://127.0.0.1/' }), 'BAD_ARGUMENT', 'ftp:');
    await expectJouleError(loadgen({ url: 'http://127.0.0.1:1/', rate: 0 }), 'BAD_ARGUMENT', 'rate');
    await expectJouleError(loadgen({ url: 'http://127.0.0.1:1/', requests: 2.5 }), 'BAD_ARGUMENT', 'requests');
    await expectJouleError(loadgen({ url: 'http://127.0.0.1:1/', mode: 'closed', rate: 5 }), 'BAD_ARGUMENT', 'closed');
    await expectJouleError(loadgen({ url: 'http://127.0.0.1:1/', concurrency: 4 }), 'BAD_ARGUMENT', 'concurrency');
  });

  it('targets /v1/classify when the URL has no path', () => {
    expect(loadgenTarget('http://localhost:8080').pathname).toBe('/v1/classify');
    expect(loadgenTarget('http://localhost:8080/v2/models/caffenet/infer').pathname).toBe('/v2/models/caffenet/infer');
  });
});

describe('loadgen over loopback HTTP', () => {
  it('constant mode delivers the offered rate, with the generated PNG as the body', async () => {
    const { url, seen } = await serve();
    const report = await loadgen({ url, mode: 'constant', rate: 50, durationS: 1 });
    expect(report.sent).toBe(50);
    expect(seen.count).toBe(50);
    expect(report.ok).toBe(50);
    expect(report.offeredRate).toBe(50);
    expect(report.achievedRate).toBeCloseTo(50, 5);
    expect(report.throughput).toBeGreaterThan(40);
    expect(report.throughput).toBeLessThan(60);
    const spanS = (seen.arrivals[49] - seen.arrivals[0]) / 1000;
    expect(49 / spanS).toBeGreaterThan(40);
    expect(49 / spanS).toBeLessThan(60);
    expect(report.latency!.count).toBe(50);
    expect(report.latency!.p50).toBeGreaterThan(0);
    const { contentType, bytes } = seen.bodies[0];
    expect(contentType).toBe('image/png');
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'png', width: 256, height: 256 });
  });

  it('poisson mode delivers about the offered rate, with the same schedule for the same seed', async () => {
    const { url, seen } = await serve();
    const report = await loadgen({ url, mode: 'poisson', rate: 100, durationS: 1, seed: 7, ...tinyBody });
    expect(seen.count).toBe(report.sent);
    expect(report.sent).toBeGreaterThan(65);
    expect(report.sent).toBeLessThan(135);
    expect(report.ok).toBe(report.sent);
    const schedule = async (): Promise<number[]> => {
      const times: number[] = [];
      await loadgen({ url, mode: 'poisson', rate: 1000, requests: 20, seed: 3, ...tinyBody, onRecord: (r) => times.push(r.scheduledMs) });
      return times.sort((a, b) => a - b);
    };
    const [a, b] = [await schedule(), await schedule()];
    expect(a).toEqual(b);
    const gaps = a.slice(1).map((t, i) => t - a[i]);
    expect(new Set(gaps.map((g) => g.toFixed(6))).size).toBeGreaterThan(10); // exponential, not fixed
  });

  it('closed loop never has more requests in flight than its clients', async () => {
    const { url, seen } = await serve((_, res) => void setTimeout(() => res.end('{}'), 20));
    const report = await loadgen({ url, mode: 'closed', concurrency: 4, durationS: 0.5, ...tinyBody });
    expect(seen.maxInFlight).toBe(4);
    expect(report.concurrency).toBe(4);
    expect(report.sent).toBe(seen.count);
    expect(report.sent).toBeGreaterThan(40); // about 4 / 20 ms * 0.5 s = 100
    expect(report.sent).toBeLessThan(110);
    expect(report.latency!.p50).toBeGreaterThanOrEqual(19);
  });

  it('honours a request count exactly, open or closed', async () => {
    const { url, seen } = await serve();
    const open = await loadgen({ url, rate: 500, requests: 37, ...tinyBody });
    expect([open.sent, open.ok, seen.count]).toEqual([37, 37, 37]);
    const closed = await loadgen({ url, mode: 'closed', concurrency: 8, requests: 37, ...tinyBody });
    expect([closed.sent, closed.ok, seen.count]).toEqual([37, 37, 74]);
  });

  it('tallies status codes: 429s, 504s and other 5xx apart from OK', async () => {
    const { url } = await serve((i, res) => {
      if (i % 2 === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else if (i % 8 === 2) json(res, 504, { error: 'deadline' });
      else if (i % 8 === 4) json(res, 500, { error: 'boom' });
      else json(res, 200, { predictions: [], timing: { queueMs: 2, computeMs: 5, totalMs: 7 } });
    });
    const report = await loadgen({ url, mode: 'closed', concurrency: 1, requests: 24, ...tinyBody });
    expect(report.byStatus).toEqual({ '200': 6, '429': 12, '500': 3, '504': 3 });
    expect([report.sent, report.ok, report.rejected, report.deadlineExceeded, report.serverErrors]).toEqual([24, 6, 12, 3, 6]);
    expect(report.latency!.count).toBe(6);
    expect(report.server).toEqual({ queueMs: 2, computeMs: 5, reported: 6 });
  });

  it('counts timeouts, reset and refused connections as errors', async () => {
    const { url } = await serve(() => undefined); // never answers
    const records: RequestRecord[] = [];
    const report = await loadgen({ url, rate: 100, requests: 3, timeoutMs: 100, ...tinyBody, onRecord: (r) => records.push(r) });
    expect(report.errors).toEqual({ timeout: 3, refused: 0, reset: 0, other: 0 });
    expect(report.ok).toBe(0);
    expect(report.latency).toBeNull();
    for (const r of records) expect(r.serviceMs).toBeGreaterThanOrEqual(90);

    const hangUp = await serve((_, res) => void res.socket?.destroy());
    const reset = await loadgen({ url: hangUp.url, mode: 'closed', requests: 2, ...tinyBody });
    expect(reset.errors.reset).toBe(2);

    const closed = await serve();
    const port = new URL(closed.url).port;
    const server = servers.pop()!;
    await new Promise((resolve) => server.close(resolve));
    const refused = await loadgen({ url: `http://127.0.0.1:${port}/`, requests: 2, rate: 100, ...tinyBody });
    expect(refused.errors.refused).toBe(2);
  });
});

describe('joule loadgen', () => {
  const run = async (...args: string[]): Promise<string> => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await loadgenCommand().exitOverride().parseAsync(args, { from: 'user' });
      return log.mock.calls.map((c) => String(c[0])).join('\n');
    } finally {
      log.mockRestore();
    }
  };

  it('prints the report as text or JSON', async () => {
    const { url } = await serve((_, res) => json(res, 200, { timing: { queueMs: 1, computeMs: 3 } }));
    const text = await run(url, '--requests', '5', '--rate', '200');
    expect(text).toContain('5 sent, 5 OK');
    expect(text).toContain('queue 1.00  compute 3.00');
    const report = JSON.parse(await run(url, '--mode', 'closed', '--concurrency', '2', '--requests', '6', '--json')) as { sent: number; byStatus: unknown };
    expect(report).toMatchObject({ sent: 6, byStatus: { '200': 6 } });
  });

  it('rejects bad URLs and options with BAD_ARGUMENT', async () => {
    const cases: [string[], string][] = [
      [['http://192.0.2.1:8080/'], '--allow-remote'],
      [['nonsense'], 'not a URL'],
      [['http://127.0.0.1:1/', '--rate', '-3'], '--rate'],
      [['http://127.0.0.1:1/', '--rate', 'fast'], '--rate'],
      [['http://127.0.0.1:1/', '--mode', 'burst'], '--mode'],
      [['http://127.0.0.1:1/', '--requests', '0'], '--requests'],
      [['http://127.0.0.1:1/', '--concurrency', '3'], 'concurrency'],
      [['http://127.0.0.1:1/', '--content-type', 'image/png'], '--body'],
      [['http://127.0.0.1:1/', '--body', 'image.bin'], '--content-type'],
    ];
    for (const [args, fragment] of cases) {
      const err = await run(...args).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, args.join(' ')).toBeInstanceOf(JouleError);
      expect((err as JouleError).code).toBe('BAD_ARGUMENT');
      expect((err as JouleError).message).toContain(fragment);
    }
  });
});
