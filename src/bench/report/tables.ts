// What every report shows, as cells of text: the terminal, Markdown and HTML renderers only lay
// these out, so the three never disagree on a number, a ratio or how power is labelled.

import type { AccuracyResult, BenchPoint, BenchReport, MachineInfo, PowerResult, RuntimeId } from '../schema.js';

/** The peer that the "vs ort-node" column divides by. */
export const baselineRuntime = 'onnxruntime-node';

export type Align = 'left' | 'right';

/** A table of text cells with a header and per-column alignment. */
export interface TextTable {
  readonly headers: readonly string[];
  readonly align: readonly Align[];
  readonly rows: readonly (readonly string[])[];
}

/** One row of the results table: its cells, the point it shows, and what to say about it below. */
export interface ResultRow {
  readonly point: BenchPoint;
  readonly cells: readonly string[];
  /** The reason a point was skipped or failed, the runtime's warnings, a server summary. */
  readonly notes: readonly string[];
}

export interface ResultsTable {
  readonly headers: readonly string[];
  readonly align: readonly Align[];
  readonly rows: readonly ResultRow[];
}

/** 'joule cpu', 'onnxruntime-web wasm'. */
export function runtimeLabel(id: RuntimeId): string {
  return `${id.runtime} ${id.backend}`;
}

/** Three significant figures or so, never exponent notation: 4213, 87.3, 1.24, 0.062. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  if (a === 0) return '0';
  return n.toPrecision(2);
}

const dash = '-';

function orderOf<T>(values: readonly T[]): Map<T, number> {
  const order = new Map<T, number>();
  for (const v of values) if (!order.has(v)) order.set(v, order.size);
  return order;
}

/** The points grouped for reading: by model, batch, scenario, precision, then runtime (each in order of first appearance). */
export function orderedPoints(report: BenchReport): BenchPoint[] {
  const models = orderOf(report.points.map((p) => p.model));
  const runtimes = orderOf(report.points.map((p) => runtimeLabel(p.runtime)));
  const scenarios = { latency: 0, throughput: 1, server: 2 } as const;
  const precisions = { fp32: 0, fp16: 1 } as const;
  return [...report.points].sort(
    (a, b) =>
      models.get(a.model)! - models.get(b.model)! ||
      a.batch - b.batch ||
      scenarios[a.scenario] - scenarios[b.scenario] ||
      precisions[a.precision] - precisions[b.precision] ||
      runtimes.get(runtimeLabel(a.runtime))! - runtimes.get(runtimeLabel(b.runtime))!,
  );
}

/**
 * images/s of `point` over onnxruntime-node's measured in the same run at the same model, batch and
 * scenario: at the same precision where it ran one, else at fp32. Undefined where there is nothing to divide by.
 */
export function ratioToBaseline(point: BenchPoint, points: readonly BenchPoint[]): number | undefined {
  if (point.status !== 'ok' || point.imagesPerSecond === undefined) return undefined;
  const peers = points.filter(
    (p) =>
      p.runtime.runtime === baselineRuntime &&
      p.status === 'ok' &&
      p.imagesPerSecond !== undefined &&
      p.imagesPerSecond > 0 &&
      p.model === point.model &&
      p.batch === point.batch &&
      p.scenario === point.scenario,
  );
  const base = peers.find((p) => p.precision === point.precision) ?? peers.find((p) => p.precision === 'fp32');
  return base ? point.imagesPerSecond / base.imagesPerSecond! : undefined;
}

/** images/s per watt of a point whose power was measured or declared; undefined otherwise. */
export function imagesPerWatt(point: BenchPoint): number | undefined {
  const power = point.power;
  if (point.status !== 'ok' || !power || power.source === 'not-measured') return undefined;
  if (power.imagesPerSecondPerWatt !== undefined) return power.imagesPerSecondPerWatt;
  if (point.imagesPerSecond !== undefined && power.averageWatts) return point.imagesPerSecond / power.averageWatts;
  return undefined;
}

/** The W and images/s/W cells: 'not measured' is never a number, and a declared number says so. */
export function powerCells(point: BenchPoint): { watts: string; perWatt: string } {
  if (point.status !== 'ok') return { watts: '', perWatt: '' };
  const power: PowerResult | undefined = point.power;
  if (!power || power.source === 'not-measured') return { watts: 'not measured', perWatt: dash };
  const perWatt = imagesPerWatt(point);
  const suffix = power.source === 'declared' ? ' (declared)' : '';
  return {
    watts: power.averageWatts === undefined ? dash : formatNumber(power.averageWatts) + suffix,
    perWatt: perWatt === undefined ? dash : formatNumber(perWatt) + suffix,
  };
}

function pointNotes(p: BenchPoint): string[] {
  const notes: string[] = [];
  if (p.status !== 'ok') notes.push(`${p.status}: ${p.error ?? 'no reason given'}`);
  for (const w of p.warnings ?? []) notes.push(`warning: ${w}`);
  if (p.server) {
    const s = p.server;
    notes.push(
      `server: sustained ${formatNumber(s.sustainedRate)} requests/s with p99 under ${formatNumber(s.p99BoundMs)} ms ` +
        `(max batch ${s.maxBatch}, max delay ${formatNumber(s.maxDelayMs)} ms, ${s.loads.length} loads tried)`,
    );
  }
  return notes;
}

/** The full results table, in reading order. */
export function resultsTable(report: BenchReport): ResultsTable {
  const headers = [
    'model',
    'runtime/backend',
    'precision',
    'batch',
    'scenario',
    'images/s',
    'p50 / p99 ms',
    'GFLOP/s',
    'W',
    'images/s/W',
    'vs ort-node',
    'status',
  ];
  const align: Align[] = ['left', 'left', 'left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'];
  const rows = orderedPoints(report).map((p): ResultRow => {
    const ok = p.status === 'ok';
    const num = (v: number | undefined): string => (!ok ? '' : v === undefined ? dash : formatNumber(v));
    const lat = p.latencyMs;
    const ratio = ratioToBaseline(p, report.points);
    const power = powerCells(p);
    const cells = [
      p.model,
      runtimeLabel(p.runtime),
      p.precision,
      String(p.batch),
      p.scenario,
      num(p.imagesPerSecond),
      !ok ? '' : lat ? `${formatNumber(lat.p50)} / ${formatNumber(lat.p99)}` : dash,
      num(p.gflops),
      power.watts,
      power.perWatt,
      !ok ? '' : ratio === undefined ? dash : `${ratio.toFixed(2)}x`,
      p.status,
    ];
    return { point: p, cells, notes: pointNotes(p) };
  });
  return { headers, align, rows };
}

/** What the power columns rest on: each meter and scope, each declaration, each reason nothing was measured. */
export function powerNotes(report: BenchReport): string[] {
  const counts = new Map<string, number>();
  for (const p of report.points) {
    if (p.status !== 'ok' || !p.power) continue;
    const pw = p.power;
    const line =
      pw.source === 'measured'
        ? `power measured by ${pw.meter ?? 'a meter'}${pw.scope ? ` (${pw.scope})` : ''}`
        : pw.source === 'declared'
          ? `power declared by the user, not measured${pw.scope ? `: ${pw.scope}` : ''}`
          : `power not measured: ${pw.reason ?? 'no reason given'}`;
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return [...counts].map(([line, n]) => `${line} (${n} point${n === 1 ? '' : 's'})`);
}

/** Ratio notes: how the "vs ort-node" column is computed. */
export const ratioNote =
  'vs ort-node: images/s over onnxruntime-node\'s in the same run at the same model, batch and scenario ' +
  '(its fp32 run where it has no fp16 one).';

const percent = (v: number): string => `${(v * 100).toFixed(1)}%`;

/** fp16 against fp32, one row per model and runtime. */
export function accuracyTable(rows: readonly AccuracyResult[]): TextTable {
  return {
    headers: ['model', 'runtime/backend', 'inputs', 'top-1 agreement', 'top-5 agreement', 'max |diff|', 'mean |diff|'],
    align: ['left', 'left', 'right', 'right', 'right', 'right', 'right'],
    rows: rows.map((a) => [
      a.model,
      runtimeLabel(a.runtime),
      String(a.inputs),
      percent(a.top1Agreement),
      percent(a.top5Agreement),
      a.maxAbsDiff.toExponential(2),
      a.meanAbsDiff.toExponential(2),
    ]),
  };
}

/** NVIDIA's 2015 numbers as published: shown beside the measurements, never mixed into them. */
export function referenceTable(report: BenchReport): TextTable {
  const opt = (v: number | undefined): string => (v === undefined ? dash : formatNumber(v));
  return {
    headers: ['device', 'model', 'precision', 'batch', 'images/s', 'W', 'images/s/W', 'source'],
    align: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'left'],
    rows: report.reference.map((r) => [
      r.device,
      r.model,
      r.precision,
      String(r.batch),
      formatNumber(r.imagesPerSecond),
      opt(r.watts),
      opt(r.imagesPerSecondPerWatt),
      // whitepaper.md confirms some rows from the study's text; the others are recalled from its tables.
      r.approximate === true ? 'recalled, approximate' : 'confirmed from the text',
    ]),
  };
}

export const referenceTitle = "NVIDIA's 2015 study: published numbers, not measured here";

/** The machine and software, as label/value pairs. */
export function machineFacts(m: MachineInfo): [string, string][] {
  const versions = Object.entries(m.versions)
    .map(([name, v]) => `${name} ${v}`)
    .join(', ');
  return [
    ['CPU', `${m.cpuModel} (${m.cores} cores)`],
    ['memory', `${formatNumber(m.memoryGiB)} GiB`],
    ['GPU adapter', m.gpu ?? 'none'],
    ['OS', m.os],
    ['Node', `${m.node} (V8 ${m.v8})`],
    ['versions', versions || dash],
  ];
}

export const interruptedNote = 'Interrupted: the run was stopped before the end; these are the points measured until then.';
