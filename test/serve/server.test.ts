import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { pixelsToTensor } from '../../src/serve/image.js';
import { JouleServer } from '../../src/serve/server.js';
import { bombPng, patternPng, tinyClassifier, tinyPreprocessing } from './fixtures.js';
import sharp from 'sharp';

const model = tinyClassifier();

interface Classified {
  model: string;
  predictions: { index: number; label: string | null; probability: number }[];
  timing: { queueMs: number; computeMs: number; totalMs: number; batchSize: number };
}

async function classify(url: string, body: Uint8Array, type = 'image/png', query = ''): Promise<Response> {
  return fetch(`${url}/v1/classify${query}`, { method: 'POST', headers: { 'content-type': type }, body });
}

/** The value of a metric line (`name{labels} value`) in Prometheus text, 0 if absent. */
function metric(text: string, line: string): number {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

describe('joule serve over HTTP', () => {
  let server: JouleServer;
  let reference: Session;

  beforeAll(async () => {
    server = await JouleServer.start({ model, name: 'tiny', backend: 'cpu', threads: 1, maxBatch: 8, maxDelayMs: 150, port: 0, maxBodyBytes: 64 << 10, maxPixels: 1_000_000 });
    reference = await Session.load(model, { backend: 'reference' });
  });
  afterAll(async () => {
    await server?.close();
    await reference?.dispose();
  });

  it('answers health, readiness and model metadata (KServe v2)', async () => {
    expect(await (await fetch(`${server.url}/v2/health/live`)).json()).toEqual({ live: true });
    expect((await fetch(`${server.url}/v2/health/ready`)).status).toBe(200);
    expect((await fetch(`${server.url}/v2/models/tiny/ready`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/v2/models/tiny`)).json()).toEqual({
      name: 'tiny', versions: ['1'], platform: 'joule',
      inputs: [{ name: 'data', datatype: 'FP32', shape: [-1, 3, 8, 8] }],
      outputs: [{ name: 'prob', datatype: 'FP32', shape: [-1, 5] }],
    });
    const missing = await fetch(`${server.url}/v2/models/other`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'MODEL_NOT_FOUND', error: expect.stringContaining("'other'") });
  });

  it('classifies images in batches under concurrent load, each answer equal to running it alone', async () => {
    const images = await Promise.all([0, 1, 2, 3, 4, 5].map((s) => patternPng(s)));
    const before = await (await fetch(`${server.url}/metrics`)).text();
    const batched = await Promise.all(images.map(async (png) => (await (await classify(server.url, png, 'image/png', '?top=5')).json()) as Classified));
    const after = await (await fetch(`${server.url}/metrics`)).text();
    // Six concurrent requests made fewer than six batches, some with several rows.
    const batches = metric(after, 'joule_batch_size_count') - metric(before, 'joule_batch_size_count');
    const rows = metric(after, 'joule_batch_size_sum') - metric(before, 'joule_batch_size_sum');
    expect(rows).toBe(6);
    expect(batches).toBeLessThan(6);
    expect(Math.max(...batched.map((b) => b.timing.batchSize))).toBeGreaterThan(1);
    for (const [i, png] of images.entries()) {
      // The same pixels through sharp and the reference backend, alone.
      const rgb = await sharp(png).resize(15, 10, { fit: 'fill' }).extract({ left: 3, top: 1, width: 8, height: 8 }).raw().toBuffer();
      const prob = (await reference.run({ data: pixelsToTensor(rgb, tinyPreprocessing) })).prob.toNumbers();
      const expected = prob.map((p, index) => ({ index, p })).sort((a, b) => b.p - a.p);
      expect(batched[i].predictions.map((p) => p.index)).toEqual(expected.map((e) => e.index));
      batched[i].predictions.forEach((p, k) => expect(p.probability).toBeCloseTo(expected[k].p, 5));
      expect(batched[i].model).toBe('tiny');
      expect(batched[i].timing.totalMs).toBeGreaterThanOrEqual(batched[i].timing.queueMs);
    }
    // One request alone gives the same answer as in its batch.
    const alone = (await (await classify(server.url, images[3], 'image/png', '?top=5')).json()) as Classified;
    expect(alone.timing.batchSize).toBe(1);
    alone.predictions.forEach((p, k) => {
      expect(p.index).toBe(batched[3].predictions[k].index);
      expect(p.probability).toBeCloseTo(batched[3].predictions[k].probability, 6);
    });
    expect(after).toContain('joule_queue_seconds_bucket');
    expect(after).toContain('joule_compute_seconds_bucket');
    expect(after).toMatch(/joule_requests_total\{route="\/v1\/classify",code="200"\} \d+/);
  });

  it('takes images as JPEG, WebP, octet-stream and multipart form files', async () => {
    const png = await patternPng(7);
    const jpeg = await sharp(png).jpeg().toBuffer();
    const webp = await sharp(png).webp({ lossless: true }).toBuffer();
    const answers = [await classify(server.url, jpeg, 'image/jpeg'), await classify(server.url, webp, 'image/webp'), await classify(server.url, png, 'application/octet-stream')];
    for (const a of answers) expect(a.status).toBe(200);
    const form = new FormData();
    form.append('image', new Blob([png], { type: 'image/png' }), 'x.png');
    const multi = await fetch(`${server.url}/v1/classify?top=2`, { method: 'POST', body: form });
    expect(multi.status).toBe(200);
    expect(((await multi.json()) as Classified).predictions).toHaveLength(2);
  });

  it('refuses each kind of bad image with a 4xx naming the problem', async () => {
    const png = await patternPng(1);
    const cases: [Uint8Array, string, number, string, RegExp][] = [
      [png.subarray(0, png.length - 30), 'image/png', 400, 'BAD_IMAGE', /cannot be decoded/],
      [new Uint8Array(), 'image/png', 400, 'EMPTY_IMAGE', /empty/],
      [new TextEncoder().encode('hello'), 'image/png', 415, 'UNSUPPORTED_IMAGE_TYPE', /not a JPEG, PNG or WebP/],
      [await sharp(png).gif().toBuffer(), 'image/gif', 415, 'UNSUPPORTED_IMAGE_TYPE', /image\/gif/],
      [await sharp(png).gif().toBuffer(), 'application/octet-stream', 415, 'UNSUPPORTED_IMAGE_TYPE', /this one is gif/],
      [bombPng(50_000, 50_000), 'image/png', 413, 'IMAGE_TOO_LARGE', /50000x50000/],
      [new Uint8Array(100 << 10), 'image/png', 413, 'FST_ERR_CTP_BODY_TOO_LARGE', /too large/i],
    ];
    for (const [body, type, status, code, message] of cases) {
      const res = await classify(server.url, body, type);
      const json = (await res.json()) as { code: string; error: string };
      expect([res.status, json.code], json.error).toEqual([status, code]);
      expect(json.error).toMatch(message);
    }
    expect((await classify(server.url, png, 'image/png', '?top=0')).status).toBe(400);
    // The server still works.
    expect((await classify(server.url, png)).status).toBe(200);
  });

  it('runs KServe v2 JSON tensors and answers the rows of each request', async () => {
    const x = Tensor.from('float32', Array.from({ length: 2 * 3 * 64 }, (_, i) => Math.cos(i)), [2, 3, 8, 8]);
    const expected = (await reference.run({ data: x })).prob;
    const res = await fetch(`${server.url}/v2/models/tiny/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'r1', inputs: [{ name: 'data', shape: [2, 3, 8, 8], datatype: 'FP32', data: x.toNumbers() }] }),
    });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { id: string; model_name: string; outputs: { name: string; shape: number[]; datatype: string; data: number[] }[] };
    expect(json).toMatchObject({ id: 'r1', model_name: 'tiny', outputs: [{ name: 'prob', shape: [2, 5], datatype: 'FP32' }] });
    json.outputs[0].data.forEach((v, i) => expect(v).toBeCloseTo(expected.get(i), 5));
  });

  it('speaks the binary tensor extension both ways', async () => {
    const x = Tensor.from('float32', Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i)), [1, 3, 8, 8]);
    const expected = (await reference.run({ data: x })).prob;
    const header = new TextEncoder().encode(JSON.stringify({
      inputs: [{ name: 'data', shape: [1, 3, 8, 8], datatype: 'FP32', parameters: { binary_data_size: x.data.byteLength } }],
      outputs: [{ name: 'prob', parameters: { binary_data: true } }],
    }));
    const body = new Uint8Array(header.length + x.data.byteLength);
    body.set(header);
    body.set(new Uint8Array(x.data.buffer), header.length);
    const res = await fetch(`${server.url}/v2/models/tiny/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
      body,
    });
    expect(res.status).toBe(200);
    const headerLength = Number(res.headers.get('inference-header-content-length'));
    const bytes = new Uint8Array(await res.arrayBuffer());
    const json = JSON.parse(new TextDecoder().decode(bytes.subarray(0, headerLength)));
    expect(json.outputs[0]).toEqual({ name: 'prob', datatype: 'FP32', shape: [1, 5], parameters: { binary_data_size: 20 } });
    const prob = new Float32Array(bytes.slice(headerLength).buffer);
    Array.from(prob).forEach((v, i) => expect(v).toBeCloseTo(expected.get(i), 5));
  });

  it('refuses wrong tensors with a 400 naming the problem', async () => {
    const post = (body: string) => fetch(`${server.url}/v2/models/tiny/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const cases: [string, RegExp][] = [
      ['{"inputs": [', /not valid JSON/],
      ['{}', /'inputs' array/],
      [JSON.stringify({ inputs: [{ name: 'data', shape: [1, 3, 9, 9], datatype: 'FP32', data: new Array(243).fill(0) }] }), /shape \[-1, 3, 8, 8\].*\[1, 3, 9, 9\]/],
      [JSON.stringify({ inputs: [{ name: 'data', shape: [1, 3, 8, 8], datatype: 'INT64', data: new Array(192).fill(0) }] }), /is FP32, the request gives INT64/],
      [JSON.stringify({ inputs: [{ name: 'data', shape: [1, 3, 8, 8], datatype: 'FP32', data: [1, 2] }] }), /needs 192 values, got 2/],
      [JSON.stringify({ inputs: [{ name: 'pixels', shape: [1], datatype: 'FP32', data: [1] }] }), /unknown input 'pixels'/],
      [JSON.stringify({ inputs: [{ name: 'data', shape: [9, 3, 8, 8], datatype: 'FP32', data: new Array(9 * 192).fill(0) }] }), /9 rows; this server runs at most 8/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status, body.slice(0, 60)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
  });

  it('drops the queued work of a client that disconnects', async () => {
    const metricsBefore = await (await fetch(`${server.url}/metrics`)).text();
    const gone = new AbortController();
    const request = classify(server.url, await patternPng(5), 'image/png');
    const aborted = fetch(`${server.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: await patternPng(6), signal: gone.signal });
    await new Promise((r) => setTimeout(r, 60)); // queued (the max delay is 150 ms)
    gone.abort();
    await expect(aborted).rejects.toThrow();
    await request;
    const after = await (await fetch(`${server.url}/metrics`)).text();
    const cancelled = 'joule_request_failures_total{reason="cancelled"}';
    expect(metric(after, cancelled) - metric(metricsBefore, cancelled)).toBe(1);
    // Only the request still wanted ran.
    expect(metric(after, 'joule_batch_size_sum') - metric(metricsBefore, 'joule_batch_size_sum')).toBe(1);
  });

  it('restarts a killed instance: readiness drops, requests still get answers, then all is well', async () => {
    const png = await patternPng(2);
    const inFlight = [classify(server.url, png), classify(server.url, png)];
    await new Promise((r) => setTimeout(r, 20)); // queued (the max delay is 150 ms)
    await server.pool.kill(0);
    for (const res of await Promise.all(inFlight)) expect([200, 503]).toContain(res.status);
    for (let i = 0; i < 200 && server.pool.ready === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(server.pool.ready).toBe(1);
    expect((await classify(server.url, png)).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metric(metrics, 'joule_instance_restarts_total')).toBe(1);
  });
});
