import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JouleServer } from '../../src/serve/server.js';
import { root } from '../helpers/cli.js';
import { patternPng, tinyClassifier } from './fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'joule-serve-'));
  await writeFile(join(dir, 'tiny.onnx'), tinyClassifier());
});

/** Starts `joule serve` from source and resolves with the process and its URL once it listens. */
function serve(...args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve', '--port', '0', ...args], { cwd: root });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m !== null) resolve({ child, url: m[1], output: () => output });
    });
    child.once('exit', (code) => reject(new Error(`joule serve exited with ${code}: ${output}`)));
  });
}

describe('joule serve (the command)', () => {
  it('on SIGTERM stops accepting, answers the requests in flight, then exits 0', async () => {
    const { child, url, output } = await serve('--model', join(dir, 'tiny.onnx'), '--max-batch', '8', '--max-delay-ms', '1000');
    const png = await patternPng(3);
    const inFlight = [0, 1, 2].map(() => fetch(`${url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png }));
    await new Promise((r) => setTimeout(r, 300)); // queued behind the 1 s max delay
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(await exited).toBe(0);
    expect(output()).toMatch(/SIGTERM: no new requests; finishing 3 queued row/);
    expect(output()).toContain('drained, exiting');
    await expect(fetch(`${url}/v2/health/live`)).rejects.toThrow();
  });

  it('refuses a model it cannot load, naming the problem', async () => {
    await writeFile(join(dir, 'broken.onnx'), new Uint8Array([1, 2, 3, 4, 5]));
    await expect(serve('--model', join(dir, 'broken.onnx'))).rejects.toThrow(/joule serve exited with 1: joule: not a valid ONNX model/);
  });
});

describe('joule serve under overload', () => {
  let server: JouleServer;
  beforeAll(async () => {
    server = await JouleServer.start({ model: 'zoo:caffenet', backend: 'cpu', maxBatch: 1, maxQueue: 2, maxDelayMs: 0, warm: false, port: 0 });
  });
  afterAll(() => server?.close());

  it('answers 429 with Retry-After to what the queue cannot hold, quickly, and serves the rest', async () => {
    const png = await patternPng(4, 64, 64);
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 24 }, async () => {
      const res = await fetch(`${server.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: performance.now() - started, body: await res.json() };
    }));
    const refused = answers.filter((a) => a.status === 429);
    const served = answers.filter((a) => a.status === 200);
    expect(refused.length + served.length).toBe(24);
    expect(refused.length).toBeGreaterThan(10);
    expect(served.length).toBeGreaterThanOrEqual(3);
    for (const r of refused) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body).toMatchObject({ code: 'QUEUE_FULL', error: expect.stringContaining('queue is full') });
    }
    // Refusals come at once, not after the accepted requests ran.
    expect(Math.min(...refused.map((r) => r.ms))).toBeLessThan(Math.max(...served.map((s) => s.ms)));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/joule_request_failures_total\{reason="queue_full"\} (\d+)/);
    expect(metrics).toMatch(/joule_requests_total\{route="\/v1\/classify",code="429"\} \d+/);
  });
});
