// Renders a BenchReport (src/bench/schema.ts) for people: a terminal table, Markdown, a self-contained
// HTML page with charts; and checks a JSON report against its schema.

export { renderTable, renderMarkdown } from './text.js';
export { renderHtml } from './html.js';
export { benchJsonSchema, validateReport, formatReportErrors, type ReportError } from './json-schema.js';
