import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const dims = (values: number[]) => Tensor.from('int64', values, [values.length]);

describe('Expand', () => {
  it('broadcasts both ways: a 1 in the shape keeps the input dim', () => {
    const [y] = runOp('Expand', [Tensor.from('float32', [1, 2, 3], [3, 1]), dims([2, 1, 2])]);
    expect(y.shape).toEqual([2, 3, 2]);
    expect(y.toNumbers()).toEqual([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
  });

  it('keeps int64 exact and rejects shapes that do not broadcast', () => {
    const big = 2n ** 60n + 1n;
    const [y] = runOp('Expand', [new Tensor('int64', BigInt64Array.from([big]), [1]), dims([3])]);
    expect(Array.from(y.data as BigInt64Array)).toEqual([big, big, big]);
    expect(() => runOp('Expand', [Tensor.from('float32', [1, 2, 3], [3]), dims([2])])).toThrow(/Expand node 'expand'.*cannot be broadcast/);
  });

  it('infers symbolic dims, and the input dims that survive an unknown shape', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float32', ['N', 1, 8]);
    const known = b.op('Expand', [x, b.initializer('s', dims([1, 4, 1]))]);
    const unknown = b.op('Expand', [x, b.input('t', 'int64', [4])]);
    const { types } = inferGraph(b.build());
    expect(types.get(known)?.shape).toEqual(['N', 4, 8]);
    expect(types.get(unknown)?.shape).toEqual(['?', 'N', '?', 8]);
  });
});
