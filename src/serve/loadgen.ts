// A load generator for joule's HTTP server: open-loop (constant or Poisson arrivals) and closed-loop
// traffic over keep-alive connections, with latencies measured from each request's intended send
// time so that a slow server cannot hide its queueing (coordinated omission).

import { latencyStats as benchLatencyStats } from '../bench/stats.js';
import type { LatencyStats as BenchLatencyStats } from '../bench/schema.js';
import { type ClientRequest, type IncomingMessage, Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { JouleError } from '../core/errors.js';

/** constant: fixed inter-arrival; poisson: exponential inter-arrival; closed: N clients, one request each in flight. */
export type LoadMode = 'constant' | 'poisson' | 'closed';
export const loadModes: readonly LoadMode[] = ['constant', 'poisson', 'closed'];

/** Why a request got no HTTP status: our own timeout, a refused or reset connection, or anything else. */
export type RequestErrorKind = 'timeout' | 'refused' | 'reset' | 'other';
const errorKinds: readonly RequestErrorKind[] = ['timeout', 'refused', 'reset', 'other'];

export const loadgenDefaults = {
  mode: 'constant' as LoadMode,
  rate: 10,
  concurrency: 1,
  durationS: 10,
  timeoutMs: 10_000,
  seed: 1,
  maxConnections: 1024,
  path: '/v1/classify',
};

export interface LoadgenOptions {
  /** The server; a URL with no path targets /v1/classify. */
  readonly url: string;
  readonly mode?: LoadMode;
  /** Offered rate of the open-loop modes, requests per second. */
  readonly rate?: number;
  /** Clients of the closed-loop mode. */
  readonly concurrency?: number;
  /** Stop after this many requests. */
  readonly requests?: number;
  /** Stop sending after this many seconds (10 when neither bound is given). */
  readonly durationS?: number;
  /** Request body; a generated 256x256 PNG when absent. */
  readonly body?: Uint8Array;
  readonly contentType?: string;
  /** Per-request deadline, from the moment the request is handed to the HTTP client. */
  readonly timeoutMs?: number;
  /** Allow a host that is not loopback. */
  readonly allowRemote?: boolean;
  /** Seed of the Poisson arrivals: the same seed gives the same schedule. */
  readonly seed?: number;
  /** Most sockets the open-loop modes open at once (requests beyond it wait, and that wait is counted). */
  readonly maxConnections?: number;
  /** Called with each request's record as it completes. */
  readonly onRecord?: (record: RequestRecord) => void;
}

/** One request. Times are milliseconds since the run started. */
export interface RequestRecord {
  readonly index: number;
  /** When the schedule meant it to go (closed loop: when its client sent it). */
  readonly scheduledMs: number;
  /** When it got a socket. */
  readonly sentMs: number;
  readonly doneMs: number;
  /** The HTTP status, or null when `error` says why there is none. */
  readonly status: number | null;
  readonly error: RequestErrorKind | null;
  /** From the scheduled send time to the end of the response. */
  readonly latencyMs: number;
  /** From the actual send to the end of the response. */
  readonly serviceMs: number;
  /** The server's own timing (`timing.queueMs`, `timing.computeMs` in its JSON reply), when it gave one. */
  readonly queueMs: number | null;
  readonly computeMs: number | null;
}

/** Milliseconds, percentiles by nearest rank (as joule bench reports them), and how many requests. */
export interface LatencyStats extends BenchLatencyStats {
  readonly count: number;
}

export interface LoadgenReport {
  readonly url: string;
  readonly mode: LoadMode;
  /** Requests per second the schedule offered; null in closed loop. */
  readonly offeredRate: number | null;
  /** Clients in closed loop; null in the open-loop modes. */
  readonly concurrency: number | null;
  /** Requests sent per second over the sending window. */
  readonly achievedRate: number;
  /** Seconds the schedule ran (to the next arrival it did not send, or the duration). */
  readonly sendWindowS: number;
  /** Seconds from the start to the last response: the window of `throughput`. */
  readonly windowS: number;
  readonly sent: number;
  /** 2xx responses. */
  readonly ok: number;
  /** OK responses per second over `windowS`. */
  readonly throughput: number;
  /** Responses by HTTP status. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** 429: the server's queue was full. */
  readonly rejected: number;
  /** 504: the server's deadline passed. */
  readonly deadlineExceeded: number;
  /** Every 5xx, 504 included. */
  readonly serverErrors: number;
  /** Requests with no HTTP status, by kind. */
  readonly errors: Readonly<Record<RequestErrorKind, number>>;
  /** OK requests, from the scheduled send time. */
  readonly latency: LatencyStats | null;
  /** OK requests, from the actual send. */
  readonly serviceLatency: LatencyStats | null;
  /** Means over OK replies that reported the server's timing; null when none did. */
  readonly server: { readonly queueMs: number | null; readonly computeMs: number | null; readonly reported: number };
  /** How late the generator itself sent its latest request; large values mean the client, not the server, fell behind. */
  readonly maxSendLagMs: number;
}

/** Mean, p50/p90/p99, min and max of `values`; null when there are none. */
export function latencyStats(values: readonly number[]): LatencyStats | null {
  return values.length === 0 ? null : { count: values.length, ...benchLatencyStats(values) };
}

/** Whether `hostname` (as `URL` spells it) is the loopback interface: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (host === 'localhost' || host === '::1') return true;
  // URL has already normalised IPv4 spellings (127.1, 0x7f.0.0.1) to dotted quads.
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  return /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
}

/** Parses and checks the target: http(s), loopback unless `allowRemote`; a bare origin targets /v1/classify. */
export function loadgenTarget(url: string, allowRemote = false): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new JouleError('BAD_ARGUMENT', `'${url}' is not a URL; expected e.g. http://127.0.0.1:8080/v1/classify`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new JouleError('BAD_ARGUMENT', `'${url}': only http and https URLs can be loaded, not ${target.protocol}`);
  }
  if (!allowRemote && !isLoopbackHost(target.hostname)) {
    throw new JouleError(
      'BAD_ARGUMENT',
      `'${target.hostname}' is not a loopback host (127.0.0.0/8, ::1, localhost); pass --allow-remote (allowRemote) to load another machine`,
    );
  }
  if (target.pathname === '/') target.pathname = loadgenDefaults.path;
  return target;
}

/** A 256x256 PNG of smooth colour gradients, made in memory: the default request body. */
export async function syntheticPng(width = 256, height = 256): Promise<Uint8Array> {
  // Imported here so that the CLI does not load sharp's native module for other commands.
  const { default: sharp } = await import('sharp');
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = Math.round((255 * x) / Math.max(1, width - 1));
      pixels[i + 1] = Math.round((255 * y) / Math.max(1, height - 1));
      pixels[i + 2] = Math.round(127.5 + 127.5 * Math.sin((2 * Math.PI * (x + y)) / Math.max(width, height)));
    }
  }
  return new Uint8Array(await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer());
}

interface Plan {
  readonly target: URL;
  readonly mode: LoadMode;
  readonly rate: number;
  readonly concurrency: number;
  readonly requests: number;
  readonly durationMs: number;
  readonly timeoutMs: number;
  readonly seed: number;
  readonly maxConnections: number;
}

function checkPositive(name: string, value: number | undefined, integer: boolean): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new JouleError('BAD_ARGUMENT', `${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
}

function planOf(options: LoadgenOptions): Plan {
  const mode = options.mode ?? loadgenDefaults.mode;
  if (!loadModes.includes(mode)) throw new JouleError('BAD_ARGUMENT', `mode must be one of ${loadModes.join(', ')}, got '${String(mode)}'`);
  checkPositive('rate', options.rate, false);
  checkPositive('concurrency', options.concurrency, true);
  checkPositive('requests', options.requests, true);
  checkPositive('durationS', options.durationS, false);
  checkPositive('timeoutMs', options.timeoutMs, false);
  checkPositive('maxConnections', options.maxConnections, true);
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new JouleError('BAD_ARGUMENT', `seed must be an integer, got ${options.seed}`);
  if (mode === 'closed' && options.rate !== undefined) throw new JouleError('BAD_ARGUMENT', 'a rate applies to the open-loop modes (constant, poisson), not to closed');
  if (mode !== 'closed' && options.concurrency !== undefined) throw new JouleError('BAD_ARGUMENT', `concurrency applies to the closed mode, not to ${mode}`);
  const durationS = options.durationS ?? (options.requests === undefined ? loadgenDefaults.durationS : Infinity);
  return {
    target: loadgenTarget(options.url, options.allowRemote === true),
    mode,
    rate: options.rate ?? loadgenDefaults.rate,
    concurrency: options.concurrency ?? loadgenDefaults.concurrency,
    requests: options.requests ?? Infinity,
    durationMs: durationS * 1000,
    timeoutMs: options.timeoutMs ?? loadgenDefaults.timeoutMs,
    seed: options.seed ?? loadgenDefaults.seed,
    maxConnections: options.maxConnections ?? loadgenDefaults.maxConnections,
  };
}

/** Uniform [0, 1) from mulberry32: small, fast and the same on every platform. */
function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

class RequestTimeout extends Error {}

function errorKindOf(e: unknown, timedOut: boolean): RequestErrorKind {
  if (timedOut || e instanceof RequestTimeout) return 'timeout';
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'reset';
  return 'other';
}

interface ServerTiming {
  readonly queueMs: number | null;
  readonly computeMs: number | null;
}
const noTiming: ServerTiming = { queueMs: null, computeMs: null };

/** `timing.queueMs` and `timing.computeMs` of a JSON reply, where present. */
function serverTiming(res: IncomingMessage, chunks: readonly Buffer[]): ServerTiming {
  if (!String(res.headers['content-type'] ?? '').includes('json')) return noTiming;
  try {
    const timing = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timing?: { queueMs?: unknown; computeMs?: unknown } } | null)?.timing;
    const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    return { queueMs: num(timing?.queueMs), computeMs: num(timing?.computeMs) };
  } catch {
    return noTiming;
  }
}

/** Sends load at the server as `options` say and reports what came back. */
export async function loadgen(options: LoadgenOptions): Promise<LoadgenReport> {
  const plan = planOf(options);
  const body = options.body ?? (await syntheticPng());
  const contentType = options.contentType ?? (options.body === undefined ? 'image/png' : 'application/octet-stream');
  const https = plan.target.protocol === 'https:';
  const maxSockets = plan.mode === 'closed' ? plan.concurrency : plan.maxConnections;
  const agent = https ? new HttpsAgent({ keepAlive: true, maxSockets }) : new HttpAgent({ keepAlive: true, maxSockets });
  const request = https ? httpsRequest : httpRequest;
  const headers = { 'content-type': contentType, 'content-length': String(body.byteLength), accept: 'application/json' };

  const records: RequestRecord[] = [];
  const start = performance.now();
  const clock = (): number => performance.now() - start;

  let issued = 0;
  const send = (scheduledMs: number): Promise<void> =>
    new Promise((resolve) => {
      const index = issued++;
      let sentMs = clock();
      let timedOut = false;
      let done = false;
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new RequestTimeout(`no reply within ${plan.timeoutMs} ms`));
      }, plan.timeoutMs);
      const finish = (status: number | null, error: RequestErrorKind | null, timing: ServerTiming = noTiming): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const doneMs = clock();
        const record: RequestRecord = { index, scheduledMs, sentMs, doneMs, status, error, latencyMs: doneMs - scheduledMs, serviceMs: doneMs - sentMs, ...timing };
        records.push(record);
        options.onRecord?.(record);
        resolve();
      };
      const req: ClientRequest = request(plan.target, { method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => finish(res.statusCode ?? null, null, serverTiming(res, chunks)));
        res.on('error', (e) => finish(null, errorKindOf(e, timedOut)));
        res.on('close', () => {
          if (!res.complete) finish(null, timedOut ? 'timeout' : 'reset');
        });
      });
      req.on('socket', () => {
        sentMs = clock();
      });
      req.on('error', (e) => finish(null, errorKindOf(e, timedOut)));
      req.end(body);
    });

  const pending: Promise<void>[] = [];
  let sendWindowMs: number;
  let maxSendLagMs = 0;
  if (plan.mode === 'closed') {
    const client = async (): Promise<void> => {
      // `issued` grows synchronously inside send, so no two clients can take the last request.
      while (issued < plan.requests && clock() < plan.durationMs) {
        await send(clock());
      }
    };
    await Promise.all(Array.from({ length: plan.concurrency }, client));
    sendWindowMs = Math.min(clock(), plan.durationMs);
  } else {
    const random = seededRandom(plan.seed);
    const meanGapMs = 1000 / plan.rate;
    const gapMs = (): number => (plan.mode === 'poisson' ? -Math.log(1 - random()) * meanGapMs : meanGapMs);
    let next = 0;
    for (let n = 0; n < plan.requests && next < plan.durationMs; n++) {
      // Never early: a timer may wake a fraction of a millisecond before its time.
      for (let wait = next - clock(); wait > 0; wait = next - clock()) await sleep(wait);
      maxSendLagMs = Math.max(maxSendLagMs, clock() - next);
      pending.push(send(next));
      next += gapMs();
    }
    sendWindowMs = Math.min(next, plan.durationMs);
  }
  await Promise.all(pending);
  agent.destroy();
  return summarize(plan, records, sendWindowMs, maxSendLagMs, clock());
}

function summarize(plan: Plan, records: readonly RequestRecord[], sendWindowMs: number, maxSendLagMs: number, endMs: number): LoadgenReport {
  const ok = records.filter((r) => r.status !== null && r.status >= 200 && r.status < 300);
  const byStatus: Record<string, number> = {};
  const errors = Object.fromEntries(errorKinds.map((k) => [k, 0])) as Record<RequestErrorKind, number>;
  for (const r of records) {
    if (r.status !== null) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    if (r.error !== null) errors[r.error]++;
  }
  const count = (f: (status: number) => boolean): number => records.filter((r) => r.status !== null && f(r.status)).length;
  const mean = (values: readonly number[]): number | null => (values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length);
  const queue = ok.flatMap((r) => (r.queueMs === null ? [] : [r.queueMs]));
  const compute = ok.flatMap((r) => (r.computeMs === null ? [] : [r.computeMs]));
  const windowMs = records.length === 0 ? endMs : Math.max(...records.map((r) => r.doneMs));
  return {
    url: plan.target.href,
    mode: plan.mode,
    offeredRate: plan.mode === 'closed' ? null : plan.rate,
    concurrency: plan.mode === 'closed' ? plan.concurrency : null,
    achievedRate: sendWindowMs > 0 ? (records.length * 1000) / sendWindowMs : 0,
    sendWindowS: sendWindowMs / 1000,
    windowS: windowMs / 1000,
    sent: records.length,
    ok: ok.length,
    throughput: windowMs > 0 ? (ok.length * 1000) / windowMs : 0,
    byStatus,
    rejected: count((s) => s === 429),
    deadlineExceeded: count((s) => s === 504),
    serverErrors: count((s) => s >= 500 && s < 600),
    errors,
    latency: latencyStats(ok.map((r) => r.latencyMs)),
    serviceLatency: latencyStats(ok.map((r) => r.serviceMs)),
    server: { queueMs: mean(queue), computeMs: mean(compute), reported: Math.max(queue.length, compute.length) },
    maxSendLagMs,
  };
}

/** The report as a few lines of text. */
export function formatLoadgenReport(report: LoadgenReport): string {
  const f = (v: number, digits = 1): string => v.toFixed(digits);
  const load = report.mode === 'closed' ? `closed loop, ${report.concurrency} clients` : `${report.mode}, offered ${f(report.offeredRate ?? 0)} req/s`;
  const statuses = Object.entries(report.byStatus).map(([s, n]) => `${s}: ${n}`);
  const errors = errorKinds.filter((k) => report.errors[k] > 0).map((k) => `${k}: ${report.errors[k]}`);
  const failed = errorKinds.reduce((s, k) => s + report.errors[k], 0);
  const stats = (s: LatencyStats | null): string =>
    s === null ? 'none OK' : `p50 ${f(s.p50, 2)}  p90 ${f(s.p90, 2)}  p99 ${f(s.p99, 2)}  mean ${f(s.mean, 2)}  max ${f(s.max, 2)}`;
  const lines = [
    `${report.url}: ${load}; achieved ${f(report.achievedRate)} req/s over ${f(report.sendWindowS, 2)} s`,
    `requests    ${report.sent} sent, ${report.ok} OK, ${report.rejected} rejected (429), ${report.deadlineExceeded} past deadline (504), ${report.serverErrors} 5xx, ${failed} errors`,
    `statuses    ${statuses.length > 0 ? statuses.join(', ') : 'none'}${errors.length > 0 ? `; errors ${errors.join(', ')}` : ''}`,
    `throughput  ${f(report.throughput)} OK/s over ${f(report.windowS, 2)} s`,
    `latency ms  ${stats(report.latency)}  (from the scheduled send)`,
    `service ms  ${stats(report.serviceLatency)}  (from the actual send)`,
  ];
  const { queueMs, computeMs, reported } = report.server;
  if (reported > 0) {
    lines.push(`server ms   queue ${queueMs === null ? '-' : f(queueMs, 2)}  compute ${computeMs === null ? '-' : f(computeMs, 2)}  (mean of ${reported} replies)`);
  }
  if (report.maxSendLagMs > 10) lines.push(`warning: the generator sent up to ${f(report.maxSendLagMs)} ms late; its latencies still count from the schedule`);
  return lines.join('\n');
}
