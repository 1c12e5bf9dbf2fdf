// IEEE 754 binary16 conversion. Numbers (float64, so float32 too) round to the nearest float16, ties to
// even, straight from the double (no double rounding through float32); subnormals are produced,
// overflow goes to infinity, NaN stays a quiet NaN, and the sign of zero is kept.

function roundHalfEven(q: number): number {
  const f = Math.floor(q);
  const d = q - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Rounds a number to the nearest float16 and returns its bit pattern. */
export function float32ToFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a >= 65520) return sign | 0x7c00; // 65520 is halfway between 65504 (the largest half) and 2^16
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormal; 1024 becomes the smallest normal
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--; // log2 may round up near powers of two
  else if (2 ** (e + 1) <= a) e++;
  let mant = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (mant === 1024) {
    mant = 0;
    e++;
  }
  return sign | ((e + 15) << 10) | mant;
}

/** Decodes a float16 bit pattern. */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * The float16 bits of a float32 given by its bits: the same rounding as float32ToFloat16Bits (nearest,
 * ties to even; subnormals; overflow to infinity; NaN to 0x7e00), in integer arithmetic.
 */
function float32BitsToFloat16Bits(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exp = (f >>> 23) & 0xff;
  const mant = f & 0x7fffff;
  if (exp === 0xff) return mant !== 0 ? 0x7e00 : sign | 0x7c00;
  const e = exp - 112; // rebiased from 127 to 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: zero
    const full = mant | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) !== 0)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa steps the exponent, up to infinity: still the right rounding.
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) !== 0)) half++;
  return sign | half;
}

export function float32ArrayToFloat16(src: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(src.length);
  if (src instanceof Float32Array) {
    // Exactly float32 values: rounded from their bits, some 50x faster than from the number.
    const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
    for (let i = 0; i < bits.length; i++) out[i] = float32BitsToFloat16Bits(bits[i]);
    return out;
  }
  for (let i = 0; i < src.length; i++) out[i] = float32ToFloat16Bits(src[i]);
  return out;
}

/** Decodes float16 bits through a lookup table: 65,536 entries, built on first use. */
let table: Float32Array | undefined;

export function float16ArrayToFloat32(src: Uint16Array): Float32Array {
  if (table === undefined) {
    table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) table[i] = float16BitsToFloat32(i);
  }
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}
