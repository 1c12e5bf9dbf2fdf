import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, ints } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

describe('Transpose', () => {
  const x = Tensor.from('float32', [1, 2, 3, 4, 5, 6], [2, 3]);

  it('reverses the axes by default', () => {
    const [y] = runOp('Transpose', [x]);
    expect(y.shape).toEqual([3, 2]);
    expect(y.toNumbers()).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('follows perm on rank 3 and keeps int64 exact', () => {
    const big = 2n ** 60n;
    const t = new Tensor('int64', BigInt64Array.from([0n, 1n, 2n, 3n, 4n, 5n].map((v) => big + v)), [1, 2, 3]);
    const [y] = runOp('Transpose', [t], { perm: ints([2, 0, 1]) });
    expect(y.shape).toEqual([3, 1, 2]);
    expect(Array.from(y.data as BigInt64Array).map((v) => v - big)).toEqual([0n, 3n, 1n, 4n, 2n, 5n]);
  });

  it('rejects a perm that is not a permutation', () => {
    expect(() => runOp('Transpose', [x], { perm: ints([0, 0]) })).toThrow(/perm \[0, 0\] is not a permutation/);
  });

  it('moves symbolic dims', () => {
    const g = new GraphBuilder();
    const a = g.input('x', 'float32', ['N', 3, 4, 5]);
    const y = g.op('Transpose', [a], { perm: ints([0, 2, 3, 1]) });
    expect(inferGraph(g.build()).types.get(y)?.shape).toEqual(['N', 4, 5, 3]);
  });
});
