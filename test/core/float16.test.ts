import { describe, expect, it } from 'vitest';
import { float16ArrayToFloat32, float16BitsToFloat32, float32ArrayToFloat16, float32ToFloat16Bits } from '../../src/core/float16.js';

const isNaNBits = (b: number): boolean => (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;

describe('float16', () => {
  it('decodes known bit patterns', () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0400)).toBe(2 ** -14);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x7c00)).toBe(Infinity);
    expect(float16BitsToFloat32(0xfc00)).toBe(-Infinity);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
  });

  it('round-trips every one of the 65,536 patterns (NaNs stay NaN)', () => {
    for (let b = 0; b < 65536; b++) {
      const back = float32ToFloat16Bits(float16BitsToFloat32(b));
      if (isNaNBits(b)) expect(isNaNBits(back)).toBe(true);
      else if (back !== b) expect.fail(`pattern ${b.toString(16)} came back as ${back.toString(16)}`);
    }
  });

  it('rounds to nearest, ties to even, between every pair of neighbours (subnormals included)', () => {
    for (let b = 0; b < 0x7bff; b++) {
      const lo = float16BitsToFloat32(b);
      const hi = float16BitsToFloat32(b + 1);
      const mid = (lo + hi) / 2;
      const even = b % 2 === 0 ? b : b + 1;
      if (float32ToFloat16Bits(mid) !== even) expect.fail(`midpoint above ${b.toString(16)} did not round to even`);
      const eps = (hi - lo) / 1024;
      if (float32ToFloat16Bits(mid - eps) !== b || float32ToFloat16Bits(mid + eps) !== b + 1) {
        expect.fail(`values near the midpoint above ${b.toString(16)} round the wrong way`);
      }
      if (float32ToFloat16Bits(-mid) !== (even | 0x8000)) expect.fail(`negative midpoint above ${b.toString(16)}`);
    }
  });

  it('rounds from the double itself, not through float32 first', () => {
    // Just above the midpoint between 1 and 1 + 2^-10: float32 rounding would land on the tie.
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
  });

  it('overflows to infinity, underflows to signed zero, keeps NaN and infinities', () => {
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65519.99)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
    expect(float32ToFloat16Bits(1e10)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-1e10)).toBe(0xfc00);
    expect(float32ToFloat16Bits(Infinity)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-Infinity)).toBe(0xfc00);
    expect(isNaNBits(float32ToFloat16Bits(NaN))).toBe(true);
    expect(float32ToFloat16Bits(2 ** -26)).toBe(0); // below half the smallest subnormal
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0); // exactly half: ties to even (zero)
    expect(float32ToFloat16Bits(2 ** -25 * 1.0001)).toBe(1);
    expect(float32ToFloat16Bits(-1e-10)).toBe(0x8000);
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
  });

  it('converts arrays both ways', () => {
    const src = new Float32Array([0, -1.5, 3.14159, 65504, 1e-7]);
    const back = float16ArrayToFloat32(float32ArrayToFloat16(src));
    expect(Array.from(back)).toEqual(Array.from(src).map((v) => float16BitsToFloat32(float32ToFloat16Bits(v))));
    expect(back[2]).toBeCloseTo(3.140625, 6);
  });

  it('rounds float32 arrays from their bits exactly as from the numbers', () => {
    // Every exponent with mantissas at and around each rounding boundary, plus random bit patterns.
    const patterns: number[] = [];
    for (let exp = 0; exp < 256; exp++) {
      for (const mant of [0, 1, 0xfff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x3000, 0x7fe000, 0x7ff000, 0x7fffff, 0x400000, 0x401000]) {
        patterns.push(((exp << 23) | mant) >>> 0, ((1 << 31) | (exp << 23) | mant) >>> 0);
      }
      // Subnormal results: halfway points of every shift.
      for (let shift = 13; shift <= 24; shift++) patterns.push(((exp << 23) | (1 << (shift - 1))) >>> 0, ((exp << 23) | (3 << (shift - 1))) >>> 0);
    }
    let s = 0x12345678;
    for (let i = 0; i < 200_000; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      patterns.push(s >>> 0);
    }
    const values = new Float32Array(new Uint32Array(patterns).buffer);
    const fast = float32ArrayToFloat16(values);
    const slow = Array.from(values, (v) => float32ToFloat16Bits(v));
    const mismatches = slow.flatMap((bits, i) => (bits === fast[i] ? [] : [`${patterns[i].toString(16)}: ${fast[i].toString(16)} != ${bits.toString(16)}`]));
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
