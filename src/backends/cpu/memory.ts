import type { BackendSession } from '../backend.js';
import { ArenaPlanner } from './arena.js';
import type { KernelBuild } from './kernels.js';
import { ThreadPool, reservedBytes } from './pool.js';

/** Packed weights in the shared memory: where, how many bytes, and how many plans' candidates read them. */
interface WeightEntry {
  readonly offset: number;
  readonly bytes: number;
  users: number;
}

/** A hold on packed weights: their offset, and how to let go of them. */
export interface WeightHold {
  readonly offset: number;
  release(): void;
}

/**
 * What the plans of one session share on the cpu backend: a thread pool over one WebAssembly memory, in
 * which every plan gets a region of its own (activations, job parameters, scratch) and the packed weights
 * of each layer are stored once, whatever the batch sizes prepared. Weights are found by the tensor they
 * were packed from and a key that says how (the algorithm, the tile, the layer's attributes), and freed
 * when the last plan that reads them lets go: a session serving batches of 1, 4 and 16 holds CaffeNet's
 * 233 MB of fully connected weights once, not three times.
 */
export class CpuMemory implements BackendSession {
  private readonly space = new ArenaPlanner();
  private readonly weights = new WeakMap<object, Map<string, WeightEntry>>();
  private stored = 0;
  /** The end of the memory ever handed out: what lies past it has never been written. */
  private used = reservedBytes;
  private closed = false;

  private constructor(readonly pool: ThreadPool) {}

  static async create(threads: number, build?: KernelBuild): Promise<CpuMemory> {
    return new CpuMemory(await ThreadPool.create(threads, reservedBytes, build));
  }

  get threads(): number {
    return this.pool.threads;
  }

  get build(): KernelBuild {
    return this.pool.build;
  }

  /** Bytes of packed weights stored now. */
  get weightBytes(): number {
    return this.stored;
  }

  /** Bytes the memory holds now. */
  get bytes(): number {
    return this.pool.memory.buffer.byteLength;
  }

  /**
   * A region of `bytes` and the vector's worth after it that kernels may read, 64-byte aligned and zeroed
   * (as fresh memory is, and plans expect), or undefined where the memory cannot grow to hold it (4 GiB).
   */
  allocate(bytes: number): number | undefined {
    const offset = this.space.acquire(bytes);
    if (!this.pool.grow(this.space.size)) {
      this.space.release(offset, bytes);
      return undefined;
    }
    // Memory past everything handed out before is fresh, and zero already.
    const end = offset + bytes + 64;
    if (offset < this.used) new Uint8Array(this.pool.memory.buffer, offset, Math.min(end, this.used) - offset).fill(0);
    this.used = Math.max(this.used, end);
    return offset;
  }

  free(offset: number, bytes: number): void {
    this.space.release(offset, bytes);
  }

  /**
   * The packed weights made from `source` as `key` says, made (by `make`) and stored the first time they
   * are asked for; each hold is released once. Undefined where the memory cannot grow to hold them.
   */
  weight(source: object, key: string, make: () => Float32Array | Uint16Array | Int32Array): WeightHold | undefined {
    let bySource = this.weights.get(source);
    if (bySource === undefined) this.weights.set(source, (bySource = new Map()));
    let entry = bySource.get(key);
    if (entry === undefined) {
      const data = make();
      const offset = this.allocate(data.byteLength);
      if (offset === undefined) return undefined;
      const buffer = this.pool.memory.buffer;
      if (data instanceof Uint16Array) new Uint16Array(buffer, offset, data.length).set(data);
      else if (data instanceof Int32Array) new Int32Array(buffer, offset, data.length).set(data);
      else new Float32Array(buffer, offset, data.length).set(data);
      entry = { offset, bytes: data.byteLength, users: 0 };
      this.stored += entry.bytes;
      bySource.set(key, entry);
    }
    entry.users++;
    const held = entry;
    let released = false;
    return {
      offset: held.offset,
      release: () => {
        if (released) return;
        released = true;
        if (--held.users > 0) return;
        bySource.delete(key);
        this.stored -= held.bytes;
        this.free(held.offset, held.bytes);
      },
    };
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }
}
