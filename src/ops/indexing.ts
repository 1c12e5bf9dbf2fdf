import { shapeSize } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';

/** The elements of a typed array of any dtype, copied without conversion (so int64 stays exact). */
export type Elements = { [index: number]: number | bigint };

/**
 * For each coordinate of `shape` in row-major order, `source(coord)`: the flat index of the element to
 * read, or -1 for a fill value. The data-movement ops (Transpose, Slice, Pad, Gather) are all this.
 */
export function indexMap(shape: readonly number[], source: (coord: readonly number[]) => number): Int32Array {
  const size = shapeSize(shape);
  const index = new Int32Array(size);
  const coord = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < size; i++) {
    index[i] = source(coord);
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++coord[a] < shape[a]) break;
      coord[a] = 0;
    }
  }
  return index;
}

/** A tensor of `src`'s dtype and the given shape whose element i is src's element index[i] (or `fill` where -1). */
export function take(src: Tensor, index: Int32Array, shape: readonly number[], fill?: Tensor): Tensor {
  const out = Tensor.zeros(src.dtype, shape);
  const from: Elements = src.data;
  const to: Elements = out.data;
  const pad: number | bigint | undefined = fill === undefined || fill.size === 0 ? undefined : (fill.data as Elements)[0];
  for (let i = 0; i < index.length; i++) {
    const j = index[i];
    if (j >= 0) to[i] = from[j];
    else if (pad !== undefined) to[i] = pad;
  }
  return out;
}

/** The values of a 1-D integer tensor (int32 or int64) as numbers; int64 beyond 2^53 only matters as "huge". */
export function intValues(t: Tensor): number[] {
  return Array.from(t.toFloat64());
}
