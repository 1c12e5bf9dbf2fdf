import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { runOp } from '../helpers/run-op.js';

describe('Tanh', () => {
  it('is the hyperbolic tangent, saturating at +-1', () => {
    const [y] = runOp('Tanh', [Tensor.from('float32', [-1000, -0.5, 0, 0.5, 1000], [5])]);
    const v = y.toNumbers();
    expect([v[0], v[2], v[4]]).toEqual([-1, 0, 1]);
    expect(v[3]).toBeCloseTo(0.46211716, 7);
    expect(v[1]).toBeCloseTo(-0.46211716, 7);
  });
});
