import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const scalars = (dtype: 'float32' | 'int32' | 'int64', ...values: number[]) => values.map((v) => Tensor.scalar(dtype, v));

describe('Range', () => {
  it('counts up or down, excluding the limit', () => {
    expect(runOp('Range', scalars('int32', 10, 4, -3))[0].toNumbers()).toEqual([10, 7]);
    expect(runOp('Range', scalars('float32', 1, 2, 0.25))[0].toNumbers()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(runOp('Range', scalars('int64', 5, 1, 1))[0].shape).toEqual([0]);
  });

  it('keeps int64 exact and rejects a zero delta', () => {
    const big = 2n ** 60n;
    const t = (v: bigint) => new Tensor('int64', BigInt64Array.from([v]), []);
    expect(Array.from(runOp('Range', [t(big), t(big + 3n), t(2n)])[0].data as BigInt64Array)).toEqual([big, big + 2n]);
    expect(() => runOp('Range', scalars('int32', 0, 1, 0))).toThrow(/Range node 'range': delta is 0/);
  });

  it('has an unknown length until its inputs are known', () => {
    const b = new GraphBuilder('t');
    const y = b.op('Range', [b.initializer('s', Tensor.scalar('int64', 0)), b.input('n', 'int64', []), b.initializer('d', Tensor.scalar('int64', 1))]);
    expect(inferGraph(b.build()).types.get(y)).toEqual({ dtype: 'int64', shape: ['?'] });
  });
});

describe('Size', () => {
  it('counts elements as an int64 scalar', () => {
    const [n] = runOp('Size', [Tensor.zeros('float32', [2, 3, 4])]);
    expect(n.dtype).toBe('int64');
    expect(n.shape).toEqual([]);
    expect(n.toNumbers()).toEqual([24]);
  });
});
