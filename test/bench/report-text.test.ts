import { describe, expect, it } from 'vitest';
import type { BenchPoint, BenchReport } from '../../src/bench/schema.js';
import { renderMarkdown, renderTable } from '../../src/bench/report/index.js';
import { ratioToBaseline } from '../../src/bench/report/tables.js';
import { fixtureReport, unmeteredReport } from './fixtures.js';

const point = (model: string, runtime: string, backend: string, precision: string, batch: number): BenchPoint => {
  const p = fixtureReport.points.find(
    (q) => q.model === model && q.runtime.runtime === runtime && q.runtime.backend === backend && q.precision === precision && q.batch === batch,
  );
  if (!p) throw new Error(`no fixture point ${model} ${runtime} ${backend} ${precision} ${batch}`);
  return p;
};

/** The result line of the terminal table for one point (model, runtime label, precision, batch in order). */
function tableLine(text: string, model: string, label: string, precision: string, batch: number): string {
  const re = new RegExp(`^${model}\\s+${label}\\s+${precision}\\s+${batch}\\s`);
  const lines = text.split('\n').filter((l) => re.test(l));
  expect(lines, `${model} ${label} ${precision} ${batch}`).toHaveLength(1);
  return lines[0];
}

describe('renderTable', () => {
  const text = renderTable(fixtureReport);

  it('aligns every column: each row puts its status where the header does', () => {
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('model ') && l.includes('vs ort-node'));
    const rows = lines.slice(header + 1, header + 1 + fixtureReport.points.length);
    const at = lines[header].indexOf('status');
    for (const r of rows) expect(r.slice(at), r).toMatch(/^(ok|skipped|failed)/);
    // Right-aligned numbers end under their header.
    const ipsEnd = lines[header].indexOf('images/s') + 'images/s'.length;
    expect(tableLine(text, 'caffenet', 'joule cpu', 'fp32', 1).slice(0, ipsEnd)).toMatch(/ 23\.5$/);
  });

  it('prints "not measured" for power that was not measured, never a number', () => {
    const line = tableLine(text, 'caffenet', 'joule cpu', 'fp32', 1);
    expect(line).toContain('not measured');
    // Even a report that carries numbers beside source 'not-measured' (against its schema) shows none.
    const sneaky: BenchReport = {
      ...fixtureReport,
      points: [{ ...point('caffenet', 'joule', 'cpu', 'fp32', 1), power: { source: 'not-measured', averageWatts: 77.7, imagesPerSecondPerWatt: 3.21, reason: 'no meter' } }],
    };
    const out = renderTable(sneaky);
    expect(out).not.toContain('77.7');
    expect(out).not.toContain('3.21');
    expect(out).toContain('not measured');
  });

  it('labels declared power as declared, and shows measured power as a number', () => {
    const declared = tableLine(text, 'caffenet', 'joule cpu', 'fp32', 48);
    expect(declared).toContain('125 (declared)');
    expect(declared).toMatch(/0\.50 \(declared\)/);
    const measured = tableLine(text, 'caffenet', 'joule webgpu', 'fp32', 48);
    expect(measured).toMatch(/\s388\s+10\.5\s/);
    expect(measured).not.toContain('declared');
    expect(text).toContain('power measured by nvidia-smi (GPU 0: NVIDIA H100 80GB HBM3)');
    expect(text).toContain('power declared by the user, not measured');
  });

  it('divides images/s by onnxruntime-node at the same model and batch', () => {
    for (const [model, batch] of [['caffenet', 1], ['caffenet', 48], ['googlenet', 1], ['googlenet', 48]] as const) {
      const base = point(model, 'onnxruntime-node', 'cpu', 'fp32', batch).imagesPerSecond!;
      for (const [label, runtime, backend, precision] of [
        ['joule cpu', 'joule', 'cpu', 'fp32'],
        ['joule cpu', 'joule', 'cpu', 'fp16'], // against ort-node's fp32: it ran no fp16
        ['onnxruntime-web wasm', 'onnxruntime-web', 'wasm', 'fp32'],
      ] as const) {
        const want = (point(model, runtime, backend, precision, batch).imagesPerSecond! / base).toFixed(2) + 'x';
        expect(tableLine(text, model, label, precision, batch)).toContain(` ${want} `);
      }
      expect(tableLine(text, model, 'onnxruntime-node cpu', 'fp32', batch)).toContain(' 1.00x ');
    }
    expect(tableLine(text, 'caffenet', 'joule webgpu', 'fp32', 1)).toContain(' 17.59x ');
  });

  it('prefers onnxruntime-node at the same precision, and has no ratio without it', () => {
    const cpu16: BenchPoint = { ...point('caffenet', 'joule', 'cpu', 'fp16', 1), imagesPerSecond: 30 };
    const ort32: BenchPoint = { ...point('caffenet', 'onnxruntime-node', 'cpu', 'fp32', 1), imagesPerSecond: 60 };
    const ort16: BenchPoint = { ...ort32, precision: 'fp16', imagesPerSecond: 120 };
    expect(ratioToBaseline(cpu16, [cpu16, ort32])).toBe(0.5);
    expect(ratioToBaseline(cpu16, [cpu16, ort32, ort16])).toBe(0.25);
    expect(ratioToBaseline(cpu16, [cpu16, { ...ort32, batch: 48 }])).toBeUndefined();
    expect(ratioToBaseline(cpu16, [cpu16, { ...ort32, status: 'failed', error: 'x' }])).toBeUndefined();
    const alone: BenchReport = { ...fixtureReport, points: [cpu16] };
    expect(tableLine(renderTable(alone), 'caffenet', 'joule cpu', 'fp16', 1)).toMatch(/\s-\s+ok/);
  });

  it('says why a point was skipped or failed, and what the runtime warned of', () => {
    expect(tableLine(text, 'caffenet', 'onnxruntime-web webgpu', 'fp32', 1)).toMatch(/skipped \[\d+\]$/);
    expect(tableLine(text, 'googlenet', 'joule webgpu', 'fp32', 48)).toMatch(/failed \[\d+\]$/);
    for (const p of fixtureReport.points.filter((q) => q.status !== 'ok')) expect(text).toContain(`${p.status}: ${p.error}`);
    expect(text).toContain('warning: fp16 on cpu');
  });

  it('lists the accuracy rows, and says when the run was interrupted', () => {
    expect(text).toMatch(/caffenet\s+joule cpu\s+64\s+100\.0%\s+99\.7%\s+3\.10e-4\s+2\.20e-6/);
    expect(text).not.toMatch(/interrupted/i);
    expect(renderTable(unmeteredReport)).toMatch(/^Interrupted: /m);
  });
});

describe('renderMarkdown', () => {
  const md = renderMarkdown(fixtureReport);
  const rowsOf = (heading: string): string[] => {
    const start = md.indexOf(heading);
    expect(start, heading).toBeGreaterThanOrEqual(0);
    const lines = md.slice(start).split('\n');
    const first = lines.findIndex((l) => l.startsWith('|'));
    const end = lines.findIndex((l, i) => i > first && !l.startsWith('|'));
    return lines.slice(first, end);
  };

  it('renders the results as a GitHub table with the same cells as the terminal', () => {
    const rows = rowsOf('## Results');
    expect(rows[0]).toBe('| model | runtime/backend | precision | batch | scenario | images/s | p50 / p99 ms | GFLOP/s | W | images/s/W | vs ort-node | status |');
    expect(rows[1]).toBe('|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|');
    expect(rows).toHaveLength(2 + fixtureReport.points.length);
    for (const r of rows) expect(r.split(/(?<!\\)\|/).length - 2, r).toBe(12);
    expect(md).toContain('| caffenet | joule cpu | fp32 | 48 | throughput | 61.9 | 760 / 904 | 89.7 | 125 (declared) | 0.50 (declared) | 0.53x | ok |');
    expect(md).toContain('| caffenet | joule cpu | fp32 | 1 | latency | 23.5 | 41.8 / 49.7 | 34.0 | not measured | - | 0.47x | ok |');
    expect(md).toContain("- [1] caffenet onnxruntime-web webgpu fp32 batch 1: skipped: onnxruntime-web's WebGPU");
  });

  it('gives the machine and software', () => {
    expect(md).toContain('- **CPU**: AMD EPYC 9454 48-Core Processor (16 cores)');
    expect(md).toContain('- **GPU adapter**: NVIDIA H100 80GB HBM3 (Vulkan, driver 550.127.05)');
    expect(md).toContain('onnxruntime-node 1.30.0');
    expect(md).toContain(fixtureReport.command);
  });

  it("puts the 2015 study's numbers in their own table, labelled as not measured here", () => {
    const rows = rowsOf("## NVIDIA's 2015 study: published numbers, not measured here");
    expect(rows).toHaveLength(2 + fixtureReport.reference.length);
    expect(rows).toContain('| GeForce GTX Titan X | AlexNet | fp32 | 128 | 3216 | 227 | 14.2 | recalled, approximate |');
    expect(rows).toContain('| Core i7 6700K | CaffeNet | fp32 | 48 | 242 | - | 3.90 | confirmed from the text |');
    // None of the study's devices leaks into the measured results.
    expect(rowsOf('## Results').join('\n')).not.toContain('Titan X');
  });

  it('has the accuracy table, escapes pipes, and flags an interrupted run', () => {
    expect(rowsOf('## Accuracy: fp16 against fp32')[0]).toContain('max \\|diff\\|');
    const piped = renderMarkdown({ ...fixtureReport, points: [{ ...point('caffenet', 'joule', 'cpu', 'fp32', 1), model: 'a|b' }] });
    expect(piped).toContain('| a\\|b | joule cpu |');
    expect(md).not.toMatch(/interrupted/i);
    expect(renderMarkdown(unmeteredReport)).toContain('> **Interrupted: ');
  });
});
