import { reservedBytes } from './pool.js';

const align = 64;
// Kernels may read a vector past the end of a buffer (the last columns of a tile); keep that inside the arena.
const slack = 64;

/**
 * Plans the shared memory of one prepared graph before it exists: permanent buffers (packed weights, job
 * parameters, scratch) and activations that live from their producer to their last reader, reusing the
 * space of dead activations first-fit. The plan is fixed per input shape: runs never grow memory.
 */
export class ArenaPlanner {
  private readonly holes: { offset: number; size: number }[] = [];

  /** `base`: where the planned memory starts (64-byte aligned); offsets move with it, sizes do not. */
  constructor(private top = reservedBytes) {}

  /** Total bytes the memory must hold. */
  get size(): number {
    return this.top;
  }

  /** A buffer that lives as long as the plan. */
  permanent(bytes: number): number {
    const offset = this.top;
    this.top += roundUp(bytes + slack);
    return offset;
  }

  /** A buffer for an activation, until `release`. */
  acquire(bytes: number): number {
    const size = roundUp(bytes + slack);
    const i = this.holes.findIndex((h) => h.size >= size);
    if (i < 0) return this.permanent(bytes);
    const hole = this.holes[i];
    const offset = hole.offset;
    if (hole.size === size) this.holes.splice(i, 1);
    else this.holes[i] = { offset: offset + size, size: hole.size - size };
    return offset;
  }

  release(offset: number, bytes: number): void {
    this.holes.push({ offset, size: roundUp(bytes + slack) });
    this.holes.sort((a, b) => a.offset - b.offset);
    // Merge neighbours so that a large activation can reuse the space of several small ones.
    for (let i = this.holes.length - 1; i > 0; i--) {
      const [prev, cur] = [this.holes[i - 1], this.holes[i]];
      if (prev.offset + prev.size === cur.offset) {
        this.holes[i - 1] = { offset: prev.offset, size: prev.size + cur.size };
        this.holes.splice(i, 1);
      }
    }
  }
}

function roundUp(bytes: number): number {
  return Math.ceil(bytes / align) * align;
}
