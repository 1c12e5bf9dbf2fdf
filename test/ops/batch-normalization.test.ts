import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, float, int } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[] = [values.length]) => Tensor.from('float32', values, shape);
const params = [f32([1, 2]), f32([0, 1]), f32([1, 3]), f32([4, 1])]; // scale, B, mean, var

describe('BatchNormalization', () => {
  it('normalises each channel with the running statistics', () => {
    const [y] = runOp('BatchNormalization', [f32([1, 2, 3, 4], [1, 2, 1, 2]), ...params], { epsilon: float(0) });
    expect(y.toNumbers()).toEqual([0, 0.5, 1, 3]);
    const [flat] = runOp('BatchNormalization', [f32([1, 3, 5, 4], [2, 2]), ...params], { epsilon: float(0) });
    expect(flat.toNumbers()).toEqual([0, 1, 2, 3]);
  });

  it('adds epsilon (default 1e-5) to the variance', () => {
    const [y] = runOp('BatchNormalization', [f32([3, 0], [1, 2]), ...params]);
    expect(y.toNumbers()[0]).toBeCloseTo(2 / Math.sqrt(4 + 1e-5), 7);
  });

  it('takes per-activation parameters with spatial = 0 before opset 9', () => {
    const x = f32([1, 2, 3, 4], [1, 2, 2]);
    const p = (v: number[]) => f32(v, [2, 2]);
    const [y] = runOp('BatchNormalization', [x, p([1, 1, 1, 1]), p([0, 0, 0, 10]), p([1, 2, 3, 4]), p([1, 1, 1, 1])], { spatial: int(0), epsilon: float(0) }, { opset: 7 });
    expect(y.toNumbers()).toEqual([0, 0, 0, 10]);
  });

  it('runs float16 data with float32 parameters (opset 15)', () => {
    const [y] = runOp('BatchNormalization', [Tensor.from('float16', [1, 5], [1, 2]), ...params], { epsilon: float(0) }, { opset: 15 });
    expect(y.dtype).toBe('float16');
    expect(y.toNumbers()).toEqual([0, 5]);
  });

  it('infers symbolic shapes and checks parameter shapes', () => {
    const b = new GraphBuilder('t');
    const names = ['x', 's', 'b', 'm', 'v'].map((n, i) => b.input(n, 'float32', i === 0 ? ['N', 64, 'H', 'W'] : [64]));
    const y = b.op('BatchNormalization', names);
    expect(inferGraph(b.build()).types.get(y)?.shape).toEqual(['N', 64, 'H', 'W']);
    expect(() => runOp('BatchNormalization', [f32([1, 2, 3], [1, 3]), ...params])).toThrow(/BatchNormalization node 'batchnormalization': input scale \[2\] must have shape \[3\] for X \[1, 3\]/);
  });

  it('refuses training mode clearly', () => {
    const x = f32([1, 2], [1, 2]);
    expect(() => runOp('BatchNormalization', [x, ...params], { training_mode: int(1) }, { opset: 15 })).toThrow(/training_mode = 1 is not supported/);
    expect(() => runOp('BatchNormalization', [x, ...params], {}, { opset: 9, outputs: 3 })).toThrow(/statistics outputs exist only in training mode/);
  });
});
