// The HTML report's charts, in the spirit of Figure 2 of NVIDIA's 2015 study: images/s and images/s
// per watt for each runtime, and latency against batch size. Built here as plain Chart.js configs
// (JSON, no callbacks) so the page only hands them to Chart.js, and the tests can read them.

import type { BenchPoint, BenchReport } from '../schema.js';
import { imagesPerWatt, orderedPoints, runtimeLabel } from './tables.js';

/** Fixed colours for the runtimes joule usually meets, so a runtime looks the same in every report. */
const knownColors: Readonly<Record<string, string>> = {
  'joule cpu': '#2563eb',
  'joule webgpu': '#7c3aed',
  'joule reference': '#64748b',
  'onnxruntime-node cpu': '#ea580c',
  'onnxruntime-web wasm': '#16a34a',
  'onnxruntime-web webgpu': '#0d9488',
};
const spareColors = ['#db2777', '#ca8a04', '#0891b2', '#9333ea', '#4d7c0f', '#be123c', '#1e40af', '#92400e'];

/** A colour per runtime/backend label, in order of first appearance. */
export function runtimeColors(points: readonly BenchPoint[]): Map<string, string> {
  const colors = new Map<string, string>();
  let spare = 0;
  for (const p of points) {
    const label = runtimeLabel(p.runtime);
    if (colors.has(label)) continue;
    colors.set(label, knownColors[label] ?? spareColors[spare++ % spareColors.length]);
  }
  return colors;
}

/** '#2563eb' at opacity a, as rgba(). */
function fade(hex: string, a: number): string {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255}, ${(v >> 8) & 255}, ${v & 255}, ${a})`;
}

type Json = string | number | boolean | null | readonly Json[] | { readonly [k: string]: Json };

/** A chart to draw: the canvas it goes in and its Chart.js config. */
export interface ChartSpec {
  readonly id: string;
  readonly config: { readonly [k: string]: Json };
}

/** The charts of a report, and what to show where a chart has nothing honest to draw. */
export interface ReportCharts {
  readonly throughput?: ChartSpec;
  readonly efficiency?: ChartSpec;
  readonly latency?: ChartSpec;
  /** Charts that will be drawn, in page order. */
  readonly specs: readonly ChartSpec[];
  /** True when some bars of the efficiency chart rest on declared, not measured, power. */
  readonly anyDeclared: boolean;
}

const chartFont = { family: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif', size: 12 };

function baseOptions(yTitle: string, yLog: boolean): { [k: string]: Json } {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    plugins: {
      legend: { position: 'bottom', labels: { boxWidth: 14, font: chartFont } },
      tooltip: { enabled: true },
    },
    scales: {
      x: { grid: { display: false }, ticks: { font: chartFont } },
      y: {
        type: yLog ? 'logarithmic' : 'linear',
        title: { display: true, text: yTitle, font: chartFont },
        grid: { color: '#e5e7eb' },
        ticks: { font: chartFont },
      },
    },
  };
}

interface Group {
  readonly key: string;
  readonly label: readonly string[];
}

const groupOf = (p: BenchPoint): Group => ({
  key: `${p.model}|${p.batch}|${p.precision}`,
  label: [p.model, `batch ${p.batch} · ${p.precision}`],
});

/** Bars: one category per model × batch × precision, one dataset per runtime. */
function barChart(
  id: string,
  points: readonly BenchPoint[],
  value: (p: BenchPoint) => number | undefined,
  colors: Map<string, string>,
  yTitle: string,
  fadeDeclared: boolean,
): ChartSpec | undefined {
  const shown = points.filter((p) => p.status === 'ok' && p.scenario !== 'server' && value(p) !== undefined);
  if (shown.length === 0) return undefined;
  const groups = new Map<string, Group>();
  for (const p of shown) groups.set(groupOf(p).key, groupOf(p));
  const keys = [...groups.keys()];
  const runtimes = [...new Set(shown.map((p) => runtimeLabel(p.runtime)))];
  const datasets = runtimes.map((label) => {
    const byGroup = new Map(shown.filter((p) => runtimeLabel(p.runtime) === label).map((p) => [groupOf(p).key, p]));
    const color = colors.get(label)!;
    const declared = keys.map((k) => fadeDeclared && byGroup.get(k)?.power?.source === 'declared');
    return {
      label,
      data: keys.map((k) => {
        const p = byGroup.get(k);
        return p ? value(p)! : null;
      }),
      // Declared power is drawn hollow-ish: the same colour, faded, with a solid edge.
      backgroundColor: declared.map((d) => (d ? fade(color, 0.25) : color)),
      borderColor: color,
      borderWidth: declared.map((d) => (d ? 2 : 0)),
      borderRadius: 3,
      maxBarThickness: 56,
    };
  });
  const yLog = spread(shown.map(value)) > 30;
  return {
    id,
    config: {
      type: 'bar',
      data: { labels: keys.map((k) => groups.get(k)!.label), datasets },
      options: baseOptions(yTitle + (yLog ? ' (log scale)' : ''), yLog),
    },
  };
}

/** max / min of the positive values: whether a log scale is needed to see them all. */
function spread(values: readonly (number | undefined)[]): number {
  const v = values.filter((x): x is number => x !== undefined && x > 0);
  return v.length ? Math.max(...v) / Math.min(...v) : 1;
}

const precisionMarker = { fp32: 'circle', fp16: 'triangle' } as const;

/** Lines of p50 latency against batch size: colour by runtime, dashes by model, marker by precision. */
function latencyChart(points: readonly BenchPoint[], colors: Map<string, string>): ChartSpec | undefined {
  const shown = points.filter((p) => p.status === 'ok' && p.scenario !== 'server' && p.latencyMs);
  if (shown.length === 0) return undefined;
  const models = [...new Set(shown.map((p) => p.model))];
  const series = new Map<string, BenchPoint[]>();
  for (const p of shown) {
    const key = `${runtimeLabel(p.runtime)} · ${p.model} · ${p.precision}`;
    series.set(key, [...(series.get(key) ?? []), p]);
  }
  const datasets = [...series].map(([label, ps]) => {
    const color = colors.get(runtimeLabel(ps[0].runtime))!;
    const sorted = [...ps].sort((a, b) => a.batch - b.batch);
    return {
      label,
      data: sorted.map((p) => ({ x: p.batch, y: p.latencyMs!.p50 })),
      borderColor: color,
      backgroundColor: color,
      borderDash: models.indexOf(ps[0].model) === 0 ? [] : [6, 4],
      pointStyle: precisionMarker[ps[0].precision],
      pointRadius: 4,
      borderWidth: 2,
    };
  });
  const options = baseOptions('p50 latency of one batch, ms (log scale)', true);
  const scales = options.scales as { [k: string]: Json };
  // Up to runtimes x models x precisions lines: their legend reads better as a column beside the plot.
  const plugins = { ...(options.plugins as { [k: string]: Json }), legend: { position: 'right', labels: { boxWidth: 14, usePointStyle: true, font: chartFont } } };
  return {
    id: 'chart-latency',
    config: {
      type: 'line',
      data: { datasets },
      options: {
        ...options,
        plugins,
        scales: {
          ...scales,
          x: { type: 'logarithmic', title: { display: true, text: 'batch size (log scale)', font: chartFont }, ticks: { font: chartFont }, grid: { color: '#f1f5f9' } },
        },
      },
    },
  };
}

/** The report's charts; the efficiency chart only from measured or declared power. */
export function reportCharts(report: BenchReport): ReportCharts {
  const points = orderedPoints(report);
  const colors = runtimeColors(points);
  const throughput = barChart('chart-throughput', points, (p) => p.imagesPerSecond, colors, 'images/s', false);
  const efficiency = barChart('chart-efficiency', points, imagesPerWatt, colors, 'images/s per watt', true);
  const latency = latencyChart(points, colors);
  const anyDeclared = points.some((p) => p.status === 'ok' && p.power?.source === 'declared' && imagesPerWatt(p) !== undefined);
  const specs = [throughput, efficiency, latency].filter((s): s is ChartSpec => s !== undefined);
  return { throughput, efficiency, latency, specs, anyDeclared };
}
