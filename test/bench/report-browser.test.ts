// Opens the HTML report in headless Chromium (Debian's `chromium` package, driven by playwright-core,
// which downloads no browser) with the network cut off, and checks that its charts drew.

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../src/bench/schema.js';
import { renderHtml } from '../../src/bench/report/index.js';
import { fixtureReport, unmeteredReport } from './fixtures.js';

const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));
const skip = executablePath ? undefined : 'no Chromium: install Debian\'s `chromium` package or set CHROMIUM_PATH';
if (skip) console.warn(`report-browser tests skipped: ${skip}`);

/** Per chart canvas: its id and how many of its pixels are not transparent (run in the page). */
const canvasInk = `Array.from(document.querySelectorAll('canvas')).map(function (c) {
  var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;
  for (var i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return { id: c.id, width: c.width, height: c.height, ink: n };
})`;

interface Opened {
  readonly page: Page;
  /** URLs the page tried to fetch that are not local files (each was aborted). */
  readonly blocked: string[];
  readonly errors: string[];
}

describe.skipIf(skip !== undefined)('the HTML report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'joule-report-'));
    // --no-sandbox: CI and containers run as root, where Chromium's sandbox will not start.
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(report: BenchReport, name: string): Promise<Opened> {
    const file = join(dir, `${name}.html`);
    await writeFile(file, renderHtml(report));
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, offline: true });
    const blocked: string[] = [];
    const errors: string[] = [];
    await context.route('**', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:///')) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction('typeof window.__chartsRendered === "number"', undefined, { timeout: 10_000 });
    return { page, blocked, errors };
  }

  it('draws every chart offline, fetching nothing, into a screenshot that is not blank', async () => {
    const { page, blocked, errors } = await open(fixtureReport, 'report');
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    expect(await page.evaluate('window.__chartsRendered')).toBe(3);
    const canvases = (await page.evaluate(canvasInk)) as { id: string; width: number; height: number; ink: number }[];
    expect(canvases.map((c) => c.id)).toEqual(['chart-throughput', 'chart-efficiency', 'chart-latency']);
    for (const c of canvases) {
      expect(c.width, c.id).toBeGreaterThan(300);
      expect(c.ink, c.id).toBeGreaterThan(c.width * c.height * 0.01);
    }
    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = PNG.sync.read(await readFile(shot));
    expect(png.width).toBe(1280);
    expect(png.height).toBeGreaterThan(2000);
    const counts = new Map<number, number>();
    for (let i = 0; i < png.data.length; i += 4) {
      const rgb = (png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2];
      counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
    }
    expect(counts.size).toBeGreaterThan(200);
    expect(Math.max(...counts.values())).toBeLessThan(0.9 * png.width * png.height);
    await page.context().close();
  }, 30_000);

  it('says power was not measured where nothing was, and flags the interrupted run', async () => {
    const { page, blocked, errors } = await open(unmeteredReport, 'unmetered');
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    expect(await page.evaluate('window.__chartsRendered')).toBe(2);
    expect(await page.textContent('#fig-efficiency .empty')).toBe('power not measured on this machine');
    expect(await page.isVisible('.banner')).toBe(true);
    await page.context().close();
  }, 30_000);
});
