import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { runOp } from '../helpers/run-op.js';

describe('Sum', () => {
  it('adds one, two and three inputs with broadcasting', () => {
    const a = Tensor.from('float32', [1, 2, 3, 4], [2, 2]);
    expect(runOp('Sum', [a])[0].toNumbers()).toEqual([1, 2, 3, 4]);
    const [y] = runOp('Sum', [a, Tensor.from('float32', [10, 20], [2, 1]), Tensor.scalar('float32', 100)]);
    expect(y.shape).toEqual([2, 2]);
    expect(y.toNumbers()).toEqual([111, 112, 123, 124]);
  });

  it('keeps int64 exact', () => {
    const big = 2n ** 55n;
    const [y] = runOp('Sum', [new Tensor('int64', BigInt64Array.from([big]), [1]), new Tensor('int64', BigInt64Array.from([1n, 3n]), [2])]);
    expect(Array.from(y.data as BigInt64Array)).toEqual([big + 1n, big + 3n]);
  });

  it('needs one dtype', () => {
    expect(() => runOp('Sum', [Tensor.from('float32', [1]), Tensor.from('float16', [1])])).toThrow(/one dtype/);
  });
});

describe('Sqrt', () => {
  it('takes square roots of floats, NaN below zero', () => {
    const [y] = runOp('Sqrt', [Tensor.from('float32', [4, 2, 0, -1])]);
    expect(y.toNumbers()).toEqual([2, Math.fround(Math.SQRT2), 0, NaN]);
    expect(runOp('Sqrt', [Tensor.from('float16', [9])])[0].toNumbers()).toEqual([3]);
  });

  it('rejects integers', () => {
    expect(() => runOp('Sqrt', [Tensor.from('int32', [4])])).toThrow(/dtype int32/);
  });
});
