import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, float } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { erf } from '../../src/ops/unary.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[] = [values.length]) => Tensor.from('float32', values, shape);
const i64 = (values: bigint[]) => new Tensor('int64', BigInt64Array.from(values), [values.length]);
const close = (actual: number[], expected: number[], digits = 6) => {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], digits));
};

describe('erf', () => {
  it('is accurate to double precision near 0, in the middle and in the tails', () => {
    const known: [number, number][] = [
      [1e-4, 1.1283791633342487e-4],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [5, 0.9999999999984626],
    ];
    for (const [x, e] of known) {
      expect(Math.abs(erf(x) - e) / e).toBeLessThan(1e-13);
      expect(erf(-x)).toBe(-erf(x));
    }
    expect(erf(0)).toBe(0);
    expect(erf(7)).toBe(1);
    expect(erf(NaN)).toBeNaN();
  });
});

describe('unary elementwise ops', () => {
  it('compute their functions on float32 and float16', () => {
    const x = f32([-2, -0.5, 0, 0.5, 2]);
    close(runOp('Neg', [x])[0].toNumbers(), [2, 0.5, -0, -0.5, -2]);
    close(runOp('Abs', [x])[0].toNumbers(), [2, 0.5, 0, 0.5, 2]);
    close(runOp('Exp', [x])[0].toNumbers(), [-2, -0.5, 0, 0.5, 2].map(Math.exp));
    close(runOp('Floor', [x])[0].toNumbers(), [-2, -1, 0, 0, 2]);
    close(runOp('Ceil', [x])[0].toNumbers(), [-2, -0, 0, 1, 2]);
    close(runOp('Reciprocal', [x])[0].toNumbers(), [-0.5, -2, Infinity, 2, 0.5]);
    close(runOp('Softplus', [f32([-100, 0, 100])])[0].toNumbers(), [0, Math.LN2, 100]);
    close(runOp('HardSigmoid', [x])[0].toNumbers(), [0.1, 0.4, 0.5, 0.6, 0.9]);
    close(runOp('HardSwish', [f32([-4, -1, 0, 1, 4])])[0].toNumbers(), [0, -1 / 3, 0, 2 / 3, 4]);
    const [h] = runOp('Erf', [Tensor.from('float16', [0.5, -1], [2])]);
    expect(h.dtype).toBe('float16');
    close(h.toNumbers(), [0.5205, -0.8427], 3);
  });

  it('read their attributes with ONNX defaults', () => {
    const x = f32([-1, 2]);
    close(runOp('Elu', [x])[0].toNumbers(), [Math.expm1(-1), 2]);
    close(runOp('Elu', [x], { alpha: float(2) })[0].toNumbers(), [2 * Math.expm1(-1), 2]);
    close(runOp('Selu', [x])[0].toNumbers(), [1.0507 * 1.67326 * Math.expm1(-1), 1.0507 * 2], 4);
    close(runOp('HardSigmoid', [x], { alpha: float(0.5), beta: float(0) })[0].toNumbers(), [0, 1]);
    close(runOp('LeakyRelu', [x])[0].toNumbers(), [-0.01, 2]);
  });

  it('round halves to even', () => {
    expect(runOp('Round', [f32([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6])])[0].toNumbers()).toEqual([0, 2, 2, -0, -2, 2, -3]);
  });

  it('keep int64 exact and wrap int32 as C does', () => {
    const big = 2n ** 60n + 1n;
    expect(Array.from(runOp('Neg', [i64([big, -3n])])[0].data as BigInt64Array)).toEqual([-big, 3n]);
    expect(Array.from(runOp('Abs', [i64([-big])])[0].data as BigInt64Array)).toEqual([big]);
    expect(runOp('Abs', [Tensor.from('int32', [-2147483648, -5])])[0].toNumbers()).toEqual([-2147483648, 5]);
    expect(runOp('Sign', [Tensor.from('int32', [-7, 0, 9])])[0].toNumbers()).toEqual([-1, 0, 1]);
  });

  it('negate bools with Not', () => {
    const [y] = runOp('Not', [Tensor.from('bool', [1, 0, 1])]);
    expect(y.dtype).toBe('bool');
    expect(y.toNumbers()).toEqual([0, 1, 0]);
    expect(() => runOp('Not', [f32([1])])).toThrow(/Not node 'not': input X has dtype float32; this op takes bool/);
  });

  it('reject dtypes outside the op', () => {
    expect(() => runOp('Exp', [Tensor.from('int32', [1])])).toThrow(/Exp node 'exp': input X has dtype int32/);
    expect(() => runOp('Neg', [Tensor.from('uint8', [1])])).toThrow(/dtype uint8/);
  });

  it('keep symbolic shapes', () => {
    const b = new GraphBuilder('t');
    const y = b.op('HardSwish', [b.op('Erf', [b.input('x', 'float16', ['N', 3, 'H', 'W'])])]);
    expect(inferGraph(b.build()).types.get(y)).toEqual({ dtype: 'float16', shape: ['N', 3, 'H', 'W'] });
  });
});

describe('PRelu', () => {
  it('broadcasts a per-channel slope [C, 1, 1] over [N, C, H, W]', () => {
    const x = f32([-1, 2, -3, 4, -1, -2, 3, -4], [1, 2, 2, 2]);
    const slope = f32([0.5, 0.1], [2, 1, 1]);
    expect(runOp('PRelu', [x, slope])[0].toNumbers().map((v) => Math.round(v * 100) / 100)).toEqual([-0.5, 2, -1.5, 4, -0.1, -0.2, 3, -0.4]);
  });

  it('broadcasts in one direction only, and keeps a symbolic batch', () => {
    expect(() => runOp('PRelu', [f32([1, 2], [2]), f32([1, 2, 3, 4], [2, 2])])).toThrow(/PRelu node 'prelu': slope \[2, 2\] does not broadcast to \[2\]/);
    expect(() => runOp('PRelu', [f32([1, 2, 3], [3]), f32([1, 2], [2])])).toThrow(/does not broadcast/);
    const b = new GraphBuilder('t');
    const y = b.op('PRelu', [b.input('x', 'float32', ['N', 8, 'H', 'W']), b.initializer('s', Tensor.zeros('float32', [8, 1, 1]))]);
    expect(inferGraph(b.build()).types.get(y)).toEqual({ dtype: 'float32', shape: ['N', 8, 'H', 'W'] });
  });

  it('takes integers exactly', () => {
    const [y] = runOp('PRelu', [i64([-(2n ** 55n), 5n]), i64([2n])]);
    expect(Array.from(y.data as BigInt64Array)).toEqual([-(2n ** 56n), 5n]);
  });
});
