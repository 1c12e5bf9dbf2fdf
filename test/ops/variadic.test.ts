import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[] = [values.length]) => Tensor.from('float32', values, shape);

describe('Max, Min, Mean', () => {
  it('combine one, two and three inputs with broadcasting', () => {
    const a = f32([1, 5, 3, 8], [2, 2]);
    const b = f32([4, 2], [1, 2]);
    expect(runOp('Max', [a])[0].toNumbers()).toEqual([1, 5, 3, 8]);
    expect(runOp('Max', [a, b])[0].toNumbers()).toEqual([4, 5, 4, 8]);
    expect(runOp('Min', [a, b, Tensor.scalar('float32', 3)])[0].toNumbers()).toEqual([1, 2, 3, 2]);
    expect(runOp('Mean', [a, b])[0].toNumbers()).toEqual([2.5, 3.5, 3.5, 5]);
  });

  it('propagate NaN as NumPy does', () => {
    expect(runOp('Max', [f32([NaN, 1]), f32([0, NaN])])[0].toNumbers()).toEqual([NaN, NaN]);
  });

  it('keep int64 exact, and take integers only from opset 12', () => {
    const big = 2n ** 60n;
    const [y] = runOp('Max', [new Tensor('int64', BigInt64Array.from([big, 1n]), [2]), new Tensor('int64', BigInt64Array.from([big + 1n]), [1])]);
    expect(Array.from(y.data as BigInt64Array)).toEqual([big + 1n, big + 1n]);
    expect(runOp('Min', [Tensor.from('uint8', [3, 200]), Tensor.from('uint8', [100, 4])])[0].toNumbers()).toEqual([3, 4]);
    expect(() => runOp('Max', [Tensor.from('int32', [1])], {}, { opset: 11 })).toThrow(/Max node 'max': input 0 has dtype int32/);
    expect(() => runOp('Mean', [Tensor.from('int32', [1])])).toThrow(/dtype int32/);
  });

  it('carry symbolic dims', () => {
    const b = new GraphBuilder('t');
    const y = b.op('Max', [b.input('x', 'float32', ['N', 1, 'W']), b.input('z', 'float32', [3, 1])]);
    expect(inferGraph(b.build()).types.get(y)).toEqual({ dtype: 'float32', shape: ['N', 3, 'W'] });
  });
});
