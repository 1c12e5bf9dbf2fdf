import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildBrowser } from '../../scripts/build-browser.js';
import { demoCommand } from '../../src/cli/demo-command.js';
import type { DemoServer } from '../../src/demo/server.js';
import { DemoServer as Server } from '../../src/demo/server.js';
import { tinyClassifier } from '../serve/fixtures.js';

/** Runs `joule demo` through its command and returns the server it started. */
async function startDemo(args: string[]): Promise<DemoServer> {
  let server: DemoServer | undefined;
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await demoCommand((s) => (server = s)).parseAsync(args, { from: 'user' });
  } finally {
    log.mockRestore();
  }
  return server!;
}

describe('joule demo (the server)', () => {
  let assets: string;
  let demo: DemoServer;

  beforeAll(async () => {
    assets = await mkdtemp(join(tmpdir(), 'joule-demo-server-'));
    await buildBrowser(assets);
    demo = await startDemo(['--port', '0', '--assets', assets]);
  });
  afterAll(async () => {
    await demo?.close();
    if (assets !== undefined) await rm(assets, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1, port 8081 unless told', () => {
    const port = demoCommand().options.find((o) => o.long === '--port');
    expect(port?.defaultValue).toBe(8081);
    expect(new URL(demo.url).hostname).toBe('127.0.0.1');
  });

  it('serves the page and the library bundle cross-origin isolated', async () => {
    const page = await fetch(`${demo.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await page.text()).toMatch(/<script type="module" src="main.js">/);
    for (const file of ['joule.js', 'main.js', 'engine-worker.js', 'style.css']) {
      const response = await fetch(`${demo.url}/${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get('cross-origin-resource-policy'), file).toBe('same-origin');
    }
    expect((await fetch(`${demo.url}/joule.js`)).headers.get('content-type')).toMatch(/text\/javascript/);
    expect((await fetch(`${demo.url}/../package.json`)).status).toBe(404);
    expect((await fetch(`${demo.url}/nothing.js`)).status).toBe(404);
  });

  it('lists the zoo', async () => {
    const info = (await (await fetch(`${demo.url}/api/info`)).json()) as { zoo: { name: string; size: number }[] };
    expect(info.zoo.map((z) => [z.name, z.size])).toEqual([['caffenet', 227], ['alexnet', 227], ['googlenet', 224]]);
  });

  it('measures in Node what the page measures in the browser, or says why not', async () => {
    const measure = async (query: string, body?: Uint8Array): Promise<Record<string, unknown>> =>
      (await (await fetch(`${demo.url}/api/measure?${query}`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })).json()) as Record<string, unknown>;
    const measured = await measure('backend=cpu&precision=fp32&batch=2&minMs=100', tinyClassifier());
    expect(measured.imagesPerSecond).toBeGreaterThan(0);
    expect(measured.runs).toBeGreaterThanOrEqual(3);
    expect(await measure('backend=tpu&batch=1', tinyClassifier())).toEqual({ notMeasured: "unknown backend 'tpu'" });
    expect(await measure('backend=cpu&batch=0', tinyClassifier())).toEqual({ notMeasured: "batch must be an integer from 1 to 256, got '0'" });
    expect(await measure('backend=cpu&batch=1')).toEqual({ notMeasured: 'no model: name a zoo model or send the ONNX file' });
    expect((await measure('model=resnet&backend=cpu&batch=1')).notMeasured).toMatch(/unknown zoo model 'resnet'/);
  });

  it('leaves the isolation headers out with --no-isolation', async () => {
    const open = await startDemo(['--port', '0', '--assets', assets, '--no-isolation']);
    try {
      const page = await fetch(`${open.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('cross-origin-opener-policy')).toBeNull();
      expect(page.headers.get('cross-origin-embedder-policy')).toBeNull();
    } finally {
      await open.close();
    }
  });

  it('says how to build the page when the build is missing', async () => {
    await expect(Server.start({ port: 0, assetsDir: join(assets, 'missing') })).rejects.toThrow(/holds no browser build .*run `npm run build`/);
  });
});
