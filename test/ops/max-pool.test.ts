import { describe, expect, it } from 'vitest';
import type { Dim } from '../../src/core/shape.js';
import { Tensor } from '../../src/core/tensor.js';
import { type AttrInput, GraphBuilder, int, ints } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[]) => Tensor.from('float32', values, shape);
const grid = f32(Array.from({ length: 16 }, (_, i) => i + 1), [1, 1, 4, 4]);

function inferPool(op: string, x: readonly Dim[], attrs: Record<string, AttrInput>) {
  const b = new GraphBuilder('t');
  const y = b.op(op, [b.input('x', 'float32', x)], attrs);
  return inferGraph(b.build()).types.get(y)?.shape;
}

describe('MaxPool', () => {
  it('takes the largest of each window, with row- or column-major indices', () => {
    const [y, rowMajor] = runOp('MaxPool', [grid], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }, { outputs: 2 });
    expect(y.toNumbers()).toEqual([6, 8, 14, 16]);
    expect(rowMajor.dtype).toBe('int64');
    expect(rowMajor.toNumbers()).toEqual([5, 7, 13, 15]);
    const attrs = { kernel_shape: ints([2, 2]), strides: ints([2, 2]), storage_order: int(1) };
    expect(runOp('MaxPool', [grid], attrs, { outputs: 2 })[1].toNumbers()).toEqual([5, 13, 7, 15]);
  });

  it('counts indices across batch and channels', () => {
    const x = f32([1, 3, 2, 4, 0, 9], [1, 3, 2]);
    const [y, at] = runOp('MaxPool', [x], { kernel_shape: ints([2]) }, { outputs: 2 });
    expect(y.toNumbers()).toEqual([3, 4, 9]);
    expect(at.toNumbers()).toEqual([1, 3, 5]);
  });

  it('never lets padding win', () => {
    const [y] = runOp('MaxPool', [f32([-1, -2, -3], [1, 1, 3])], { kernel_shape: ints([2]), pads: ints([1, 1]) });
    expect(y.toNumbers()).toEqual([-1, -1, -2, -3]);
  });

  it('rounds up with ceil_mode but drops a window that would start in the end padding', () => {
    expect(runOp('MaxPool', [grid], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), ceil_mode: int(1) })[0].toNumbers()).toEqual([11, 12, 15, 16]);
    const [y] = runOp('MaxPool', [f32([1, 2, 3, 4, 5], [1, 1, 5])], { kernel_shape: ints([2]), strides: ints([3]), pads: ints([0, 1]), ceil_mode: int(1) });
    expect(y.shape).toEqual([1, 1, 2]);
    expect(y.toNumbers()).toEqual([2, 5]);
  });

  it('dilates windows and pools uint8 and 3-D inputs', () => {
    expect(runOp('MaxPool', [grid], { kernel_shape: ints([2, 2]), dilations: ints([2, 2]) })[0].toNumbers()).toEqual([11, 12, 15, 16]);
    const [u8] = runOp('MaxPool', [Tensor.from('uint8', [7, 200, 3, 255], [1, 1, 4])], { kernel_shape: ints([2]), strides: ints([2]) });
    expect(u8.dtype).toBe('uint8');
    expect(u8.toNumbers()).toEqual([200, 255]);
    const [cube] = runOp('MaxPool', [f32([1, 8, 2, 7, 3, 6, 4, 5], [1, 1, 2, 2, 2])], { kernel_shape: ints([2, 2, 2]) });
    expect(cube.shape).toEqual([1, 1, 1, 1, 1]);
    expect(cube.toNumbers()).toEqual([8]);
  });

  it('pads SAME_UPPER and SAME_LOWER on opposite sides', () => {
    const x = f32([5, 1, 2, 9], [1, 1, 4]);
    expect(runOp('MaxPool', [x], { kernel_shape: ints([2]), auto_pad: 'SAME_UPPER' })[0].toNumbers()).toEqual([5, 2, 9, 9]);
    expect(runOp('MaxPool', [x], { kernel_shape: ints([2]), auto_pad: 'SAME_LOWER' })[0].toNumbers()).toEqual([5, 5, 2, 9]);
  });

  it('infers shapes with a symbolic batch', () => {
    expect(inferPool('MaxPool', ['N', 96, 55, 55], { kernel_shape: ints([3, 3]), strides: ints([2, 2]) })).toEqual(['N', 96, 27, 27]);
    expect(inferPool('MaxPool', ['N', 96, 'H', 'W'], { kernel_shape: ints([3, 3]), strides: ints([2, 2]) })).toEqual(['N', 96, '?', '?']);
    // Caffe's 3x3/2 pooling of 13 with ceil rounding gives 6; of 14 it gives 7 where floor gives 6.
    expect(inferPool('MaxPool', [1, 1, 14, 13], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), ceil_mode: int(1) })).toEqual([1, 1, 7, 6]);
  });

  it('fails clearly on bad attributes and shapes', () => {
    expect(() => inferPool('MaxPool', [1, 1, 4, 4], {})).toThrow(/MaxPool node 'maxpool': attribute 'kernel_shape' is required/);
    expect(() => inferPool('MaxPool', [1, 1, 4], { kernel_shape: ints([2, 2]) })).toThrow(/input X \[1, 1, 4\] must have rank 4 for kernel_shape \[2, 2\]/);
    expect(() => inferPool('MaxPool', [1, 1, 4, 4], { kernel_shape: ints([2, 2]), storage_order: int(2) })).toThrow(/'storage_order' is 2/);
    expect(() => inferPool('MaxPool', [1, 1, 4, 4], { kernel_shape: ints([2, 2]), pads: ints([-1, 0, 0, 0]) })).toThrow(/'pads' = \[-1, 0, 0, 0\] must hold integers >= 0/);
    expect(() => inferPool('MaxPool', [1, 1, 4, 4], { kernel_shape: ints([5, 1]) })).toThrow(/does not fit spatial input \[4, 4\]/);
    expect(() => inferPool('MaxPool', [1, 1, 4, 4], { kernel_shape: ints([2, 2]), pads: ints([0, 2, 0, 0]) })).toThrow(/pads \[0, 2, 0, 0\] must be smaller than kernel_shape \[2, 2\]/);
  });
});
