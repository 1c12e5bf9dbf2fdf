// The HTML report: one self-contained file that opens offline. Style, Chart.js and the report's data
// are all inlined; nothing is fetched.

import type { BenchReport } from '../schema.js';
import { reportCharts, runtimeColors, type ChartSpec } from './charts.js';
import { drawChartsScript, escapeHtml, inlineJson, inlineScript, loadChartLibrary, styleSheet } from './html-assets.js';
import {
  accuracyTable,
  interruptedNote,
  machineFacts,
  orderedPoints,
  powerNotes,
  ratioNote,
  referenceTable,
  referenceTitle,
  resultsTable,
  type TextTable,
} from './tables.js';

const e = escapeHtml;

function htmlTable(t: TextTable, cell: (text: string, row: number, col: number) => string = (s) => e(s)): string {
  const cls = (c: number): string => (t.align[c] === 'right' ? ' class="num"' : '');
  const head = t.headers.map((h, c) => `<th${cls(c)}>${e(h)}</th>`).join('');
  const body = t.rows
    .map((r, i) => `<tr>${r.map((s, c) => `<td${cls(c)}>${cell(s, i, c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function resultsHtml(report: BenchReport, colors: Map<string, string>): string {
  const results = resultsTable(report);
  const cls = (c: number): string => (results.align[c] === 'right' ? ' class="num"' : '');
  const head = results.headers.map((h, c) => `<th${cls(c)}>${e(h)}</th>`).join('');
  const runtimeCol = results.headers.indexOf('runtime/backend');
  const statusCol = results.headers.indexOf('status');
  let previous = '';
  const body = results.rows.map((row) => {
    const p = row.point;
    const group = `${p.model}|${p.batch}|${p.scenario}`;
    const start = previous !== '' && group !== previous;
    previous = group;
    const tds = row.cells.map((text, c) => {
      let inner = e(text);
      if (c === runtimeCol) inner = `<span class="swatch" style="background:${colors.get(text) ?? '#999'}"></span>${inner}`;
      else if (c === statusCol) inner = `<span class="badge ${p.status}">${e(p.status)}</span>`;
      else if (text === 'not measured') inner = `<span class="muted">${inner}</span>`;
      else if (text.endsWith('(declared)')) inner = `<span class="declared">${inner}</span>`;
      return `<td${cls(c)}>${inner}</td>`;
    });
    // Reasons and warnings read best at full width, right under their row.
    const notes = row.notes.map((n) => `<tr class="note-row ${p.status}"><td colspan="${tds.length}">${e(n)}</td></tr>`);
    const classes = [start ? 'group-start' : '', notes.length ? 'has-note' : ''].filter(Boolean).join(' ');
    return [`<tr${classes ? ` class="${classes}"` : ''}>${tds.join('')}</tr>`, ...notes].join('\n');
  });
  const notes = [...powerNotes(report), ratioNote].map((n) => `<li>${e(n)}</li>`).join('');
  return (
    `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${body.join('\n')}\n</tbody></table></div>` +
    `<ul class="notes">${notes}</ul>`
  );
}

function chartFigure(name: string, spec: ChartSpec | undefined, caption: string, sub: string, empty: string): string {
  const area = spec
    ? `<canvas id="${spec.id}" role="img" aria-label="${e(caption)}"></canvas>`
    : `<div class="empty">${e(empty)}</div>`;
  return `<figure class="card" id="fig-${name}"><figcaption>${e(caption)}</figcaption><p>${e(sub)}</p><div class="chart">${area}</div></figure>`;
}

/** The HTML report: one file with its style, Chart.js and data inlined, which opens offline. */
export function renderHtml(report: BenchReport): string {
  const chart = loadChartLibrary();
  const charts = reportCharts(report);
  const colors = runtimeColors(orderedPoints(report));
  const facts = machineFacts(report.machine)
    .map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`)
    .join('');
  const efficiencySub = charts.anyDeclared
    ? 'Only points whose power was measured or declared. Faded bars rest on declared power (--power-watts), not a measurement.'
    : 'Only points whose power was measured by a meter.';
  const sections = [
    `<header><h1><span>joule</span> bench</h1><p class="sub">Started <time datetime="${e(report.startedAt)}">${e(report.startedAt)}</time></p><code>${e(report.command)}</code></header>`,
    report.interrupted ? `<div class="banner" role="alert">${e(interruptedNote)}</div>` : '',
    `<section class="card"><h2>Machine and software</h2><dl class="facts">${facts}</dl></section>`,
    `<section class="charts">`,
    chartFigure('throughput', charts.throughput, 'Images per second', 'Each runtime and backend, by model, batch size and precision. Higher is better.', 'no point was measured'),
    chartFigure('efficiency', charts.efficiency, 'Images per second per watt', efficiencySub, 'power not measured on this machine'),
    chartFigure('latency', charts.latency, 'Latency against batch size', 'p50 of one batch; dashed lines for the second model; triangles for fp16. Lower is better.', 'no latency was measured'),
    `</section>`,
    `<section class="card"><h2>Results</h2>${resultsHtml(report, colors)}</section>`,
    report.accuracy.length
      ? `<section class="card"><h2>Accuracy: fp16 against fp32</h2><p class="note">Agreement of the top-1 and top-5 classes, and differences of the outputs, on the same inputs.</p>${htmlTable(accuracyTable(report.accuracy))}</section>`
      : '',
    report.reference.length
      ? `<section class="card reference"><h2>${e(referenceTitle)}</h2><p class="note">From "GPU-Based Deep Learning Inference: A Performance and Power Analysis" (NVIDIA, November 2015), on its own hardware and software: shown for comparison, not measured by this run.</p>${htmlTable(referenceTable(report))}</section>`
      : '',
    `<footer>Rendered by joule bench · charts by Chart.js ${e(chart.version)}, inlined · this file opens offline</footer>`,
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>joule bench · ${e(report.startedAt)}</title>
<style>${styleSheet}</style>
</head>
<body>
<main>
${sections.filter(Boolean).join('\n')}
</main>
<script type="application/json" id="bench-report">${inlineJson(report)}</script>
<script type="application/json" id="bench-charts">${inlineJson(charts.specs)}</script>
<script>${chart.code}</script>
<script>${inlineScript(drawChartsScript)}</script>
</body>
</html>
`;
}
