// The dynamic batcher: requests queue until a batch is full or the oldest has waited the maximum delay,
// then run together on an idle instance; each caller gets its own rows of the outputs.

import { type DType, dtypes } from '../core/dtype.js';
import { JouleError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import type { ValueInfo } from '../ir/graph.js';
import { checkFeeds } from '../runtime/feeds.js';
import { type BatchOutput, InstanceCrashError } from './instances.js';

/** Why a request did not get an answer; the HTTP layer maps each to a status. */
export type RejectReason = 'queue_full' | 'deadline' | 'cancelled' | 'instance_crash' | 'shutting_down' | 'bad_input';

export class BatchRejection extends Error {
  constructor(readonly reason: RejectReason, message: string, readonly retryAfterS?: number) {
    super(message);
    this.name = 'BatchRejection';
  }
}

export interface BatcherOptions {
  /** Most rows in one batch. */
  readonly maxBatch: number;
  /** Longest a request waits for others before its batch runs anyway. */
  readonly maxDelayMs: number;
  /** Most rows waiting; beyond it requests are refused (HTTP 429). */
  readonly maxQueue: number;
  /**
   * Batch sizes the instances are prepared for: batches are cut to these sizes (a batch of several-row
   * requests that fits none runs padded to the next), so that a few plans serve every load. Default:
   * powers of two up to maxBatch, and maxBatch.
   */
  readonly batchSizes?: readonly number[];
  /** How many times a batch lost to a crashed instance is run again (default 1). */
  readonly retries?: number;
}

/** Where batches run: the instance pool, or a fake in tests. */
export interface BatchRunner {
  readonly idle: number;
  run(feeds: Readonly<Record<string, Tensor>>): Promise<BatchOutput>;
}

export interface BatchObserver {
  onBatch?(rows: number, paddedTo: number, queueMs: readonly number[], computeMs: number): void;
  onQueueDepth?(rows: number): void;
  onReject?(reason: RejectReason): void;
}

export interface Submitted {
  readonly outputs: Record<string, Tensor>;
  readonly queueMs: number;
  readonly computeMs: number;
  /** Rows in the batch this request ran in (padding excluded). */
  readonly batchRows: number;
}

export interface SubmitOptions {
  /** Absolute time (performance.now()) after which the caller no longer wants the answer. */
  readonly deadline?: number;
  /** Aborted when the caller goes away (a client disconnect): queued work is dropped. */
  readonly signal?: AbortSignal;
}

interface Request {
  readonly feeds: Readonly<Record<string, Tensor>>;
  readonly rows: number;
  readonly enqueued: number;
  attempts: number;
  settled: boolean;
  timer?: NodeJS.Timeout;
  cleanup?: () => void;
  resolve(result: Submitted): void;
  reject(error: Error): void;
}

export class DynamicBatcher {
  private readonly queue: Request[] = [];
  private queuedRows = 0;
  private delayTimer?: NodeJS.Timeout;
  private closing = false;
  private running = 0;
  private drained?: () => void;
  private readonly sizes: readonly number[];
  /** Recent batch compute times, for Retry-After. */
  private meanComputeMs = 0;

  constructor(
    private readonly inputs: readonly ValueInfo[],
    private readonly runner: BatchRunner,
    private readonly options: BatcherOptions,
    private readonly observer: BatchObserver = {},
  ) {
    const { maxBatch, maxDelayMs, maxQueue } = options;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new JouleError('BAD_ARGUMENT', `max batch must be a positive integer, got ${maxBatch}`);
    if (!(maxDelayMs >= 0)) throw new JouleError('BAD_ARGUMENT', `max delay must be a non-negative number of ms, got ${maxDelayMs}`);
    if (!Number.isInteger(maxQueue) || maxQueue < 1) throw new JouleError('BAD_ARGUMENT', `max queue must be a positive integer, got ${maxQueue}`);
    if (maxBatch > 1) {
      const unbatchable = inputs.filter((v) => v.shape === undefined || v.shape.length === 0 || typeof v.shape[0] === 'number');
      if (unbatchable.length > 0) {
        throw new JouleError('BAD_ARGUMENT', `cannot batch: input(s) ${unbatchable.map((v) => `'${v.name}'`).join(', ')} have no symbolic first (batch) dimension; use a max batch of 1`);
      }
    }
    this.sizes = options.batchSizes ?? defaultBatchSizes(maxBatch);
    if (this.sizes.at(-1)! < maxBatch) throw new JouleError('BAD_ARGUMENT', `batch sizes ${this.sizes.join(', ')} do not reach the max batch ${maxBatch}`);
  }

  /** Rows waiting for an instance. */
  get depth(): number {
    return this.queuedRows;
  }

  /**
   * Queues feeds whose first dimension is the request's row count and resolves with the request's own
   * rows of every output. Rejects with a BatchRejection when the queue is full, the deadline passes, the
   * signal aborts, or the batcher is closing.
   */
  submit(feeds: Readonly<Record<string, Tensor>>, options: SubmitOptions = {}): Promise<Submitted> {
    let rows: number;
    try {
      rows = rowsOf(this.inputs, feeds);
    } catch (e) {
      return this.refuse('bad_input', (e as Error).message);
    }
    if (this.closing) return this.refuse('shutting_down', 'the server is shutting down');
    if (rows > this.options.maxBatch) {
      return this.refuse('bad_input', `the request has ${rows} rows; this server runs at most ${this.options.maxBatch} in a batch`);
    }
    if (this.queuedRows + rows > this.options.maxQueue) {
      const retryAfterS = Math.max(1, Math.ceil((this.queuedRows / this.options.maxBatch) * this.meanComputeMs / 1000));
      return this.refuse('queue_full', `the queue is full (${this.queuedRows} rows waiting)`, retryAfterS);
    }
    if (options.signal?.aborted) return this.refuse('cancelled', 'the request was cancelled');
    return new Promise<Submitted>((resolve, reject) => {
      const request: Request = { feeds, rows, enqueued: performance.now(), attempts: 0, settled: false, resolve, reject };
      if (options.deadline !== undefined) {
        const wait = Math.max(0, options.deadline - performance.now());
        request.timer = setTimeout(() => this.fail(request, new BatchRejection('deadline', `no answer within the deadline (${Math.round(performance.now() - request.enqueued)} ms)`)), wait);
      }
      if (options.signal !== undefined) {
        const onAbort = (): void => this.fail(request, new BatchRejection('cancelled', 'the request was cancelled'));
        options.signal.addEventListener('abort', onAbort, { once: true });
        request.cleanup = () => options.signal!.removeEventListener('abort', onAbort);
      }
      this.enqueue(request);
    });
  }

  /** An instance became free: run what is due. */
  pump(): void {
    while (this.queue.length > 0 && this.runner.idle > 0) {
      const due = this.queuedRows >= this.options.maxBatch || performance.now() - this.queue[0].enqueued >= this.options.maxDelayMs || this.closing;
      if (!due) {
        this.armDelay();
        return;
      }
      this.dispatch(this.take());
    }
    if (this.queue.length > 0) this.armDelay();
  }

  /** Refuses new requests and resolves once every queued and running batch has finished. */
  drain(): Promise<void> {
    this.closing = true;
    this.pump();
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  /** Fails every queued request (the server is stopping without draining). */
  abort(): void {
    this.closing = true;
    for (const r of [...this.queue]) this.fail(r, new BatchRejection('shutting_down', 'the server is shutting down'));
  }

  private refuse(reason: RejectReason, message: string, retryAfterS?: number): Promise<never> {
    this.observer.onReject?.(reason);
    return Promise.reject(new BatchRejection(reason, message, retryAfterS));
  }

  private enqueue(request: Request, front = false): void {
    if (front) this.queue.unshift(request);
    else this.queue.push(request);
    this.queuedRows += request.rows;
    this.observer.onQueueDepth?.(this.queuedRows);
    this.pump();
  }

  private armDelay(): void {
    if (this.delayTimer !== undefined || this.queue.length === 0) return;
    const wait = Math.max(0, this.queue[0].enqueued + this.options.maxDelayMs - performance.now());
    this.delayTimer = setTimeout(() => {
      this.delayTimer = undefined;
      this.pump();
    }, wait);
  }

  /**
   * The next batch: queued requests, oldest first, filling the largest prepared batch size they can fill
   * exactly, so that no rows are padding; the rest run in the next batch. A request that fits no prepared
   * size exactly (several rows) runs padded to the next size.
   */
  private take(): Request[] {
    let available = 0;
    for (const r of this.queue) {
      if (available + r.rows > this.options.maxBatch) break;
      available += r.rows;
    }
    const target = [...this.sizes].reverse().find((s) => s <= available) ?? available;
    const batch: Request[] = [];
    let rows = 0;
    while (this.queue.length > 0 && rows + this.queue[0].rows <= target) {
      const r = this.queue.shift()!;
      rows += r.rows;
      batch.push(r);
    }
    if (batch.length === 0) {
      const r = this.queue.shift()!;
      rows = r.rows;
      batch.push(r);
    }
    this.queuedRows -= rows;
    this.observer.onQueueDepth?.(this.queuedRows);
    if (this.delayTimer !== undefined) {
      clearTimeout(this.delayTimer);
      this.delayTimer = undefined;
    }
    return batch;
  }

  private dispatch(batch: Request[]): void {
    const rows = batch.reduce((n, r) => n + r.rows, 0);
    const padded = this.sizes.find((s) => s >= rows) ?? rows;
    const started = performance.now();
    const queueMs = batch.map((r) => started - r.enqueued);
    let output: Promise<BatchOutput>;
    try {
      output = this.runner.run(concatenate(this.inputs, batch.map((r) => r.feeds), padded));
    } catch (e) {
      output = Promise.reject(e);
    }
    this.running++;
    output.then(
      ({ outputs, computeMs }) => {
        this.meanComputeMs = this.meanComputeMs === 0 ? computeMs : 0.8 * this.meanComputeMs + 0.2 * computeMs;
        this.observer.onBatch?.(rows, padded, queueMs, computeMs);
        let offset = 0;
        for (const [i, r] of batch.entries()) {
          const own = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, rowsSlice(t, offset, r.rows)]));
          offset += r.rows;
          this.settle(r, () => r.resolve({ outputs: own, queueMs: queueMs[i], computeMs, batchRows: rows }));
        }
      },
      (error: Error) => {
        for (const r of batch) {
          if (error instanceof InstanceCrashError && r.attempts < (this.options.retries ?? 1) && !r.settled && !this.closing) {
            r.attempts++;
            this.enqueue(r, true);
          } else {
            this.fail(r, error instanceof InstanceCrashError ? new BatchRejection('instance_crash', `the model instance running this request died (${error.message})`) : error);
          }
        }
      },
    ).finally(() => {
      this.running--;
      this.pump();
      if (this.closing && this.running === 0 && this.queue.length === 0) this.drained?.();
    });
  }

  private fail(request: Request, error: Error): void {
    const queued = this.queue.indexOf(request);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.queuedRows -= request.rows;
      this.observer.onQueueDepth?.(this.queuedRows);
    }
    if (!request.settled && error instanceof BatchRejection) this.observer.onReject?.(error.reason);
    this.settle(request, () => request.reject(error));
  }

  private settle(request: Request, answer: () => void): void {
    if (request.settled) return;
    request.settled = true;
    clearTimeout(request.timer);
    request.cleanup?.();
    answer();
  }
}

/** 1, 2, 4, ... up to maxBatch, and maxBatch itself. */
export function defaultBatchSizes(maxBatch: number): number[] {
  const sizes: number[] = [];
  for (let s = 1; s < maxBatch; s *= 2) sizes.push(s);
  sizes.push(maxBatch);
  return sizes;
}

/** The request's row count (its first dimension), once its feeds are checked against the model's inputs. */
function rowsOf(inputs: readonly ValueInfo[], feeds: Readonly<Record<string, Tensor>>): number {
  checkFeeds(inputs, feeds);
  const rows = inputs.length === 0 ? 1 : (feeds[inputs[0].name].shape[0] ?? 1);
  if (rows < 1) throw new JouleError('BAD_FEED', 'the request has no rows');
  return rows;
}

/** The requests' feeds stacked along the first dimension, zero-padded to `padded` rows. */
function concatenate(inputs: readonly ValueInfo[], feeds: readonly Readonly<Record<string, Tensor>>[], padded: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const v of inputs) {
    // Always a fresh buffer: it is handed to the instance, and a retry needs the requests' own data intact.
    const first = feeds[0][v.name];
    const rowSize = first.size / first.shape[0];
    const data = dtypes[v.dtype as DType].alloc(rowSize * padded);
    let at = 0;
    for (const f of feeds) {
      const t = f[v.name];
      (data as Float32Array).set(t.data as Float32Array, at);
      at += t.size;
    }
    out[v.name] = new Tensor(first.dtype, data, [padded, ...first.shape.slice(1)]);
  }
  return out;
}

/** Rows [offset, offset + rows) of an output whose first dimension is the batch. */
function rowsSlice(t: Tensor, offset: number, rows: number): Tensor {
  if (t.rank === 0) return t;
  const rowSize = t.size / t.shape[0];
  const data = t.data.slice(offset * rowSize, (offset + rows) * rowSize) as Float32Array;
  return new Tensor(t.dtype, data, [rows, ...t.shape.slice(1)]);
}
