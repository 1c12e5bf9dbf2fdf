import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, float } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[]) => Tensor.from('float32', values, shape);
const close = (actual: number[], expected: number[]) => actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));

describe('InstanceNormalization', () => {
  it('standardizes each (n, c) plane and applies per-channel scale and bias', () => {
    const x = f32([1, 3, 5, 5, 0, 4, 2, 2], [1, 2, 2, 2]);
    const [y] = runOp('InstanceNormalization', [x, f32([1, 2], [2]), f32([0, 10], [2])], { epsilon: float(0) });
    const a = 1 / Math.sqrt(2.75); // plane 0: mean 3.5, variance 2.75
    close(y.toNumbers(), [-2.5 * a, -0.5 * a, 1.5 * a, 1.5 * a, 10 - 2 * Math.SQRT2, 10 + 2 * Math.SQRT2, 10, 10]);
  });

  it('checks the channel vectors and keeps symbolic dims', () => {
    expect(() => runOp('InstanceNormalization', [f32([1, 2], [1, 2, 1]), f32([1], [1]), f32([1], [1])])).toThrow(
      /input scale \[1\] must be a vector of the 2 channels/,
    );
    const b = new GraphBuilder('t');
    const y = b.op('InstanceNormalization', [b.input('x', 'float32', ['N', 4, 'H', 'W']), b.initializer('s', Tensor.zeros('float32', [4])), b.initializer('b', Tensor.zeros('float32', [4]))]);
    expect(inferGraph(b.build()).types.get(y)?.shape).toEqual(['N', 4, 'H', 'W']);
  });
});
