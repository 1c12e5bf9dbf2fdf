import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, int, ints } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[]) => Tensor.from('float32', values, shape);
const axes = (values: number[]) => Tensor.from('int64', values, [values.length]);
// [[1, 2, 3], [4, 5, 6]]
const m = f32([1, 2, 3, 4, 5, 6], [2, 3]);

describe('Reduce*', () => {
  it('reduce listed axes, keeping them as 1 by default', () => {
    const [y] = runOp('ReduceSum', [m, axes([1])], {}, { opset: 13 });
    expect(y.shape).toEqual([2, 1]);
    expect(y.toNumbers()).toEqual([6, 15]);
    const [z] = runOp('ReduceMean', [m], { axes: ints([0]), keepdims: int(0) }, { opset: 13 });
    expect(z.shape).toEqual([3]);
    expect(z.toNumbers()).toEqual([2.5, 3.5, 4.5]);
  });

  it('compute each reduction', () => {
    const all = (op: string) => runOp(op, [m], { keepdims: int(0) }, { opset: 17 })[0].toNumbers()[0];
    expect(all('ReduceSum')).toBe(21);
    expect(all('ReduceMean')).toBe(3.5);
    expect(all('ReduceMax')).toBe(6);
    expect(all('ReduceMin')).toBe(1);
    expect(all('ReduceProd')).toBe(720);
    expect(all('ReduceSumSquare')).toBe(91);
    expect(all('ReduceL1')).toBe(21);
    expect(all('ReduceL2')).toBeCloseTo(Math.sqrt(91), 5);
    expect(all('ReduceLogSum')).toBeCloseTo(Math.log(21), 5);
    expect(all('ReduceLogSumExp')).toBeCloseTo(Math.log([1, 2, 3, 4, 5, 6].map(Math.exp).reduce((a, b) => a + b)), 5);
    expect(runOp('ReduceLogSumExp', [f32([1000, 1000], [2])])[0].toNumbers()[0]).toBeCloseTo(1000 + Math.LN2, 3);
  });

  it('take axes as an attribute before their opset (13 for ReduceSum, 18 for the rest) and as an input from it', () => {
    expect(runOp('ReduceMax', [m], { axes: ints([-1]) }, { opset: 17 })[0].toNumbers()).toEqual([3, 6]);
    expect(runOp('ReduceMax', [m, axes([-1])], {}, { opset: 18 })[0].toNumbers()).toEqual([3, 6]);
    expect(() => runOp('ReduceMax', [m], { axes: ints([1]) }, { opset: 18 })).toThrow(/from opset 18 axes is an input/);
    expect(() => runOp('ReduceSum', [m, axes([1])], {}, { opset: 11 })).toThrow(/before opset 13 axes is an attribute/);
  });

  it('reduce everything without axes, or nothing with noop_with_empty_axes', () => {
    expect(runOp('ReduceSum', [m, axes([])], {}, { opset: 13 })[0].shape).toEqual([1, 1]);
    const [same] = runOp('ReduceSum', [m, axes([])], { noop_with_empty_axes: int(1) }, { opset: 13 });
    expect(same.shape).toEqual([2, 3]);
    expect(same.toNumbers()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('give the identities on empty axes, and keep int64 exact', () => {
    const empty = f32([], [0, 2]);
    expect(runOp('ReduceSum', [empty, axes([0])], { keepdims: int(0) })[0].toNumbers()).toEqual([0, 0]);
    expect(runOp('ReduceProd', [empty], { axes: ints([0]) }, { opset: 13 })[0].toNumbers()).toEqual([1, 1]);
    expect(runOp('ReduceMax', [empty], { axes: ints([0]) }, { opset: 13 })[0].toNumbers()).toEqual([-Infinity, -Infinity]);
    const big = 2n ** 60n;
    const [s] = runOp('ReduceSum', [new Tensor('int64', BigInt64Array.from([big, 1n, 2n]), [3]), axes([0])]);
    expect(Array.from(s.data as BigInt64Array)).toEqual([big + 3n]);
  });

  it('infer symbolic shapes, and what it can when axes are not known', () => {
    const b = new GraphBuilder('t', 18);
    const x = b.input('x', 'float32', ['N', 64, 'H', 'W']);
    const pooled = b.op('ReduceMean', [x, b.initializer('hw', axes([2, 3]))]);
    const flat = b.op('ReduceMean', [x, b.initializer('hw2', axes([-1, -2]))], { keepdims: int(0) });
    const unknown = b.op('ReduceSum', [x, b.input('a', 'int64', [2])], { keepdims: int(0) });
    const kept = b.op('ReduceSum', [x, b.input('k', 'int64', ['?'])]);
    const { types } = inferGraph(b.build());
    expect(types.get(pooled)?.shape).toEqual(['N', 64, 1, 1]);
    expect(types.get(flat)?.shape).toEqual(['N', 64]);
    expect(types.get(unknown)?.shape).toEqual(['?', '?']);
    expect(types.get(kept)?.shape).toEqual(['?', '?', '?', '?']);
  });

  it('reject bad axes', () => {
    expect(() => runOp('ReduceSum', [m, axes([2])])).toThrow(/ReduceSum node 'reducesum': axis 2 is out of range for rank 2/);
    expect(() => runOp('ReduceMean', [m], { axes: ints([0, -2]) }, { opset: 13 })).toThrow(/repeat an axis/);
  });
});

describe('ArgMax, ArgMin', () => {
  const t = f32([3, 1, 3, 0, 2, 0], [2, 3]);

  it('find the first extreme along axis 0 by default, keeping it as 1', () => {
    const [y] = runOp('ArgMax', [t]);
    expect(y.dtype).toBe('int64');
    expect(y.shape).toEqual([1, 3]);
    expect(y.toNumbers()).toEqual([0, 1, 0]);
    expect(runOp('ArgMin', [t], { axis: int(-1), keepdims: int(0) })[0].toNumbers()).toEqual([1, 0]);
  });

  it('find the last on ties with select_last_index', () => {
    expect(runOp('ArgMax', [t], { axis: int(1), keepdims: int(0) })[0].toNumbers()).toEqual([0, 1]);
    expect(runOp('ArgMax', [t], { axis: int(1), keepdims: int(0), select_last_index: int(1) })[0].toNumbers()).toEqual([2, 1]);
    expect(runOp('ArgMin', [t], { axis: int(1), select_last_index: int(1) })[0].toNumbers()).toEqual([1, 2]);
  });

  it('carry symbolic dims and reject scalars', () => {
    const b = new GraphBuilder('t');
    const y = b.op('ArgMax', [b.input('x', 'float32', ['N', 1000])], { axis: int(1), keepdims: int(0) });
    expect(inferGraph(b.build()).types.get(y)).toEqual({ dtype: 'int64', shape: ['N'] });
    expect(() => runOp('ArgMin', [Tensor.scalar('float32', 1)])).toThrow(/scalar/);
  });
});
