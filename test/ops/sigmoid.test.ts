import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { runOp } from '../helpers/run-op.js';

describe('Sigmoid', () => {
  it('maps to (0, 1) without overflow in either tail', () => {
    const [y] = runOp('Sigmoid', [Tensor.from('float32', [-1000, -1, 0, 1, 1000], [5])]);
    const [lo, m1, mid, p1, hi] = y.toNumbers();
    expect([lo, mid, hi]).toEqual([0, 0.5, 1]);
    expect(m1).toBeCloseTo(0.26894142, 7);
    expect(p1).toBeCloseTo(0.73105858, 7);
  });

  it('keeps float16', () => {
    const [y] = runOp('Sigmoid', [Tensor.from('float16', [0, -10], [2])]);
    expect(y.dtype).toBe('float16');
    expect(y.toNumbers()[0]).toBe(0.5);
    expect(y.toNumbers()[1]).toBeCloseTo(4.54e-5, 7);
  });

  it('takes floats only', () => {
    expect(() => runOp('Sigmoid', [Tensor.from('int32', [1], [1])])).toThrow(/Sigmoid node 'sigmoid': input X has dtype int32/);
  });
});
