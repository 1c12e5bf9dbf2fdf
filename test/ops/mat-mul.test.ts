import { describe, expect, it } from 'vitest';
import type { DType } from '../../src/core/dtype.js';
import type { Dim } from '../../src/core/shape.js';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[]) => Tensor.from('float32', values, shape);
const seq = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

function inferMatMul(a: readonly Dim[], b: readonly Dim[], dtypes: [DType, DType] = ['float32', 'float32']) {
  const g = new GraphBuilder('t');
  const y = g.op('MatMul', [g.input('a', dtypes[0], a), g.input('b', dtypes[1], b)]);
  return inferGraph(g.build()).types.get(y)?.shape;
}

describe('MatMul', () => {
  it('multiplies matrices', () => {
    const [y] = runOp('MatMul', [f32(seq(6), [2, 3]), f32(seq(6), [3, 2])]);
    expect(y.shape).toEqual([2, 2]);
    expect(y.toNumbers()).toEqual([22, 28, 49, 64]);
  });

  it('promotes 1-D operands and drops the added axis', () => {
    const m = f32(seq(6), [2, 3]);
    const v3 = f32([1, 0, -1], [3]);
    expect(runOp('MatMul', [m, v3])[0].shape).toEqual([2]);
    expect(runOp('MatMul', [m, v3])[0].toNumbers()).toEqual([-2, -2]);
    const [row] = runOp('MatMul', [f32([1, -1], [2]), m]);
    expect(row.shape).toEqual([3]);
    expect(row.toNumbers()).toEqual([-3, -3, -3]);
    const [dot] = runOp('MatMul', [v3, v3]);
    expect(dot.shape).toEqual([]);
    expect(dot.toNumbers()).toEqual([2]);
  });

  it('broadcasts batch axes', () => {
    const a = f32(seq(12), [2, 1, 2, 3]);
    const b = f32([1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0], [3, 3, 2]);
    const [y] = runOp('MatMul', [a, b]);
    expect(y.shape).toEqual([2, 3, 2, 2]);
    // batch (0, 1): [[1, 2, 3], [4, 5, 6]] x [[0, 0], [0, 1], [0, 1]] = [[0, 5], [0, 11]]
    expect(y.toNumbers().slice(4, 8)).toEqual([0, 5, 0, 11]);
    // batch (1, 2): [[7, 8, 9], [10, 11, 12]] x [[1, 1], [1, 0], [0, 0]] = [[15, 7], [21, 10]]
    expect(y.toNumbers().slice(20, 24)).toEqual([15, 7, 21, 10]);
  });

  it('multiplies int32 and int64 exactly', () => {
    const big = Tensor.from('int64', [2 ** 40, 3], [1, 2]);
    const [y] = runOp('MatMul', [big, Tensor.from('int64', [4, 5], [2, 1])]);
    expect(y.dtype).toBe('int64');
    expect(y.data[0]).toBe(2n ** 42n + 15n);
    expect(runOp('MatMul', [Tensor.from('int32', [1, 2], [1, 2]), Tensor.from('int32', [3, 4], [2, 1])])[0].toNumbers()).toEqual([11]);
  });

  it('infers shapes with symbolic batch dims', () => {
    expect(inferMatMul(['N', 5, 3], [3, 4])).toEqual(['N', 5, 4]);
    expect(inferMatMul(['N', 'T', 64], [64])).toEqual(['N', 'T']);
    expect(inferMatMul([7, 1, 5, 3], [2, 3, 'K'])).toEqual([7, 2, 5, 'K']);
  });

  it('fails with the shapes named', () => {
    expect(() => inferMatMul([2, 3], [4, 2])).toThrow(/MatMul node 'matmul': inner dimensions differ \(3 and 4\) in A \[2, 3\] and B \[4, 2\]/);
    expect(() => inferMatMul([2, 2, 3], [3, 3, 2])).toThrow(/cannot be broadcast/);
    expect(() => inferMatMul([], [3])).toThrow(/scalars cannot be multiplied/);
    expect(() => inferMatMul([2, 3], [3, 2], ['float32', 'float16'])).toThrow(/input B is float16\[3, 2\] but A is float32\[2, 3\]/);
  });
});
