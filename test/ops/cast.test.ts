import { describe, expect, it } from 'vitest';
import { JouleError } from '../../src/core/errors.js';
import { Tensor } from '../../src/core/tensor.js';
import { int } from '../../src/ir/builder.js';
import { runOp } from '../helpers/run-op.js';

const to = (code: number) => ({ to: int(code) });
const FLOAT = 1, UINT8 = 2, INT32 = 6, INT64 = 7, BOOL = 9, FLOAT16 = 10, DOUBLE = 11;

describe('Cast', () => {
  it('truncates floats toward zero when casting to integers', () => {
    const x = Tensor.from('float32', [1.7, -1.7, 2.5, -0.5]);
    expect(runOp('Cast', [x], to(INT32))[0].toNumbers()).toEqual([1, -1, 2, 0]);
    const [y] = runOp('Cast', [x], to(INT64));
    expect(Array.from(y.data as BigInt64Array)).toEqual([1n, -1n, 2n, 0n]);
  });

  it('rounds to float16 to nearest even', () => {
    const [h] = runOp('Cast', [Tensor.from('float32', [1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000])], to(FLOAT16));
    expect(h.dtype).toBe('float16');
    expect(h.toNumbers()).toEqual([1, 1 + 2 ** -9, Infinity]);
  });

  it('converts int64 exactly: to int32 and uint8 with wrap-around, to bool as nonzero', () => {
    const x = new Tensor('int64', BigInt64Array.from([2n ** 40n + 5n, -1n, 0n]), [3]);
    expect(runOp('Cast', [x], to(INT32))[0].toNumbers()).toEqual([5, -1, 0]);
    expect(runOp('Cast', [x], to(UINT8))[0].toNumbers()).toEqual([5, 255, 0]);
    expect(runOp('Cast', [x], to(BOOL))[0].toNumbers()).toEqual([1, 1, 0]);
    expect(runOp('Cast', [x], to(FLOAT))[0].toNumbers()).toEqual([2 ** 40, -1, 0]);
    const [same] = runOp('Cast', [x], to(INT64));
    expect(Array.from(same.data as BigInt64Array)).toEqual([2n ** 40n + 5n, -1n, 0n]);
  });

  it('casts bool and to bool (NaN is true)', () => {
    expect(runOp('Cast', [Tensor.from('float32', [0, 2, NaN])], to(BOOL))[0].toNumbers()).toEqual([0, 1, 1]);
    expect(runOp('Cast', [Tensor.from('bool', [1, 0])], to(FLOAT))[0].toNumbers()).toEqual([1, 0]);
  });

  it('refuses a dtype joule does not hold', () => {
    try {
      runOp('Cast', [Tensor.from('float32', [1])], to(DOUBLE));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(JouleError);
      expect((e as JouleError).code).toBe('UNSUPPORTED_DTYPE');
      expect((e as JouleError).message).toMatch(/Cast node 'cast': cannot cast to double/);
    }
  });
});
