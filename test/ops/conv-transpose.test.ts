import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, int, ints } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[]) => Tensor.from('float32', values, shape);
const x = f32([1, 2, 3], [1, 1, 3]);
const w = f32([1, 1], [1, 1, 2]);

describe('ConvTranspose', () => {
  it('scatters each input through the kernel, with strides, pads and output_padding', () => {
    expect(runOp('ConvTranspose', [x, w])[0].toNumbers()).toEqual([1, 3, 5, 3]);
    expect(runOp('ConvTranspose', [x, w], { strides: ints([2]) })[0].toNumbers()).toEqual([1, 1, 2, 2, 3, 3]);
    expect(runOp('ConvTranspose', [x, w], { strides: ints([2]), pads: ints([1, 1]) })[0].toNumbers()).toEqual([1, 2, 2, 3]);
    expect(runOp('ConvTranspose', [x, w], { strides: ints([2]), output_padding: ints([1]) })[0].toNumbers()).toEqual([1, 1, 2, 2, 3, 3, 0]);
    expect(runOp('ConvTranspose', [x, w], { dilations: ints([2]) })[0].toNumbers()).toEqual([1, 2, 4, 2, 3]);
  });

  it('sizes the output from output_shape or SAME padding', () => {
    expect(runOp('ConvTranspose', [x, w], { strides: ints([2]), output_shape: ints([8]) })[0].toNumbers()).toEqual([1, 1, 2, 2, 3, 3, 0, 0]);
    const [same] = runOp('ConvTranspose', [x, f32([1, 1, 1], [1, 1, 3])], { strides: ints([2]), auto_pad: 'SAME_UPPER' });
    expect(same.shape).toEqual([1, 1, 6]);
    expect(same.toNumbers()).toEqual([1, 1, 3, 2, 5, 3]);
  });

  it('runs groups and adds the bias per output channel', () => {
    const [y] = runOp('ConvTranspose', [f32([1, 2, 3, 4], [1, 2, 2]), f32([2, 3], [2, 1, 1]), f32([10, 20], [2])], { group: int(2) });
    expect(y.toNumbers()).toEqual([12, 14, 29, 32]);
  });

  it('is the adjoint of Conv with the same geometry', () => {
    const random = (shape: number[]) => f32(Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 1.7 + shape.length)), shape);
    const attrs = { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) };
    const weights = random([4, 3, 3, 3]); // Conv: 3 -> 4 channels; ConvTranspose: 4 -> 3
    const a = random([1, 3, 7, 7]);
    const b = random([1, 4, 4, 4]);
    const [convA] = runOp('Conv', [a, weights], attrs);
    const [transB] = runOp('ConvTranspose', [b, weights], attrs);
    expect(transB.shape).toEqual(a.shape);
    const dot = (p: Tensor, q: Tensor) => p.toNumbers().reduce((s, v, i) => s + v * q.toNumbers()[i], 0);
    expect(dot(convA, b)).toBeCloseTo(dot(a, transB), 4);
  });

  it('infers output channels and keeps a symbolic batch', () => {
    const bld = new GraphBuilder('t');
    const input = bld.input('x', 'float32', ['N', 8, 5, 'W']);
    const y = bld.op('ConvTranspose', [input, bld.initializer('w', Tensor.zeros('float32', [8, 2, 4, 4]))], { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), group: int(2) });
    const same = bld.op('ConvTranspose', [input, bld.initializer('w2', Tensor.zeros('float32', [8, 1, 2, 2]))], { strides: ints([2, 2]), auto_pad: 'SAME_UPPER' });
    const { types } = inferGraph(bld.build());
    expect(types.get(y)?.shape).toEqual(['N', 4, 10, '?']);
    expect(types.get(same)?.shape).toEqual(['N', 1, 10, '2*W']);
    const z = runOp('ConvTranspose', [Tensor.zeros('float32', [2, 8, 5, 5]), Tensor.zeros('float32', [8, 2, 4, 4])], { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), group: int(2) });
    expect(z[0].shape).toEqual([2, 4, 10, 10]);
    expect(() => runOp('ConvTranspose', [Tensor.zeros('float32', [1, 3, 5]), Tensor.zeros('float32', [2, 1, 3])])).toThrow(/X has 3 channels but W is laid out for 2/);
  });
});
