import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, int, ints } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[]) => Tensor.from('float32', values, shape);
const close = (actual: number[], expected: number[]) => actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));

describe('AveragePool', () => {
  it('averages 2x2 windows', () => {
    const x = f32(Array.from({ length: 16 }, (_, i) => i + 1), [1, 1, 4, 4]);
    expect(runOp('AveragePool', [x], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) })[0].toNumbers()).toEqual([3.5, 5.5, 11.5, 13.5]);
  });

  it('divides by the valid taps, or with count_include_pad by the padded-in taps', () => {
    const x = f32([1, 2, 3], [1, 1, 3]);
    const attrs = { kernel_shape: ints([3]), pads: ints([1, 1]) };
    close(runOp('AveragePool', [x], attrs)[0].toNumbers(), [1.5, 2, 2.5]);
    close(runOp('AveragePool', [x], { ...attrs, count_include_pad: int(1) })[0].toNumbers(), [1, 2, 5 / 3]);
  });

  it('never counts the ceil_mode overhang beyond the end padding', () => {
    const x = f32([1, 2, 3, 4], [1, 1, 4]);
    const ceil = { kernel_shape: ints([3]), strides: ints([2]), ceil_mode: int(1) };
    expect(runOp('AveragePool', [x], ceil)[0].toNumbers()).toEqual([2, 3.5]);
    expect(runOp('AveragePool', [x], { ...ceil, count_include_pad: int(1) })[0].toNumbers()).toEqual([2, 3.5]);
    const padded = { ...ceil, pads: ints([1, 1]) };
    expect(runOp('AveragePool', [x], padded)[0].toNumbers()).toEqual([1.5, 3, 4]);
    expect(runOp('AveragePool', [x], { ...padded, count_include_pad: int(1) })[0].toNumbers()).toEqual([1, 3, 2]);
  });

  it('pools float16 in float64 and rounds once', () => {
    const [y] = runOp('AveragePool', [Tensor.from('float16', [1, 2, 4, 8], [1, 1, 2, 2])], { kernel_shape: ints([2, 2]) });
    expect(y.dtype).toBe('float16');
    expect(y.toNumbers()).toEqual([3.75]);
  });

  it('infers shapes with a symbolic batch and keeps SAME-padded symbolic sizes', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float32', ['N', 3, 'H', 32]);
    const y = b.op('AveragePool', [x], { kernel_shape: ints([3, 3]), auto_pad: 'SAME_UPPER' });
    const z = b.op('AveragePool', [x], { kernel_shape: ints([5, 5]), strides: ints([3, 3]) });
    const types = inferGraph(b.build()).types;
    expect(types.get(y)?.shape).toEqual(['N', 3, 'H', 32]);
    expect(types.get(z)?.shape).toEqual(['N', 3, '?', 10]);
  });

  it('takes float inputs only', () => {
    expect(() => runOp('AveragePool', [Tensor.from('int32', [1, 2], [1, 1, 2])], { kernel_shape: ints([2]) })).toThrow(/AveragePool node 'averagepool': input X has dtype int32/);
  });
});
