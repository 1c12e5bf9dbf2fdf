// The browser build without a browser: what it holds, and that the bundle (with the browser host, so one
// thread and no files) classifies as the library does. Needs no Chromium.

import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowser } from '../../scripts/build-browser.js';
import { Tensor } from '../../src/core/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { tinyClassifier } from '../serve/fixtures.js';

describe('the browser build', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'joule-browser-'));
    await buildBrowser(dir);
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('writes the library as one ES module and the demo page beside it', async () => {
    expect((await readdir(dir)).sort()).toEqual(['demo', 'joule.js', 'joule.js.map']);
    expect((await readdir(join(dir, 'demo'))).sort()).toEqual(['engine-worker.js', 'engine-worker.js.map', 'index.html', 'main.js', 'main.js.map', 'style.css']);
    const bundle = await readFile(join(dir, 'joule.js'), 'utf8');
    expect(bundle).not.toMatch(/from\s*["']node:|require\(["']|worker_threads|setFlagsFromString/);
    expect(bundle).toMatch(/^export \{/m);
    // The page's worker runs the shipped bundle, not a copy of the library.
    const worker = await readFile(join(dir, 'demo', 'engine-worker.js'), 'utf8');
    expect(worker).toMatch(/from "\.\.\/joule\.js"/);
    expect(worker.length).toBeLessThan(20_000);
  });

  it('classifies as the library does, and refuses file paths', async () => {
    const joule = (await import(pathToFileURL(join(dir, 'joule.js')).href)) as typeof import('../../src/browser/index.js');
    expect(joule.hostName).toBe('browser');
    const input = new Tensor('float32', Float32Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i)), [1, 3, 8, 8]);
    const bundled = await joule.Session.load(tinyClassifier(), { backend: 'cpu' });
    const library = await Session.load(tinyClassifier(), { backend: 'cpu', threads: 1 });
    try {
      expect(bundled.options.threads).toBe(1); // no crossOriginIsolated here: one thread
      const a = (await bundled.run({ data: new joule.Tensor('float32', input.data, input.shape) })).prob.data;
      const b = (await library.run({ data: input })).prob.data;
      expect([...a]).toEqual([...b]);
    } finally {
      await bundled.dispose();
      await library.dispose();
    }
    await expect(joule.Session.load('model.onnx')).rejects.toMatchObject({ code: 'IO' });
  });
});
