// `joule demo` in headless Chromium (Debian's `chromium` package, driven by playwright-core): the page
// classifies generated images with the cpu backend (WebAssembly SIMD on Web Workers, cross-origin isolated,
// and on one thread when it is not) and with webgpu (Chromium's SwiftShader adapter), and the top 5 must be
// what Node computes for the same pixels; and the shipped bundle's GpuTensors on the page's own device.

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowser } from '../../scripts/build-browser.js';
import { topK } from '../../src/runtime/top-k.js';
import { DemoServer } from '../../src/demo/server.js';
import type { Classified, Loaded, NodeMeasurement, Benched } from '../../src/demo/page/protocol.js';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { Tensor } from '../../src/core/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { pixelsToTensor, resizeAndCrop } from '../../src/serve/pixels.js';
import { type Preprocessing, zooEntry } from '../../src/zoo/index.js';
import { tinyClassifier, tinyPreprocessing } from '../serve/fixtures.js';

const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));
const skip = executablePath ? undefined : "no Chromium: install Debian's `chromium` package or set CHROMIUM_PATH";
if (skip) console.warn(`demo browser tests skipped: ${skip}`);

interface DemoState {
  loaded?: Loaded;
  results: Classified[];
  bench: { browser: Benched; node: NodeMeasurement }[];
  errors: string[];
}

/** An opaque RGB pattern, width x height, and its PNG. */
function pattern(width: number, height: number, seed: number): { rgb: Uint8Array; png: Buffer } {
  const png = new PNG({ width, height, colorType: 2 });
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const [x, y] = [i % width, Math.floor(i / width)];
    for (let c = 0; c < 3; c++) {
      const v = Math.round(127.5 + 127.5 * Math.sin(x / (5 + seed + c) + y / (9 - c) + c * seed));
      rgb[i * 3 + c] = v;
      png.data[i * 4 + c] = v;
    }
    png.data[i * 4 + 3] = 255;
  }
  return { rgb, png: PNG.sync.write(png, { colorType: 2 }) };
}

/** The centre crop of an image that needs no resizing (its shorter side is already the model's `resize`). */
function centreCrop(rgb: Uint8Array, width: number, height: number, pre: Preprocessing): Uint8Array {
  const crop = resizeAndCrop(width, height, pre);
  expect([crop.width, crop.height]).toEqual([width, height]);
  const out = new Uint8Array(pre.size * pre.size * 3);
  for (let y = 0; y < pre.size; y++) {
    const from = ((crop.top + y) * width + crop.left) * 3;
    out.set(rgb.subarray(from, from + pre.size * 3), y * pre.size * 3);
  }
  return out;
}

/** Node's top 5 for the pixels, with the cpu backend. */
async function nodeTop5(model: string | Uint8Array, pre: Preprocessing, pixels: Uint8Array): Promise<{ index: number; score: number }[]> {
  const session = await Session.load(model, { backend: 'cpu', threads: 1 });
  try {
    const out = await session.run({ [pre.inputName]: pixelsToTensor(pixels, pre) });
    return topK(out[session.outputs[0].name], 5)[0];
  } finally {
    await session.dispose();
  }
}

function expectSameTop5(page: Classified, node: { index: number; score: number }[], tolerance: number): void {
  expect(page.predictions.map((p) => p.index)).toEqual(node.map((n) => n.index));
  page.predictions.forEach((p, i) => expect(Math.abs(p.probability - node[i].score), `class ${p.index}`).toBeLessThan(tolerance));
}

describe.skipIf(skip !== undefined)('joule demo in headless Chromium', () => {
  let browser: Browser;
  let assetsDir: string;
  let isolated: DemoServer;
  let notIsolated: DemoServer;

  beforeAll(async () => {
    assetsDir = await mkdtemp(join(tmpdir(), 'joule-demo-'));
    await buildBrowser(assetsDir);
    isolated = await DemoServer.start({ port: 0, assetsDir });
    notIsolated = await DemoServer.start({ port: 0, assetsDir, isolated: false });
    // --no-sandbox: CI and containers run as root; --enable-unsafe-webgpu: navigator.gpu (SwiftShader here).
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--enable-unsafe-webgpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await isolated?.close();
    await notIsolated?.close();
    if (assetsDir !== undefined) await rm(assetsDir, { recursive: true, force: true });
  });

  async function open(server: DemoServer, query = ''): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const origin = new URL(server.url).origin;
    // Nothing but the demo server: the page must work offline.
    await context.route('**', (route) => (route.request().url().startsWith(origin) || route.request().url().startsWith('blob:') ? route.continue() : route.abort()));
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${server.url}/${query}`);
    await page.waitForFunction("['idle', 'error'].includes(document.getElementById('status')?.dataset.state)");
    return { page, errors };
  }

  const state = (page: Page): Promise<DemoState> => page.evaluate('window.__demo') as Promise<DemoState>;

  /** Waits until the page has `results` classifications (or fails with the page's error). */
  async function classified(page: Page, results: number): Promise<DemoState> {
    await page.waitForFunction(`window.__demo.results.length >= ${results} || window.__demo.errors.length > 0`, undefined, { timeout: 40_000 });
    const s = await state(page);
    expect(s.errors).toEqual([]);
    return s;
  }

  it('classifies with zoo CaffeNet on the cpu backend, on worker threads, as Node does; the page is not blank', async () => {
    const pre = zooEntry('caffenet').preprocessing;
    const image = pattern(pre.resize + 20, pre.resize, 1); // the shorter side is already 256: the page only crops
    const expected = await nodeTop5('zoo:caffenet', pre, centreCrop(image.rgb, pre.resize + 20, pre.resize, pre));
    const { page, errors } = await open(isolated);
    expect(await page.evaluate('crossOriginIsolated')).toBe(true);
    await page.selectOption('#model', 'caffenet');
    await page.selectOption('#backend', 'cpu');
    await page.setInputFiles('#image-file', { name: 'pattern.png', mimeType: 'image/png', buffer: image.png });
    const s = await classified(page, 1);
    expect(s.loaded?.crossOriginIsolated).toBe(true);
    expect(s.loaded?.threads).toBe(await page.evaluate('navigator.hardwareConcurrency'));
    expectSameTop5(s.results[0], expected, 1e-4);
    expect(await page.locator('#results li').count()).toBe(5);
    expect(await page.locator('#chart polyline').count()).toBe(1);

    const png = PNG.sync.read(await page.screenshot({ fullPage: true }));
    const colours = new Map<number, number>();
    for (let i = 0; i < png.data.length; i += 4) {
      const rgb = (png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2];
      colours.set(rgb, (colours.get(rgb) ?? 0) + 1);
    }
    expect(colours.size).toBeGreaterThan(100);
    expect(Math.max(...colours.values())).toBeLessThan(0.9 * png.width * png.height);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('classifies with zoo CaffeNet at a smaller input on the webgpu backend as Node does', async (ctx) => {
    const { page, errors } = await open(isolated);
    const adapter = (await page.evaluate(
      "navigator.gpu === undefined ? 'no navigator.gpu' : navigator.gpu.requestAdapter().then((a) => (a === null ? 'navigator.gpu has no adapter' : undefined))",
    )) as string | undefined;
    if (adapter !== undefined) {
      await page.context().close();
      ctx.skip(`Chromium exposes no WebGPU adapter (${adapter}) with --enable-unsafe-webgpu`);
    }
    // At a smaller input (the same layers on a 131x131 crop): SwiftShader runs WGSL on the CPU.
    const inputSize = 131;
    const pre = { ...zooEntry('caffenet').preprocessing, size: inputSize };
    const image = pattern(pre.resize, pre.resize, 2);
    const expected = await nodeTop5(encodeOnnx(zooEntry('caffenet').build({ inputSize })), pre, centreCrop(image.rgb, pre.resize, pre.resize, pre));
    await page.selectOption('#model', 'caffenet');
    await page.fill('#input-size', String(inputSize));
    await page.selectOption('#backend', 'webgpu');
    await page.setInputFiles('#image-file', { name: 'pattern.png', mimeType: 'image/png', buffer: image.png });
    const s = await classified(page, 1);
    expectSameTop5(s.results[0], expected, 1e-3);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('the shipped bundle takes GpuTensor inputs and leaves outputs on the GPU in the browser, on its device or the page\'s', async (ctx) => {
    const { page, errors } = await open(isolated);
    const adapter = (await page.evaluate("navigator.gpu?.requestAdapter().then((a) => a !== null) ?? false")) as boolean;
    if (!adapter) {
      await page.context().close();
      ctx.skip('Chromium exposes no WebGPU adapter with --enable-unsafe-webgpu');
    }
    const model = tinyClassifier();
    const input = Float32Array.from({ length: 2 * 3 * 8 * 8 }, (_, i) => Math.sin(i) * 50);
    const node = await Session.load(model, { backend: 'cpu', threads: 1 });
    const want = (await node.run({ data: new Tensor('float32', input, [2, 3, 8, 8]) }))[node.outputs[0].name];
    await node.dispose();
    // A script of the page's own (a function here would have its import() rewritten by the test runner).
    await page.evaluate((args) => Object.assign(globalThis, { gpuTensorArgs: args }), [Array.from(model), Array.from(input)]);
    // On joule's own device, then on one the page made and gives it.
    const results = (await page.evaluate(`(async () => {
      const [bytes, values] = globalThis.gpuTensorArgs;
      const joule = await import('/joule.js');
      const pages = await (await navigator.gpu.requestAdapter()).requestDevice();
      const results = [];
      for (const gpuDevice of [undefined, pages]) {
        const session = await joule.Session.load(new Uint8Array(bytes), { backend: 'webgpu', gpuDevice });
        const device = await session.gpuDevice();
        const x = joule.GpuTensor.upload(device, new joule.Tensor('float32', new Float32Array(values), [2, 3, 8, 8]));
        const out = Object.values(await session.run({ data: x }, { outputLocation: 'gpu' }))[0];
        results.push({ gpu: out instanceof joule.GpuTensor, onPages: device === pages, data: Array.from((await out.download()).data) });
        out.destroy();
        x.destroy();
        await session.dispose();
      }
      return results;
    })()`)) as { gpu: boolean; onPages: boolean; data: number[] }[];
    expect(results.map((r) => [r.gpu, r.onPages])).toEqual([[true, false], [true, true]]);
    for (const got of results) {
      expect(got.data).toHaveLength(want.size);
      got.data.forEach((v, i) => expect(Math.abs(v - (want.data as Float32Array)[i]), `element ${i}`).toBeLessThan(1e-5));
    }
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('runs an ONNX file picked from disk on one thread where the page is not cross-origin isolated, and benchmarks it beside Node', async () => {
    const model = tinyClassifier();
    const image = pattern(tinyPreprocessing.resize, tinyPreprocessing.resize + 3, 3);
    const expected = await nodeTop5(model, tinyPreprocessing, centreCrop(image.rgb, tinyPreprocessing.resize, tinyPreprocessing.resize + 3, tinyPreprocessing));
    const { page, errors } = await open(notIsolated, '?benchMs=200');
    expect(await page.evaluate('crossOriginIsolated')).toBe(false);
    await page.selectOption('#model', 'file');
    await page.setInputFiles('#model-file', { name: 'tiny.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(model) });
    await page.setInputFiles('#image-file', { name: 'pattern.png', mimeType: 'image/png', buffer: image.png });
    const s = await classified(page, 1);
    expect(s.loaded?.crossOriginIsolated).toBe(false);
    expect(s.loaded?.threads).toBe(1);
    expect(s.loaded?.preprocessingKnown).toBe(true);
    expectSameTop5(s.results[0], expected, 1e-5);

    await page.click('#bench');
    await page.waitForFunction('window.__demo.bench.length === 2 || window.__demo.errors.length > 0', undefined, { timeout: 30_000 });
    const { bench, errors: pageErrors } = await state(page);
    expect(pageErrors).toEqual([]);
    expect(bench.map((b) => b.browser.batch)).toEqual([1, 8]);
    for (const { browser: b, node } of bench) {
      expect(b.imagesPerSecond).toBeGreaterThan(0);
      expect(node).toHaveProperty('imagesPerSecond');
      expect((node as { imagesPerSecond: number }).imagesPerSecond).toBeGreaterThan(0);
    }
    expect(await page.locator('#bench-table tbody tr').count()).toBe(2);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);
});
