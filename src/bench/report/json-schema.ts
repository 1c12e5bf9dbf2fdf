// The JSON report's schema (draft 2020-12), and a check of a parsed report against it. It follows
// src/bench/schema.ts field for field; fields it does not know are allowed, since adding one does not
// bump schemaVersion.

import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { benchSchemaVersion } from '../schema.js';

const nonNegative = { type: 'number', minimum: 0 } as const;
const str = { type: 'string' } as const;
const precision = { enum: ['fp32', 'fp16'] } as const;
const batch = { type: 'integer', minimum: 1 } as const;

const runtimeId = {
  type: 'object',
  required: ['runtime', 'backend', 'version'],
  properties: { runtime: str, backend: str, version: str },
} as const;

const latencyStats = {
  type: 'object',
  required: ['mean', 'p50', 'p90', 'p99', 'min', 'max'],
  properties: { mean: nonNegative, p50: nonNegative, p90: nonNegative, p99: nonNegative, min: nonNegative, max: nonNegative },
} as const;

const measurementFields = ['meter', 'scope', 'averageWatts', 'joulesPerImage', 'imagesPerSecondPerWatt', 'samples'];

const powerResult = {
  type: 'object',
  required: ['source'],
  properties: {
    source: { enum: ['measured', 'declared', 'not-measured'] },
    meter: str,
    scope: str,
    averageWatts: nonNegative,
    joulesPerImage: nonNegative,
    imagesPerSecondPerWatt: nonNegative,
    samples: { type: 'integer', minimum: 0 },
    reason: str,
  },
  // Never an estimate dressed as a measurement: 'not-measured' carries no numbers, the others carry watts.
  if: { properties: { source: { const: 'not-measured' } } },
  then: { not: { anyOf: measurementFields.map((f) => ({ required: [f] })) } },
  else: { required: ['averageWatts'] },
} as const;

const serverResult = {
  type: 'object',
  required: ['p99BoundMs', 'maxBatch', 'maxDelayMs', 'loads', 'sustainedRate'],
  properties: {
    p99BoundMs: nonNegative,
    maxBatch: batch,
    maxDelayMs: nonNegative,
    sustainedRate: nonNegative,
    loads: {
      type: 'array',
      items: {
        type: 'object',
        required: ['offeredRate', 'achievedRate', 'latencyMs', 'meanBatch', 'rejected'],
        properties: {
          offeredRate: nonNegative,
          achievedRate: nonNegative,
          latencyMs: { $ref: '#/$defs/latencyStats' },
          meanBatch: nonNegative,
          rejected: { type: 'integer', minimum: 0 },
        },
      },
    },
  },
} as const;

const benchPoint = {
  type: 'object',
  required: ['model', 'runtime', 'precision', 'batch', 'scenario', 'status'],
  properties: {
    model: str,
    runtime: { $ref: '#/$defs/runtimeId' },
    precision,
    batch,
    scenario: { enum: ['latency', 'throughput', 'server'] },
    status: { enum: ['ok', 'skipped', 'failed'] },
    error: str,
    imagesPerSecond: nonNegative,
    latencyMs: { $ref: '#/$defs/latencyStats' },
    iterations: { type: 'integer', minimum: 0 },
    durationS: nonNegative,
    warmupIterations: { type: 'integer', minimum: 0 },
    gflops: nonNegative,
    power: { $ref: '#/$defs/powerResult' },
    server: { $ref: '#/$defs/serverResult' },
    warnings: { type: 'array', items: str },
  },
  // A point that did not run says why.
  if: { properties: { status: { enum: ['skipped', 'failed'] } } },
  then: { required: ['error'] },
} as const;

const accuracyResult = {
  type: 'object',
  required: ['model', 'runtime', 'inputs', 'top1Agreement', 'top5Agreement', 'maxAbsDiff', 'meanAbsDiff'],
  properties: {
    model: str,
    runtime: { $ref: '#/$defs/runtimeId' },
    inputs: { type: 'integer', minimum: 0 },
    top1Agreement: { type: 'number', minimum: 0, maximum: 1 },
    top5Agreement: { type: 'number', minimum: 0, maximum: 1 },
    maxAbsDiff: nonNegative,
    meanAbsDiff: nonNegative,
  },
} as const;

const machineInfo = {
  type: 'object',
  required: ['cpuModel', 'cores', 'memoryGiB', 'os', 'node', 'v8', 'versions'],
  properties: {
    cpuModel: str,
    cores: { type: 'integer', minimum: 1 },
    memoryGiB: nonNegative,
    os: str,
    node: str,
    v8: str,
    gpu: str,
    versions: { type: 'object', additionalProperties: str },
  },
} as const;

const referenceRow = {
  type: 'object',
  required: ['device', 'model', 'precision', 'batch', 'imagesPerSecond'],
  properties: {
    device: str,
    model: str,
    precision,
    batch,
    imagesPerSecond: nonNegative,
    watts: nonNegative,
    imagesPerSecondPerWatt: nonNegative,
  },
} as const;

/** JSON Schema (draft 2020-12) of the report `joule bench --json` writes: BenchReport in src/bench/schema.ts. */
export const benchJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'joule bench report',
  type: 'object',
  required: ['schemaVersion', 'tool', 'startedAt', 'command', 'machine', 'points', 'accuracy', 'reference', 'interrupted'],
  properties: {
    schemaVersion: { const: benchSchemaVersion },
    tool: { const: 'joule bench' },
    // ISO 8601 date and time (the 'date-time' format without a formats plugin).
    startedAt: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$' },
    command: str,
    machine: { $ref: '#/$defs/machineInfo' },
    points: { type: 'array', items: { $ref: '#/$defs/benchPoint' } },
    accuracy: { type: 'array', items: { $ref: '#/$defs/accuracyResult' } },
    reference: { type: 'array', items: { $ref: '#/$defs/referenceRow' } },
    interrupted: { type: 'boolean' },
  },
  $defs: { runtimeId, latencyStats, powerResult, serverResult, benchPoint, accuracyResult, machineInfo, referenceRow },
} as const;

/** One way a value breaks the schema: where (a JSON Pointer, '' for the root) and what. */
export interface ReportError {
  readonly path: string;
  readonly message: string;
}

let compiled: ValidateFunction | undefined;

function describe(e: ErrorObject): ReportError {
  const params = e.params as Record<string, unknown>;
  let message = e.message ?? e.keyword;
  if (e.keyword === 'enum' && Array.isArray(params.allowedValues)) message += `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'const') message += `: ${JSON.stringify(params.allowedValue)}`;
  if (e.keyword === 'not' && e.schemaPath.includes('powerResult')) message = "must not carry measurements when source is 'not-measured'";
  return { path: e.instancePath, message };
}

/** Checks a parsed JSON value against benchJsonSchema; returns every error found, none when it is a valid report. */
export function validateReport(value: unknown): ReportError[] {
  compiled ??= new Ajv2020({ allErrors: true }).compile(benchJsonSchema);
  if (compiled(value)) return [];
  // if/then failures repeat what their 'then' branch already said.
  return (compiled.errors ?? []).filter((e) => e.keyword !== 'if').map(describe);
}

/** One line per error, for a command line or an exception message. */
export function formatReportErrors(errors: readonly ReportError[]): string {
  return errors.map((e) => `${e.path || '(report)'}: ${e.message}`).join('\n');
}
