import { describe, expect, it } from 'vitest';
import type { Dim } from '../../src/core/shape.js';
import { Tensor } from '../../src/core/tensor.js';
import { type AttrInput, GraphBuilder, float, int } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { gemm } from '../../src/ops/gemm.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[]) => Tensor.from('float32', values, shape);
const a = f32([1, 2, 3, 4, 5, 6], [2, 3]);
const b = f32([1, 0, 0, 1, 1, 1], [3, 2]);
// a * b = [[4, 5], [10, 11]]

function inferGemm(shapes: (readonly Dim[])[], attrs: Record<string, AttrInput> = {}, opset = 17) {
  const g = new GraphBuilder('t', opset);
  const y = g.op('Gemm', shapes.map((s, i) => g.input(`i${i}`, 'float32', s)), attrs);
  return inferGraph(g.build()).types.get(y)?.shape;
}

describe('Gemm', () => {
  it('multiplies and adds C broadcast along rows, columns or as a scalar', () => {
    expect(runOp('Gemm', [a, b, f32([1, 2], [2])])[0].toNumbers()).toEqual([5, 7, 11, 13]);
    expect(runOp('Gemm', [a, b, f32([1, 2], [2, 1])])[0].toNumbers()).toEqual([5, 6, 12, 13]);
    expect(runOp('Gemm', [a, b, f32([1], [])])[0].toNumbers()).toEqual([5, 6, 11, 12]);
    expect(runOp('Gemm', [a, b, f32([1, 2, 3, 4], [2, 2])])[0].toNumbers()).toEqual([5, 7, 13, 15]);
  });

  it('scales by alpha and beta and transposes either side', () => {
    const attrs = { alpha: float(2), beta: float(0.5) };
    expect(runOp('Gemm', [a, b, f32([2, 4], [2])], attrs)[0].toNumbers()).toEqual([9, 12, 21, 24]);
    const aT = f32([1, 4, 2, 5, 3, 6], [3, 2]);
    const bT = f32([1, 0, 1, 0, 1, 1], [2, 3]);
    const [y] = runOp('Gemm', [aT, bT], { transA: int(1), transB: int(1) });
    expect(y.shape).toEqual([2, 2]);
    expect(y.toNumbers()).toEqual([4, 5, 10, 11]);
  });

  it('leaves C out from opset 11 only', () => {
    expect(runOp('Gemm', [a, b], {}, { opset: 11 })[0].toNumbers()).toEqual([4, 5, 10, 11]);
    expect(() => runOp('Gemm', [a, b], {}, { opset: 9 })).toThrow(/Gemm node 'gemm': input C is required before opset 11/);
  });

  it('infers [M, N] with a symbolic batch', () => {
    expect(inferGemm([['N', 9216], [4096, 9216], [4096]], { transB: int(1) })).toEqual(['N', 4096]);
    expect(inferGemm([[9216, 'N'], [9216, 10]], { transA: int(1) })).toEqual(['N', 10]);
  });

  it('fails with the shapes named', () => {
    expect(() => inferGemm([[2, 3], [4, 2]])).toThrow(/Gemm node 'gemm': inner dimensions differ \(3 and 4\) in A \[2, 3\], B \[4, 2\]/);
    expect(() => inferGemm([[2, 3], [3, 5], [3]])).toThrow(/C \[3\] does not broadcast to the result \[2, 5\]/);
    expect(() => inferGemm([[2, 3, 1], [3, 5]])).toThrow(/input A must have rank 2, got shape \[2, 3, 1\]/);
  });

  it('counts its multiply-adds', () => {
    const node = { name: 'g', op: 'Gemm', domain: '', inputs: [], outputs: [], attrs: { transA: int(1) } };
    expect(gemm.macs!(node, [[7, 2], [7, 5]], [[2, 5]])).toBe(70);
  });
});
