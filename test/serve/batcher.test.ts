import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import type { ValueInfo } from '../../src/ir/graph.js';
import { BatchRejection, type BatchRunner, DynamicBatcher, defaultBatchSizes } from '../../src/serve/batcher.js';
import { type BatchOutput, InstanceCrashError } from '../../src/serve/instances.js';

const inputs: ValueInfo[] = [{ name: 'x', dtype: 'float32', shape: ['N', 2] }];
const row = (a: number, rows = 1): Record<string, Tensor> => ({ x: Tensor.from('float32', Array.from({ length: 2 * rows }, (_, i) => a + i), [rows, 2]) });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Doubles its input; `instances` run at once; each batch takes `ms`; records the batch sizes it saw. */
class FakeRunner implements BatchRunner {
  readonly batches: number[] = [];
  busy = 0;
  failNext: Error[] = [];
  constructor(private readonly instances = 1, private readonly ms = 20) {}
  get idle(): number {
    return this.instances - this.busy;
  }
  async run(feeds: Readonly<Record<string, Tensor>>): Promise<BatchOutput> {
    this.busy++;
    this.batches.push(feeds.x.shape[0]);
    try {
      await sleep(this.ms);
      const failure = this.failNext.shift();
      if (failure !== undefined) throw failure;
      const y = Tensor.from('float32', Array.from(feeds.x.data as Float32Array, (v) => v * 2), feeds.x.shape);
      return { outputs: { y }, computeMs: this.ms };
    } finally {
      this.busy--;
      queueMicrotask(() => this.onIdle?.());
    }
  }
  onIdle?: () => void;
}

function setup(options: Partial<ConstructorParameters<typeof DynamicBatcher>[2]> = {}, runner = new FakeRunner()) {
  const rejects: string[] = [];
  const batcher = new DynamicBatcher(inputs, runner, { maxBatch: 4, maxDelayMs: 30, maxQueue: 16, ...options }, { onReject: (r) => rejects.push(r) });
  runner.onIdle = () => batcher.pump();
  return { batcher, runner, rejects };
}

describe('DynamicBatcher', () => {
  it('gathers concurrent requests into one batch and hands each caller its own rows', async () => {
    const { batcher, runner } = setup({ maxBatch: 8, maxDelayMs: 50 });
    const results = await Promise.all([1, 10, 100, 1000].map((a) => batcher.submit(row(a))));
    expect(runner.batches).toEqual([4]);
    expect(results.map((r) => Array.from(r.outputs.y.data as Float32Array))).toEqual([[2, 4], [20, 22], [200, 202], [2000, 2002]]);
    expect(results.every((r) => r.batchRows === 4 && r.outputs.y.shape[0] === 1)).toBe(true);
  });

  it('cuts batches to prepared sizes rather than padding them', async () => {
    const { batcher, runner } = setup({ maxBatch: 8, maxDelayMs: 30 });
    const results = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((a) => batcher.submit(row(a))));
    expect(runner.batches).toEqual([4, 2, 1]);
    expect(results.map((r) => r.batchRows)).toEqual([4, 4, 4, 4, 2, 2, 1]);
    expect(Array.from(results[6].outputs.y.data as Float32Array)).toEqual([14, 16]);
  });

  it('runs a full batch at once, without waiting for the delay', async () => {
    const { batcher, runner } = setup({ maxDelayMs: 10_000 });
    const started = performance.now();
    await Promise.all([1, 2, 3, 4].map((a) => batcher.submit(row(a))));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(runner.batches).toEqual([4]);
  });

  it('runs a lone request after the max delay', async () => {
    const { batcher, runner } = setup({ maxDelayMs: 40 });
    const result = await batcher.submit(row(5));
    expect(result.queueMs).toBeGreaterThanOrEqual(35);
    expect(runner.batches).toEqual([1]);
  });

  it('keeps multi-row requests whole and never exceeds the max batch', async () => {
    const { batcher, runner } = setup({ maxDelayMs: 20 });
    const results = await Promise.all([batcher.submit(row(0, 3)), batcher.submit(row(50, 2)), batcher.submit(row(90, 1))]);
    expect(runner.batches).toEqual([4, 2, 1]); // 3 rows fill no prepared size: padded to 4; then 2, then 1
    expect(results.map((r) => r.outputs.y.shape)).toEqual([[3, 2], [2, 2], [1, 2]]);
    expect(Array.from(results[1].outputs.y.data as Float32Array)).toEqual([100, 102, 104, 106]);
    await expect(batcher.submit(row(0, 5))).rejects.toMatchObject({ reason: 'bad_input', message: expect.stringContaining('at most 4') });
  });

  it('refuses requests beyond the queue bound with a Retry-After estimate', async () => {
    const { batcher, rejects } = setup({ maxBatch: 1, maxQueue: 2, maxDelayMs: 0 }, new FakeRunner(1, 50));
    const accepted = [batcher.submit(row(1)), batcher.submit(row(2)), batcher.submit(row(3))]; // one runs, two wait
    const refused = await batcher.submit(row(4)).catch((e: BatchRejection) => e);
    expect(refused).toBeInstanceOf(BatchRejection);
    expect((refused as BatchRejection).reason).toBe('queue_full');
    expect((refused as BatchRejection).retryAfterS).toBeGreaterThanOrEqual(1);
    await Promise.all(accepted);
    expect(rejects).toEqual(['queue_full']);
  });

  it('answers a request whose deadline passes while queued, and drops it from the queue', async () => {
    const runner = new FakeRunner(1, 200);
    const { batcher, rejects } = setup({ maxBatch: 1, maxDelayMs: 0 }, runner);
    const first = batcher.submit(row(1));
    const late = batcher.submit(row(2), { deadline: performance.now() + 30 });
    await expect(late).rejects.toMatchObject({ reason: 'deadline' });
    expect(batcher.depth).toBe(0);
    await first;
    await sleep(10);
    expect(runner.batches).toEqual([1]); // the expired request never ran
    expect(rejects).toEqual(['deadline']);
  });

  it('drops the queued work of a caller that goes away', async () => {
    const runner = new FakeRunner(1, 100);
    const { batcher } = setup({ maxBatch: 1, maxDelayMs: 0 }, runner);
    const first = batcher.submit(row(1));
    const gone = new AbortController();
    const second = batcher.submit(row(2), { signal: gone.signal });
    gone.abort();
    await expect(second).rejects.toMatchObject({ reason: 'cancelled' });
    await first;
    await sleep(20);
    expect(runner.batches).toEqual([1]);
  });

  it('runs a batch lost to a crashed instance once more, then answers with instance_crash', async () => {
    const runner = new FakeRunner(1, 10);
    const { batcher } = setup({ maxDelayMs: 0 }, runner);
    runner.failNext = [new InstanceCrashError('instance 0 exited with code 1')];
    const retried = await batcher.submit(row(3));
    expect(Array.from(retried.outputs.y.data as Float32Array)).toEqual([6, 8]);
    runner.failNext = [new InstanceCrashError('a'), new InstanceCrashError('b')];
    await expect(batcher.submit(row(3))).rejects.toMatchObject({ reason: 'instance_crash' });
  });

  it('refuses bad feeds before queueing them', async () => {
    const { batcher } = setup();
    await expect(batcher.submit({ x: Tensor.zeros('float32', [1, 3]) })).rejects.toMatchObject({ reason: 'bad_input', message: expect.stringContaining("input 'x'") });
    await expect(batcher.submit({})).rejects.toMatchObject({ reason: 'bad_input', message: expect.stringContaining('missing input') });
  });

  it('drains: refuses new work, finishes what is queued and running', async () => {
    const { batcher, runner } = setup({ maxBatch: 1, maxDelayMs: 0 }, new FakeRunner(1, 30));
    const pending = [1, 2, 3].map((a) => batcher.submit(row(a)));
    const drained = batcher.drain();
    await expect(batcher.submit(row(9))).rejects.toMatchObject({ reason: 'shutting_down' });
    await drained;
    expect((await Promise.all(pending)).length).toBe(3);
    expect(runner.batches).toEqual([1, 1, 1]);
  });

  it('prepares powers of two up to the max batch', () => {
    expect(defaultBatchSizes(1)).toEqual([1]);
    expect(defaultBatchSizes(8)).toEqual([1, 2, 4, 8]);
    expect(defaultBatchSizes(12)).toEqual([1, 2, 4, 8, 12]);
  });
});
