import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../../src/bench/schema.js';
import { renderHtml } from '../../src/bench/report/index.js';
import { reportCharts } from '../../src/bench/report/charts.js';
import { fixtureReport, unmeteredReport } from './fixtures.js';

/** The text of the <script> element with this id. */
function scriptText(html: string, id: string): string {
  const m = new RegExp(`<script type="application/json" id="${id}">([^<]*)</script>`).exec(html);
  expect(m, id).not.toBeNull();
  return m![1];
}

describe('renderHtml', () => {
  const html = renderHtml(fixtureReport);

  it('is one self-contained file: nothing loaded by URL', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/\s(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
    // Chart.js itself is inlined.
    expect(html.length).toBeGreaterThan(150_000);
    expect(html).toContain('Chart.js 4.');
  });

  it('embeds the report as JSON that round-trips', () => {
    expect(JSON.parse(scriptText(html, 'bench-report'))).toEqual(JSON.parse(JSON.stringify(fixtureReport)));
  });

  it('cannot be broken out of by what the report says', () => {
    const hostile: BenchReport = {
      ...fixtureReport,
      command: 'joule bench "</script><script>alert(1)</script>" <b>',
      points: [{ ...fixtureReport.points[0], model: '<img src=x onerror=alert(2)>' }],
    };
    const out = renderHtml(hostile);
    expect(out).not.toContain('<script>alert(1)');
    expect(out).not.toContain('<img src=x');
    expect(out).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(out.match(/<\/script/gi)).toHaveLength(4); // the four elements' own closing tags
    expect(JSON.parse(scriptText(out, 'bench-report'))).toEqual(JSON.parse(JSON.stringify(hostile)));
  });

  it('draws three charts, without animation, and counts them for a test to wait on', () => {
    const specs = JSON.parse(scriptText(html, 'bench-charts')) as { id: string; config: { type: string; options: { animation: boolean } } }[];
    expect(specs.map((s) => [s.id, s.config.type])).toEqual([
      ['chart-throughput', 'bar'],
      ['chart-efficiency', 'bar'],
      ['chart-latency', 'line'],
    ]);
    for (const s of specs) {
      expect(s.config.options.animation).toBe(false);
      expect(html).toContain(`<canvas id="${s.id}"`);
    }
    expect(html).toContain('window.__chartsRendered = drawn');
  });

  it('charts images/s per watt only from measured or declared power', () => {
    const { efficiency, throughput } = reportCharts(fixtureReport);
    const data = efficiency!.config.data as { labels: string[][]; datasets: { label: string; data: (number | null)[] }[] };
    expect(data.datasets.map((d) => d.label)).toEqual(['joule webgpu', 'joule cpu']);
    expect(data.labels).toEqual([['caffenet', 'batch 1 · fp32'], ['caffenet', 'batch 48 · fp32'], ['googlenet', 'batch 1 · fp32']]);
    const cpu = data.datasets[1].data;
    expect(cpu[0]).toBeNull();
    expect(cpu[1]).toBeCloseTo((48 * 1000) / (760 * 1.02) / 125, 6);
    // images/s shows every runtime that measured something, skipped and failed points left out.
    const bars = throughput!.config.data as { datasets: { label: string }[] };
    expect(bars.datasets.map((d) => d.label)).toEqual(['joule cpu', 'joule webgpu', 'onnxruntime-node cpu', 'onnxruntime-web wasm']);
    expect(html).toContain('Faded bars rest on declared power');
  });

  it('says power was not measured instead of drawing an empty chart', () => {
    const out = renderHtml(unmeteredReport);
    expect(out).toContain('<div class="empty">power not measured on this machine</div>');
    expect(out).not.toContain('id="chart-efficiency"');
    expect(JSON.parse(scriptText(out, 'bench-charts'))).toHaveLength(2);
    expect(html).not.toContain('power not measured on this machine');
  });

  it('shows the machine, the tables, the 2015 study labelled as such, and an interrupted banner', () => {
    expect(html).toContain('<dt>GPU adapter</dt><dd>NVIDIA H100 80GB HBM3 (Vulkan, driver 550.127.05)</dd>');
    expect(html).toContain('<dt>CPU</dt><dd>AMD EPYC 9454 48-Core Processor (16 cores)</dd>');
    expect(html).toContain('Accuracy: fp16 against fp32');
    expect(html).toContain('NVIDIA&#39;s 2015 study: published numbers, not measured here');
    expect(html).toContain('<td>GeForce GTX Titan X</td>');
    expect(html).toContain('<span class="declared">125 (declared)</span>');
    expect(html).toContain('skipped: onnxruntime-web&#39;s WebGPU execution provider needs navigator.gpu');
    expect(html).not.toContain('class="banner"');
    expect(renderHtml(unmeteredReport)).toContain('<div class="banner" role="alert">Interrupted: ');
  });
});
