import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, floats, int, ints } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[] = [values.length]) => Tensor.from('float32', values, shape);
const sizes = (values: number[]) => Tensor.from('int64', values, [values.length]);
const row = f32([0, 3], [1, 1, 1, 2]);
const twice = f32([1, 1, 1, 2]);

describe('Resize', () => {
  it('interpolates linearly under each coordinate transformation', () => {
    const linear = (mode: string) => runOp('Resize', [row, undefined, twice], { mode: 'linear', coordinate_transformation_mode: mode })[0].toNumbers();
    expect(linear('half_pixel')).toEqual([0, 0.75, 2.25, 3]);
    expect(linear('pytorch_half_pixel')).toEqual([0, 0.75, 2.25, 3]);
    expect(linear('align_corners')).toEqual([0, 1, 2, 3]);
    expect(linear('asymmetric')).toEqual([0, 1.5, 3, 3]);
  });

  it('rounds nearest neighbours by nearest_mode', () => {
    const x = f32([10, 20]);
    const nearest = (mode: string) =>
      runOp('Resize', [x, undefined, f32([2])], { coordinate_transformation_mode: 'asymmetric', nearest_mode: mode })[0].toNumbers();
    expect(nearest('round_prefer_floor')).toEqual([10, 10, 20, 20]);
    expect(nearest('round_prefer_ceil')).toEqual([10, 20, 20, 20]);
    expect(nearest('floor')).toEqual([10, 10, 20, 20]);
    expect(nearest('ceil')).toEqual([10, 20, 20, 20]);
  });

  it('takes sizes beside empty roi and scales (opset 11), and axes with an aspect-ratio policy (opset 18)', () => {
    const x = f32([1, 2, 3, 4], [1, 1, 2, 2]);
    const [y] = runOp('Resize', [x, f32([]), f32([]), sizes([1, 1, 4, 4])], {}, { opset: 11 });
    expect(y.shape).toEqual([1, 1, 4, 4]);
    expect(y.toNumbers().slice(0, 4)).toEqual([1, 1, 2, 2]);
    const [z] = runOp('Resize', [f32(new Array(8).fill(1), [1, 1, 2, 4]), undefined, undefined, sizes([4, 4])], { axes: ints([2, 3]), keep_aspect_ratio_policy: 'not_larger' }, { opset: 18 });
    expect(z.shape).toEqual([1, 1, 2, 4]);
  });

  it('keeps a symbolic batch and scales known dims', () => {
    const b = new GraphBuilder('t', 13);
    const x = b.input('x', 'float32', ['N', 16, 'H', 7]);
    const y = b.op('Resize', [x, '', b.initializer('scales', f32([1, 1, 2, 2]))], { mode: 'nearest' });
    const z = b.op('Resize', [x, '', '', b.input('s', 'int64', [4])]);
    const { types } = inferGraph(b.build());
    expect(types.get(y)?.shape).toEqual(['N', 16, '?', 14]);
    expect(types.get(z)?.shape).toEqual(['?', '?', '?', '?']);
  });

  it('rejects what it does not do', () => {
    expect(() => runOp('Resize', [row, undefined, twice], { antialias: int(1) }, { opset: 18 })).toThrow(/antialias/);
    expect(() => runOp('Resize', [row, undefined, twice, sizes([1, 1, 1, 4])])).toThrow(/exactly one of scales and sizes/);
    expect(() => runOp('Resize', [row, undefined, f32([2])])).toThrow(/one entry per resized axis/);
  });
});

describe('Upsample', () => {
  it('repeats nearest neighbours, with scales as an attribute (opset 7) or an input (opset 9)', () => {
    const x = f32([1, 2], [1, 2]);
    const [a] = runOp('Upsample', [x], { scales: floats([2, 2]) }, { opset: 7 });
    expect(a.shape).toEqual([2, 4]);
    expect(a.toNumbers()).toEqual([1, 1, 2, 2, 1, 1, 2, 2]);
    const [b] = runOp('Upsample', [x, f32([1, 3])], {}, { opset: 9 });
    expect(b.toNumbers()).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it('interpolates linearly with asymmetric coordinates', () => {
    expect(runOp('Upsample', [row, twice], { mode: 'linear' }, { opset: 9 })[0].toNumbers()).toEqual([0, 1.5, 3, 3]);
  });
});
