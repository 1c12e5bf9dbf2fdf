import { type DType, type TypedArrayFor, dtypes } from './dtype.js';
import { fail } from './errors.js';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from './float16.js';
import { shapeSize, formatShape } from './shape.js';

/** A dense, row-major (NCHW for images) tensor: a dtype, a typed array and a concrete shape. */
export class Tensor<D extends DType = DType> {
  readonly shape: readonly number[];

  constructor(
    readonly dtype: D,
    readonly data: TypedArrayFor<D>,
    shape: readonly number[],
  ) {
    if (!(dtype in dtypes)) fail('BAD_ARGUMENT', `unknown dtype '${String(dtype)}'`);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) fail('BAD_ARGUMENT', `tensor shape ${formatShape(shape)} has a dimension that is not a non-negative integer`);
    }
    const size = shapeSize(shape);
    if (data.length !== size) {
      fail('BAD_ARGUMENT', `tensor of shape ${formatShape(shape)} needs ${size} elements, got ${data.length}`);
    }
    const expected = dtypes[dtype].alloc(0).constructor;
    if (data.constructor !== expected) {
      fail('BAD_ARGUMENT', `dtype ${dtype} is stored in a ${expected.name}, got a ${data.constructor.name}`);
    }
    this.shape = Object.freeze([...shape]);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  static zeros<D extends DType>(dtype: D, shape: readonly number[]): Tensor<D> {
    const size = shapeSize(shape);
    let data: TypedArrayFor<D>;
    try {
      data = dtypes[dtype].alloc(size);
    } catch (e) {
      // A model can ask for more than memory holds (a huge ConstantOfShape, say): say which tensor.
      if (!(e instanceof RangeError)) throw e;
      fail('OUT_OF_MEMORY', `cannot allocate a ${dtype} tensor of shape ${formatShape(shape)} (${size} elements): ${e.message}`);
    }
    return new Tensor(dtype, data, shape);
  }

  /** Builds a tensor from plain numbers (bigints for int64 are not needed: numbers are converted). */
  static from<D extends DType>(dtype: D, values: ArrayLike<number>, shape: readonly number[] = [values.length]): Tensor<D> {
    const t = Tensor.zeros(dtype, shape);
    t.setNumbers(values);
    return t;
  }

  static scalar<D extends DType>(dtype: D, value: number): Tensor<D> {
    return Tensor.from(dtype, [value], []);
  }

  /** Element i as a JavaScript number (float16 decoded, int64 converted). */
  get(i: number): number {
    const d = this.data;
    if (this.dtype === 'float16') return float16ArrayToFloat32((d as Uint16Array).subarray(i, i + 1))[0];
    if (this.dtype === 'int64') return Number((d as BigInt64Array)[i]);
    return (d as Float32Array)[i];
  }

  /** All elements as JavaScript numbers; float16 is decoded. For int64, values beyond 2^53 lose precision. */
  toNumbers(): number[] {
    return Array.from(this.toFloat64());
  }

  /** All elements widened to float64 (exact for every dtype except int64 beyond 2^53). */
  toFloat64(): Float64Array {
    switch (this.dtype) {
      case 'float16':
        return Float64Array.from(float16ArrayToFloat32(this.data as Uint16Array));
      case 'int64': {
        const src = this.data as BigInt64Array;
        const out = new Float64Array(src.length);
        for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
        return out;
      }
      case 'float32':
      case 'int32':
      case 'uint8':
      case 'bool':
        return Float64Array.from(this.data as Float32Array);
    }
  }

  /** Overwrites every element from numbers, converting to this dtype (float16 rounds to nearest even). */
  setNumbers(values: ArrayLike<number>): void {
    if (values.length !== this.size) fail('BAD_ARGUMENT', `expected ${this.size} values, got ${values.length}`);
    const d = this.data;
    switch (this.dtype) {
      case 'float16':
        (d as Uint16Array).set(float32ArrayToFloat16(values));
        return;
      case 'int64': {
        const out = d as BigInt64Array;
        for (let i = 0; i < values.length; i++) out[i] = toInt64(values[i]);
        return;
      }
      case 'bool': {
        const out = d as Uint8Array;
        for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
        return;
      }
      case 'float32':
      case 'int32':
      case 'uint8': {
        const out = d as Float32Array;
        for (let i = 0; i < values.length; i++) out[i] = values[i];
        return;
      }
    }
  }

  /** The data as float32, decoding float16 and converting integers; shares memory when already float32. */
  toFloat32(): Float32Array {
    if (this.dtype === 'float32') return this.data as Float32Array;
    if (this.dtype === 'float16') return float16ArrayToFloat32(this.data as Uint16Array);
    return Float32Array.from(this.toFloat64());
  }

  /** Same data, new shape of the same size. */
  reshape(shape: readonly number[]): Tensor<D> {
    return new Tensor(this.dtype, this.data, shape);
  }

  toString(): string {
    return `Tensor(${this.dtype}, ${formatShape(this.shape)})`;
  }
}

/** Converts a number to int64 the way a cast does: truncates toward zero, saturates at the int64 range. */
export function toInt64(v: number): bigint {
  if (Number.isNaN(v)) return 0n;
  if (v >= 2 ** 63) return 2n ** 63n - 1n;
  if (v <= -(2 ** 63)) return -(2n ** 63n);
  return BigInt(Math.trunc(v));
}
