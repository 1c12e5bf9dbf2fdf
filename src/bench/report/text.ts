// The terminal table and the Markdown report.

import type { BenchReport } from '../schema.js';
import {
  accuracyTable,
  interruptedNote,
  machineFacts,
  powerNotes,
  ratioNote,
  referenceTable,
  referenceTitle,
  resultsTable,
  type Align,
  type TextTable,
} from './tables.js';

/** Columns padded to their widest cell, numbers to the right, two spaces between. */
function alignColumns(t: TextTable): string[] {
  const all = [t.headers, ...t.rows];
  const widths = t.headers.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const pad = (cell: string, c: number): string =>
    t.align[c] === 'right' ? cell.padStart(widths[c]) : cell.padEnd(widths[c]);
  return all.map((r) => r.map((cell, c) => pad(cell, c)).join('  ').trimEnd());
}

/** Results with each note's number appended to its status cell, and the notes themselves. */
function numberedResults(report: BenchReport): { table: TextTable; notes: string[] } {
  const results = resultsTable(report);
  const notes: string[] = [];
  const rows = results.rows.map((row) => {
    if (row.notes.length === 0) return row.cells;
    const p = row.point;
    const marks = row.notes.map((n) => {
      notes.push(`[${notes.length + 1}] ${p.model} ${row.cells[1]} ${p.precision} batch ${p.batch}: ${n}`);
      return `[${notes.length}]`;
    });
    const cells = [...row.cells];
    cells[cells.length - 1] += ' ' + marks.join('');
    return cells;
  });
  return { table: { headers: results.headers, align: results.align, rows }, notes };
}

/** The terminal report: the results table, notes, accuracy, and whether the run was interrupted. */
export function renderTable(report: BenchReport): string {
  const lines: string[] = [`joule bench, started ${report.startedAt}: ${report.command}`, ''];
  const { table, notes } = numberedResults(report);
  if (table.rows.length === 0) lines.push('no points measured');
  else lines.push(...alignColumns(table));
  lines.push('', ...notes, ...powerNotes(report), ratioNote);
  if (report.accuracy.length > 0) lines.push('', 'fp16 against fp32:', ...alignColumns(accuracyTable(report.accuracy)));
  if (report.interrupted) lines.push('', interruptedNote);
  return lines.join('\n') + '\n';
}

const escapeCell = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function markdownTable(t: TextTable): string[] {
  const rule = (a: Align): string => (a === 'right' ? '---:' : '---');
  const row = (cells: readonly string[]): string => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [row(t.headers), `|${t.align.map(rule).join('|')}|`, ...t.rows.map(row)];
}

/** The Markdown report: GitHub tables of the results, accuracy and the 2015 study's numbers, and the machine. */
export function renderMarkdown(report: BenchReport): string {
  const out: string[] = ['# joule bench', ''];
  if (report.interrupted) out.push(`> **${interruptedNote}**`, '');
  out.push(`Started ${report.startedAt}.`, '', '```sh', report.command, '```', '', '## Machine', '');
  for (const [label, value] of machineFacts(report.machine)) out.push(`- **${label}**: ${escapeCell(value)}`);
  out.push('', '## Results', '');
  const { table, notes } = numberedResults(report);
  if (table.rows.length === 0) out.push('No points measured.');
  else out.push(...markdownTable(table));
  const below = [...notes, ...powerNotes(report), ratioNote];
  out.push('', ...below.map((n) => `- ${n}`));
  if (report.accuracy.length > 0) {
    out.push('', '## Accuracy: fp16 against fp32', '', ...markdownTable(accuracyTable(report.accuracy)));
  }
  if (report.reference.length > 0) {
    out.push(
      '',
      `## ${referenceTitle}`,
      '',
      'From "GPU-Based Deep Learning Inference: A Performance and Power Analysis" (NVIDIA, November 2015), ' +
        'on its own hardware and software: for comparison only.',
      '',
      ...markdownTable(referenceTable(report)),
    );
  }
  return out.join('\n') + '\n';
}
