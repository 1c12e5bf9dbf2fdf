import { type HostWorker, canBlock, canShareMemory, startWorker } from '../../platform/host.js';
import { type WasmMemory, wasm } from './wasm-api.js';
import { type KernelBuild, type KernelFn, type KernelName, hasRelaxedSimd, kernelModule, kernelNames } from './kernels.js';

/**
 * Bytes of the shared memory kept below the arena: the control words live here, and from byte 4096 the
 * kernels' static data (scripts/build-wasm.ts), which every instantiation writes again, unchanged.
 */
export const reservedBytes = 65536;
const pageBytes = 65536;
const maxPages = 65536;
// Control words (Int32 indices from controlOffset): generation, kernel, parameters, thread count, done, quit.
const controlOffset = 1024;
const [GEN, FN, PARAMS, NTH, DONE, QUIT] = [0, 1, 2, 3, 4, 5];

/**
 * Polls of a control word before a thread sleeps on it. An inference is a chain of jobs a few microseconds
 * to milliseconds apart; waking a thread that slept costs tens of microseconds (46 per job measured on 2
 * cores of a virtual machine, 5.5 ms of GoogLeNet's 32 at batch 1), so a thread first polls for about
 * that long and sleeps only when no job comes.
 */
const spins = 1 << 14;

// Each worker instantiates the kernels on the shared memory, then waits on the generation word (polling,
// then sleeping); a new generation is one job: every thread runs its share (ith of nth), counts itself
// done and waits again. The host (platform/host.ts) defines `data` and `ready()` around this script, in
// Node and in browsers.
const workerSource = `
const { module, memory, ith, names, control } = data;
const { exports } = new WebAssembly.Instance(module, { env: { memory } });
const fns = names.map((n) => exports[n]);
const ctl = new Int32Array(memory.buffer, control, 8);
ready();
let gen = 0;
for (;;) {
  for (let i = 0; i < ${spins} && Atomics.load(ctl, ${GEN}) === gen; i++);
  Atomics.wait(ctl, ${GEN}, gen);
  gen = Atomics.load(ctl, ${GEN});
  if (Atomics.load(ctl, ${QUIT}) !== 0) break;
  const nth = ctl[${NTH}];
  if (ith < nth) fns[ctl[${FN}]](ctl[${PARAMS}], ith, nth);
  Atomics.add(ctl, ${DONE}, 1);
  Atomics.notify(ctl, ${DONE});
}
`;

/**
 * A persistent pool of worker threads sharing one WebAssembly memory with the calling thread, which runs
 * share 0 of every job itself. Jobs are dispatched through atomics in the shared memory, not messages.
 */
export class ThreadPool {
  readonly memory: WasmMemory;
  private readonly fns: Record<KernelName, KernelFn>;
  private readonly control: Int32Array;
  private readonly workers: HostWorker[] = [];
  /** Whether this thread may sleep in Atomics.wait (a browser window's main thread spins instead). */
  private readonly blocking = canBlock();
  private closed = false;

  private constructor(readonly threads: number, readonly build: KernelBuild, bytes: number) {
    const module = kernelModule(build);
    this.memory = new wasm.Memory({ initial: Math.ceil(bytes / pageBytes), maximum: maxPages, shared: true });
    const instance = new wasm.Instance(module, { env: { memory: this.memory } });
    this.fns = Object.fromEntries(kernelNames.map((n) => [n, instance.exports[n] as KernelFn])) as Record<KernelName, KernelFn>;
    this.control = new Int32Array(this.memory.buffer, controlOffset, 8);
    for (let ith = 1; ith < threads; ith++) {
      this.workers.push(startWorker(workerSource, { module, memory: this.memory, ith, names: kernelNames, control: controlOffset }));
    }
  }

  /**
   * A pool of `threads` threads (the caller and threads - 1 workers) over a shared memory of at least
   * `bytes`, once every worker has started: a worker that fails to start would otherwise leave the
   * caller waiting on it forever. Where memory cannot be shared with workers (a browser page that is not
   * cross-origin isolated) the pool is the calling thread alone: results never depend on the thread count.
   */
  static async create(threads: number, bytes: number, build?: KernelBuild): Promise<ThreadPool> {
    const chosen = build ?? (hasRelaxedSimd() ? 'relaxed' : 'simd128');
    if (bytes > maxPages * pageBytes) throw new RangeError(`the plan needs ${bytes} bytes; WebAssembly memory holds at most 4 GiB`);
    const pool = new ThreadPool(canShareMemory() ? threads : 1, chosen, bytes);
    try {
      await Promise.all(pool.workers.map((w) => w.ready));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Grows the shared memory (every thread sees it) to hold at least `bytes`; false past WebAssembly's 4 GiB. */
  grow(bytes: number): boolean {
    const pages = Math.ceil(bytes / pageBytes);
    const have = this.memory.buffer.byteLength / pageBytes;
    if (pages > maxPages) return false;
    if (pages > have) this.memory.grow(pages - have);
    return true;
  }

  /** Runs a kernel over every thread and returns when all are done. */
  run(kernel: KernelName, params: number, nth = this.threads): void {
    if (this.closed) throw new Error('the thread pool has been closed');
    const ctl = this.control;
    const workers = this.workers.length;
    if (workers > 0) {
      ctl[FN] = kernelNames.indexOf(kernel);
      ctl[PARAMS] = params;
      ctl[NTH] = nth;
      Atomics.store(ctl, DONE, 0);
      Atomics.add(ctl, GEN, 1);
      Atomics.notify(ctl, GEN);
    }
    this.fns[kernel](params, 0, nth);
    let polls = 0;
    for (let done = Atomics.load(ctl, DONE); done < workers; done = Atomics.load(ctl, DONE)) if (this.blocking && ++polls > spins) Atomics.wait(ctl, DONE, done);
  }

  /** Stops and terminates the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, QUIT, 1);
    Atomics.add(this.control, GEN, 1);
    Atomics.notify(this.control, GEN);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
