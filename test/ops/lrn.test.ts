import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { float, int } from '../../src/ir/builder.js';
import { runOp } from '../helpers/run-op.js';

const close = (actual: number[], expected: number[]) => actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
const x = Tensor.from('float32', [1, 2, 3], [1, 3, 1, 1]);

describe('LRN', () => {
  it('normalises over the neighbouring channels that exist', () => {
    // alpha / size = 1, beta = 1, bias = 1: y = x / (1 + square_sum).
    const [y] = runOp('LRN', [x], { size: int(3), alpha: float(3), beta: float(1), bias: float(1) });
    close(y.toNumbers(), [1 / 6, 2 / 15, 3 / 14]);
  });

  it('takes one more channel above than below for an even size', () => {
    const [y] = runOp('LRN', [x], { size: int(2), alpha: float(2), beta: float(1), bias: float(1) });
    close(y.toNumbers(), [1 / 6, 2 / 14, 3 / 10]);
  });

  it('uses ONNX defaults alpha 1e-4, beta 0.75, bias 1 across spatial positions', () => {
    const t = Tensor.from('float32', [1, 10, 2, 20], [1, 2, 2, 1]);
    const [y] = runOp('LRN', [t], { size: int(5) });
    const f = (v: number, sq: number) => v / Math.pow(1 + (1e-4 / 5) * sq, 0.75);
    close(y.toNumbers(), [f(1, 1 + 4), f(10, 100 + 400), f(2, 1 + 4), f(20, 100 + 400)]);
  });

  it('requires size and [N, C, ...] input', () => {
    expect(() => runOp('LRN', [x])).toThrow(/LRN node 'lrn': attribute 'size' is required/);
    expect(() => runOp('LRN', [Tensor.from('float32', [1], [1, 1])], { size: int(1) })).toThrow(/input X \[1, 1\] must be \[N, C, spatial...\]/);
  });
});
