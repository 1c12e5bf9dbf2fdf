import { describe, expect, it } from 'vitest';
import { benchJsonSchema, formatReportErrors, validateReport } from '../../src/bench/report/index.js';
import { fixtureReport, unmeteredReport } from './fixtures.js';

/** The fixture as `joule bench --json` would write it and a reader would parse it, ready to break. */
const parsed = (): Record<string, unknown> & { points: Record<string, unknown>[]; machine: Record<string, unknown> } =>
  JSON.parse(JSON.stringify(fixtureReport));

describe('benchJsonSchema', () => {
  it('is a draft 2020-12 schema of the whole report', () => {
    expect(benchJsonSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(benchJsonSchema.required).toEqual(expect.arrayContaining(['schemaVersion', 'points', 'accuracy', 'reference', 'interrupted']));
  });

  it('accepts the fixture reports, after a trip through JSON too', () => {
    expect(validateReport(fixtureReport)).toEqual([]);
    expect(validateReport(parsed())).toEqual([]);
    expect(validateReport(JSON.parse(JSON.stringify(unmeteredReport)))).toEqual([]);
  });

  it('rejects a missing field and names it', () => {
    const r = parsed();
    delete r.machine.cores;
    delete r.interrupted;
    const errors = validateReport(r);
    expect(errors).toContainEqual({ path: '/machine', message: "must have required property 'cores'" });
    expect(errors).toContainEqual({ path: '', message: "must have required property 'interrupted'" });
    expect(formatReportErrors(errors)).toContain("(report): must have required property 'interrupted'");
  });

  it('rejects a wrong type and says where', () => {
    const r = parsed();
    r.points[3].batch = '48';
    r.points[0].precision = 'int8';
    r.points[1].latencyMs = { p50: 1 };
    const errors = validateReport(r);
    expect(errors).toContainEqual({ path: '/points/3/batch', message: 'must be integer' });
    expect(errors).toContainEqual({ path: '/points/0/precision', message: 'must be equal to one of the allowed values: "fp32", "fp16"' });
    expect(errors.some((e) => e.path === '/points/1/latencyMs' && e.message.includes("'p99'"))).toBe(true);
    expect(validateReport('not a report')).toEqual([{ path: '', message: 'must be object' }]);
  });

  it('wants a reason for a skipped or failed point, and no numbers for power that was not measured', () => {
    const r = parsed();
    const skipped = r.points.findIndex((p) => p.status === 'skipped');
    delete r.points[skipped].error;
    r.points[0].power = { source: 'not-measured', averageWatts: 80, reason: 'no meter' };
    r.points[1].power = { source: 'declared', meter: 'declared' };
    const errors = validateReport(r);
    expect(errors).toContainEqual({ path: `/points/${skipped}`, message: "must have required property 'error'" });
    expect(errors).toContainEqual({ path: '/points/0/power', message: "must not carry measurements when source is 'not-measured'" });
    expect(errors).toContainEqual({ path: '/points/1/power', message: "must have required property 'averageWatts'" });
  });

  it('rejects another schema version or tool', () => {
    const errors = validateReport({ ...parsed(), schemaVersion: 2, tool: 'other' });
    expect(errors).toContainEqual({ path: '/schemaVersion', message: 'must be equal to constant: 1' });
    expect(errors).toContainEqual({ path: '/tool', message: 'must be equal to constant: "joule bench"' });
  });
});
