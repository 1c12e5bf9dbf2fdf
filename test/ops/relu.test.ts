import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { runOp } from '../helpers/run-op.js';

describe('Relu', () => {
  it('clamps negatives to zero, keeps shape', () => {
    const [y] = runOp('Relu', [Tensor.from('float32', [-1, 0, 2.5, -0.5], [2, 2])]);
    expect(y.shape).toEqual([2, 2]);
    expect(Array.from(y.data as Float32Array)).toEqual([0, 0, 2.5, 0]);
  });
});
