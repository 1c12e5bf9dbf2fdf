// What the HTML report inlines so it opens offline: its style sheet, Chart.js's browser bundle read
// from node_modules, and the few lines that draw the charts.

import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ChartLibrary {
  readonly version: string;
  /** The UMD bundle, made safe to sit inside a <script> element. */
  readonly code: string;
}

let chartLibrary: ChartLibrary | undefined;

/** Chart.js's UMD bundle, resolved from this module (works from src under tsx and from dist). */
export function loadChartLibrary(): ChartLibrary {
  if (chartLibrary) return chartLibrary;
  const require = createRequire(import.meta.url);
  // The package's exports name no dist/*.umd.js, so find its directory from its main entry.
  const dist = dirname(require.resolve('chart.js'));
  const file = ['chart.umd.min.js', 'chart.umd.js'].map((f) => join(dist, f)).find((f) => existsSync(f));
  if (!file) throw new Error(`chart.js: no UMD bundle in ${dist}`);
  const pkg = JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8')) as { version: string };
  chartLibrary = { version: pkg.version, code: inlineScript(readFileSync(file, 'utf8')) };
  return chartLibrary;
}

/** JavaScript made safe inside <script>: '</script' would end the element early. */
export function inlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1');
}

/** JSON made safe inside <script type="application/json">: no '<' at all, nor the two JS line terminators. */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Text made safe inside HTML elements and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Draws every chart spec whose canvas is on the page, then says how many it drew. */
export const drawChartsScript = `(function () {
  var specs = JSON.parse(document.getElementById('bench-charts').textContent);
  var drawn = 0;
  Chart.defaults.color = '#374151';
  specs.forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) return;
    new Chart(canvas, spec.config);
    drawn++;
  });
  window.__chartsRendered = drawn;
})();`;

export const styleSheet = `
:root {
  --bg: #f5f6f8; --card: #ffffff; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb;
  --accent: #2563eb; --warn-bg: #fff7ed; --warn: #9a3412; --ok: #15803d; --bad: #b91c1c;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
main { max-width: 1240px; margin: 0 auto; padding: 28px 24px 40px; }
header h1 { margin: 0; font-size: 26px; letter-spacing: -0.01em; }
header h1 span { color: var(--accent); }
header .sub { margin: 4px 0 0; color: var(--muted); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
header code { display: inline-block; margin-top: 8px; padding: 6px 10px; background: #111827; color: #e5e7eb; border-radius: 6px; white-space: pre-wrap; word-break: break-all; }
.banner { margin: 18px 0 0; padding: 12px 16px; border-radius: 8px; background: var(--warn-bg); color: var(--warn); border: 1px solid #fed7aa; font-weight: 600; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin: 18px 0 0; box-shadow: 0 1px 2px rgba(0,0,0,0.04); }
.card h2 { margin: 0 0 10px; font-size: 16px; }
.card p.note { margin: 0 0 10px; color: var(--muted); font-size: 13px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.charts { display: grid; gap: 18px; margin-top: 18px; }
.charts .card { margin: 0; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 2px; }
figcaption + p { margin: 0 0 8px; color: var(--muted); font-size: 12.5px; }
.chart { position: relative; height: 360px; }
#fig-efficiency .chart { height: 280px; }
.empty { display: flex; align-items: center; justify-content: center; height: 100%; border: 2px dashed var(--line); border-radius: 8px; color: var(--muted); font-size: 15px; text-align: center; padding: 0 20px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; white-space: nowrap; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: none; border-bottom: 2px solid var(--line); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:hover { background: #f9fafb; }
tr.group-start td { border-top: 1px solid #d1d5db; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.badge { display: inline-block; padding: 0 7px; border-radius: 999px; font-size: 11.5px; font-weight: 600; }
.badge.ok { background: #dcfce7; color: var(--ok); }
.badge.skipped { background: #f3f4f6; color: #4b5563; }
.badge.failed { background: #fee2e2; color: var(--bad); }
tr.has-note td { border-bottom: none; }
tr.note-row td { padding-top: 0; white-space: normal; color: var(--muted); font-size: 12px; padding-left: 28px; }
tr.note-row.failed td { color: var(--bad); }
tbody tr.note-row:hover { background: transparent; }
.muted { color: var(--muted); }
.declared { color: #92400e; }
ul.notes { margin: 10px 0 0; padding-left: 18px; color: var(--muted); font-size: 12.5px; }
.reference { border-style: dashed; background: #fbfbfc; }
footer { margin-top: 22px; color: var(--muted); font-size: 12px; text-align: center; }
@media print { body { background: #fff; } .card { box-shadow: none; } }
`;
