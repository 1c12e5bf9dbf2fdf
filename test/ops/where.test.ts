import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

describe('Where', () => {
  it('picks from X or Y with three-way broadcasting', () => {
    const cond = Tensor.from('bool', [1, 0], [2, 1]);
    const [y] = runOp('Where', [cond, Tensor.from('float32', [1, 2, 3], [3]), Tensor.scalar('float32', -1)]);
    expect(y.shape).toEqual([2, 3]);
    expect(y.toNumbers()).toEqual([1, 2, 3, -1, -1, -1]);
  });

  it('moves int64 exactly and checks dtypes', () => {
    const big = 2n ** 62n + 3n;
    const [y] = runOp('Where', [Tensor.from('bool', [0, 1]), new Tensor('int64', BigInt64Array.from([1n, 2n]), [2]), new Tensor('int64', BigInt64Array.from([big]), [1])]);
    expect(Array.from(y.data as BigInt64Array)).toEqual([big, 2n]);
    expect(() => runOp('Where', [Tensor.from('float32', [1]), Tensor.from('float32', [1]), Tensor.from('float32', [1])])).toThrow(/input condition has dtype float32/);
    expect(() => runOp('Where', [Tensor.from('bool', [1]), Tensor.from('float32', [1]), Tensor.from('int32', [1])])).toThrow(/one dtype/);
  });

  it('carries symbolic dims', () => {
    const b = new GraphBuilder('t');
    const y = b.op('Where', [b.input('c', 'bool', ['N', 1]), b.input('x', 'float16', [1, 'T']), b.input('y', 'float16', [])]);
    expect(inferGraph(b.build()).types.get(y)).toEqual({ dtype: 'float16', shape: ['N', 'T'] });
  });
});
