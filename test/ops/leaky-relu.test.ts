import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { float } from '../../src/ir/builder.js';
import { runOp } from '../helpers/run-op.js';

describe('LeakyRelu', () => {
  const x = Tensor.from('float32', [-2, -0.5, 0, 3], [2, 2]);

  it('scales negatives by alpha, default 0.01', () => {
    const [y] = runOp('LeakyRelu', [x]);
    expect(y.shape).toEqual([2, 2]);
    y.toNumbers().forEach((v, i) => expect(v).toBeCloseTo([-0.02, -0.005, 0, 3][i], 7));
    expect(runOp('LeakyRelu', [x], { alpha: float(0.5) })[0].toNumbers()).toEqual([-1, -0.25, 0, 3]);
  });
});
