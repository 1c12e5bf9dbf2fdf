import { formatShape } from '../../src/core/shape.js';
import type { Tensor } from '../../src/core/tensor.js';

/**
 * Compares two tensors: same dtype and shape; floats within |a - e| <= atol + rtol * |e| (NaN matches
 * NaN, infinities must match exactly); integers and bools exactly. Returns a description of the first
 * mismatch, or undefined when they agree.
 */
export function compareTensors(actual: Tensor, expected: Tensor, tol: { rtol: number; atol: number }): string | undefined {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (formatShape(actual.shape) !== formatShape(expected.shape)) {
    return `shape ${formatShape(actual.shape)}, expected ${formatShape(expected.shape)}`;
  }
  if (actual.dtype === 'int64') {
    const a = actual.data as BigInt64Array;
    const e = expected.data as BigInt64Array;
    for (let i = 0; i < a.length; i++) if (a[i] !== e[i]) return `element ${i} is ${a[i]}, expected ${e[i]}`;
    return undefined;
  }
  const a = actual.toFloat64();
  const e = expected.toFloat64();
  const exact = actual.dtype !== 'float32' && actual.dtype !== 'float16';
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(e[i]) && Number.isNaN(a[i])) continue;
    if (!Number.isFinite(e[i]) || exact) {
      if (a[i] !== e[i]) return `element ${i} is ${a[i]}, expected ${e[i]}`;
      continue;
    }
    const excess = Math.abs(a[i] - e[i]) - (tol.atol + tol.rtol * Math.abs(e[i]));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) return `element ${worst} is ${a[worst]}, expected ${e[worst]} (beyond rtol ${tol.rtol}, atol ${tol.atol})`;
  return undefined;
}

/** max |a - e| / max |e|: the relative error of a whole tensor, for model-level comparisons. */
export function relativeError(actual: Float32Array | Float64Array, expected: Float32Array | Float64Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
