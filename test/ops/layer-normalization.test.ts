import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, float, int } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[]) => Tensor.from('float32', values, shape);
const close = (actual: number[], expected: number[]) => actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));

describe('LayerNormalization', () => {
  it('standardizes the last axis by default, then scales and shifts', () => {
    const x = f32([1, 2, 3, 10, 10, 10], [2, 3]);
    const [y, mean, inv] = runOp('LayerNormalization', [x, f32([1, 1, 2], [3]), f32([0, 0, 1], [3])], {}, { outputs: 3 });
    const s = Math.sqrt(1.5);
    close(y.toNumbers(), [-s, 0, 2 * s + 1, 0, 0, 1]);
    expect(mean.shape).toEqual([2, 1]);
    close(mean.toNumbers(), [2, 10]);
    close(inv.toNumbers(), [1 / Math.sqrt(2 / 3 + 1e-5), 1 / Math.sqrt(1e-5)]);
  });

  it('normalizes every axis from `axis` on', () => {
    const x = f32([0, 2, 4, 6], [1, 2, 2]);
    const [y] = runOp('LayerNormalization', [x, Tensor.scalar('float32', 1)], { axis: int(1), epsilon: float(0) });
    close(y.toNumbers(), [-3, -1, 1, 3].map((v) => v / Math.sqrt(5)));
  });

  it('keeps float16 and a symbolic batch; statistics are float32', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float16', ['N', 'T', 768]);
    const [y, m] = b.node('LayerNormalization', [x, b.initializer('g', Tensor.zeros('float16', [768]))], {}, { outputs: 2 });
    const { types } = inferGraph(b.build());
    expect(types.get(y)).toEqual({ dtype: 'float16', shape: ['N', 'T', 768] });
    expect(types.get(m)).toEqual({ dtype: 'float32', shape: ['N', 'T', 1] });
  });

  it('rejects a scale that does not broadcast to X', () => {
    expect(() => runOp('LayerNormalization', [f32([1, 2, 3], [1, 3]), f32([1, 2], [2])])).toThrow(/input Scale \[2\] does not broadcast to \[1, 3\]/);
  });
});
