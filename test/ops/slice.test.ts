import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, ints } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const i64 = (values: (number | bigint)[]) => new Tensor('int64', BigInt64Array.from(values.map(BigInt)), [values.length]);
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

describe('Slice', () => {
  // [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
  const x = Tensor.from('float32', Array.from({ length: 12 }, (_, i) => i), [3, 4]);

  it('slices with starts, ends and default axes', () => {
    const [y] = runOp('Slice', [x, i64([1, 0]), i64([2, 3])]);
    expect(y.shape).toEqual([1, 3]);
    expect(y.toNumbers()).toEqual([4, 5, 6]);
  });

  it('takes axes (negative too) and steps', () => {
    const [y] = runOp('Slice', [x, i64([0]), i64([4]), i64([-1]), i64([2])]);
    expect(y.shape).toEqual([3, 2]);
    expect(y.toNumbers()).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('walks backwards with negative steps and clamps INT64_MAX/MIN', () => {
    const [y] = runOp('Slice', [x, i64([INT64_MAX]), i64([INT64_MIN]), i64([1]), i64([-1])]);
    expect(y.toNumbers()).toEqual([3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8]);
    const [z] = runOp('Slice', [x, i64([-1, 1]), i64([INT64_MIN, INT64_MAX]), i64([0, 1]), i64([-2, 2])]);
    expect(z.shape).toEqual([2, 2]);
    expect(z.toNumbers()).toEqual([9, 11, 1, 3]);
  });

  it('clamps out-of-bounds starts and ends, possibly to an empty slice', () => {
    expect(runOp('Slice', [x, i64([1]), i64([1000]), i64([1])])[0].shape).toEqual([3, 3]);
    expect(runOp('Slice', [x, i64([10]), i64([1000]), i64([1])])[0].shape).toEqual([3, 0]);
  });

  it('takes attributes before opset 10', () => {
    const [y] = runOp('Slice', [x], { starts: ints([1]), ends: ints([3]), axes: ints([0]) }, { opset: 9 });
    expect(y.toNumbers()).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('rejects a zero step and mismatched lengths', () => {
    expect(() => runOp('Slice', [x, i64([0]), i64([1]), i64([0]), i64([0])])).toThrow(/step is 0/);
    expect(() => runOp('Slice', [x, i64([0, 0]), i64([1])])).toThrow(/differ in length/);
  });

  it('keeps a symbolic dim sliced whole, and unknown dims where the range is unknown', () => {
    const g = new GraphBuilder();
    const a = g.input('x', 'float32', ['N', 3, 4, 4]);
    const c = (name: string, v: (number | bigint)[]) => g.initializer(name, i64(v));
    const y = g.op('Slice', [a, c('s', [0, 1]), c('e', [INT64_MAX, 3]), c('ax', [0, 1])]);
    const z = g.op('Slice', [a, c('s2', [1]), c('e2', [INT64_MAX]), c('ax2', [0])]);
    const w = g.op('Slice', [a, g.op('Shape', [a]), c('e3', [4]), c('ax3', [2])]);
    const { types } = inferGraph(g.build());
    expect(types.get(y)?.shape).toEqual(['N', 2, 4, 4]);
    expect(types.get(z)?.shape).toEqual(['?', 3, 4, 4]);
    expect(types.get(w)?.shape).toEqual(['N', 3, '?', 4]);
  });
});
