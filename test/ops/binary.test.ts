import { describe, expect, it } from 'vitest';
import { JouleError } from '../../src/core/errors.js';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[] = [values.length]) => Tensor.from('float32', values, shape);
const i64 = (values: bigint[], shape: number[] = [values.length]) => new Tensor('int64', BigInt64Array.from(values), shape);

describe('Add, Sub, Mul, Div', () => {
  it('compute elementwise on equal shapes', () => {
    const a = f32([1, 2, 3, 4], [2, 2]);
    const b = f32([10, 20, 30, 40], [2, 2]);
    expect(runOp('Add', [a, b])[0].toNumbers()).toEqual([11, 22, 33, 44]);
    expect(runOp('Sub', [a, b])[0].toNumbers()).toEqual([-9, -18, -27, -36]);
    expect(runOp('Mul', [a, b])[0].toNumbers()).toEqual([10, 40, 90, 160]);
    expect(runOp('Div', [b, a])[0].toNumbers()).toEqual([10, 10, 10, 10]);
  });

  it('broadcast a row, a column and a scalar', () => {
    const m = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    const [row] = runOp('Add', [m, f32([10, 20, 30], [3])]);
    expect(row.shape).toEqual([2, 3]);
    expect(row.toNumbers()).toEqual([11, 22, 33, 14, 25, 36]);
    const [col] = runOp('Add', [f32([100, 200], [2, 1]), m]);
    expect(col.toNumbers()).toEqual([101, 102, 103, 204, 205, 206]);
    const [scalar] = runOp('Mul', [m, Tensor.scalar('float32', 2)]);
    expect(scalar.toNumbers()).toEqual([2, 4, 6, 8, 10, 12]);
  });

  it('broadcast both ways: [3,1] with [1,2] gives [3,2]; rank 0 with rank 0 stays rank 0', () => {
    const [y] = runOp('Sub', [f32([1, 2, 3], [3, 1]), f32([10, 20], [1, 2])]);
    expect(y.shape).toEqual([3, 2]);
    expect(y.toNumbers()).toEqual([-9, -19, -8, -18, -7, -17]);
    const [s] = runOp('Add', [Tensor.scalar('float32', 1), Tensor.scalar('float32', 2)]);
    expect(s.shape).toEqual([]);
    expect(s.toNumbers()).toEqual([3]);
  });

  it('broadcast an empty dim', () => {
    const [y] = runOp('Add', [f32([], [0, 3]), f32([1, 2, 3], [1, 3])]);
    expect(y.shape).toEqual([0, 3]);
  });

  it('reject shapes that do not broadcast, naming the node and shapes', () => {
    expect(() => runOp('Add', [f32([1, 2, 3]), f32([1, 2])])).toThrow(/Add node 'add'.*\[3\] and \[2\]/);
  });

  it('reject mixed dtypes', () => {
    expect(() => runOp('Add', [f32([1]), Tensor.from('int32', [1])])).toThrow(JouleError);
  });

  it('keep int64 exact beyond 2^53 and wrap like C', () => {
    const big = 2n ** 60n + 1n;
    expect(Array.from(runOp('Add', [i64([big]), i64([2n])])[0].data as BigInt64Array)).toEqual([big + 2n]);
    expect(Array.from(runOp('Mul', [i64([big]), i64([3n])])[0].data as BigInt64Array)).toEqual([BigInt.asIntN(64, big * 3n)]);
    expect(Array.from(runOp('Sub', [i64([-(2n ** 63n)]), i64([1n])])[0].data as BigInt64Array)).toEqual([2n ** 63n - 1n]);
  });

  it('truncate integer division toward zero', () => {
    const [q] = runOp('Div', [i64([7n, -7n, 7n, -7n]), i64([2n, 2n, -2n, -2n])]);
    expect(Array.from(q.data as BigInt64Array)).toEqual([3n, -3n, -3n, 3n]);
    const [q32] = runOp('Div', [Tensor.from('int32', [7, -7, 9]), Tensor.from('int32', [2, 2, 3])]);
    expect(q32.toNumbers()).toEqual([3, -3, 3]);
  });

  it('multiply int32 exactly with C wrap-around', () => {
    const [y] = runOp('Mul', [Tensor.from('int32', [2147483647, 65536]), Tensor.from('int32', [3, 65536])]);
    expect(y.toNumbers()).toEqual([Math.imul(2147483647, 3), 0]);
  });

  it('wrap uint8 and round float16', () => {
    expect(runOp('Sub', [Tensor.from('uint8', [1, 200]), Tensor.from('uint8', [2, 100])])[0].toNumbers()).toEqual([255, 100]);
    expect(runOp('Add', [Tensor.from('uint8', [200]), Tensor.from('uint8', [100])])[0].toNumbers()).toEqual([44]);
    const [h] = runOp('Add', [Tensor.from('float16', [1]), Tensor.from('float16', [2 ** -11])]);
    expect(h.dtype).toBe('float16');
    expect(h.toNumbers()).toEqual([1]); // 1 + 2^-11 is a tie; rounds to even
  });
});

describe('Pow', () => {
  it('raises floats elementwise with broadcasting', () => {
    const [y] = runOp('Pow', [f32([1, 2, 3, 4], [2, 2]), f32([2])]);
    expect(y.toNumbers()).toEqual([1, 4, 9, 16]);
  });

  it('mixes base and exponent dtypes from opset 12; the output takes the base dtype', () => {
    const [y] = runOp('Pow', [Tensor.from('int32', [2, 3]), f32([0.5, 2])], {}, { opset: 12 });
    expect(y.dtype).toBe('int32');
    expect(y.toNumbers()).toEqual([1, 9]);
    const [z] = runOp('Pow', [f32([2, 4]), i64([3n, -1n])], {}, { opset: 13 });
    expect(z.toNumbers()).toEqual([8, 0.25]);
    expect(() => runOp('Pow', [f32([2]), i64([3n])], {}, { opset: 11 })).toThrow(/dtype/);
  });

  it('computes int64 powers exactly', () => {
    const [y] = runOp('Pow', [i64([3n, 2n, 5n]), i64([39n, 62n, 0n])], {}, { opset: 15 });
    expect(Array.from(y.data as BigInt64Array)).toEqual([3n ** 39n, 2n ** 62n, 1n]);
  });
});

describe('Equal', () => {
  it('outputs bool with broadcasting', () => {
    const [y] = runOp('Equal', [Tensor.from('int32', [1, 2, 3, 4], [2, 2]), Tensor.from('int32', [1, 4], [2])]);
    expect(y.dtype).toBe('bool');
    expect(y.toNumbers()).toEqual([1, 0, 0, 1]);
  });

  it('compares int64 exactly', () => {
    const [y] = runOp('Equal', [i64([2n ** 60n, 2n ** 60n]), i64([2n ** 60n + 1n, 2n ** 60n])]);
    expect(y.toNumbers()).toEqual([0, 1]);
  });
});

describe('elementwise shape inference', () => {
  it('carries symbolic dims through broadcasting', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['N', 3, 4, 4]);
    const scale = b.initializer('scale', Tensor.from('float32', [1, 2, 3], [3, 1, 1]));
    const y = b.op('Mul', [x, scale]);
    const z = b.op('Add', [y, b.initializer('one', Tensor.scalar('float32', 1))]);
    const e = b.op('Equal', [z, y]);
    b.output(e, 'bool', undefined);
    const { types } = inferGraph(b.build());
    expect(types.get(z)).toEqual({ dtype: 'float32', shape: ['N', 3, 4, 4] });
    expect(types.get(e)).toEqual({ dtype: 'bool', shape: ['N', 3, 4, 4] });
  });
});

describe('Pow with an int64 base and an int32 exponent', () => {
  it('stays exact beyond 2^53', () => {
    const [y] = runOp('Pow', [i64([3n]), Tensor.from('int32', [39])], {}, { opset: 15 });
    expect(Array.from(y.data as BigInt64Array)).toEqual([3n ** 39n]);
  });
});

describe('Less, Greater, LessOrEqual, GreaterOrEqual', () => {
  it('compare with broadcasting and give bool', () => {
    const a = f32([1, 2, 3, 4], [2, 2]);
    const b = f32([2, 3], [2]);
    const run = (op: string) => runOp(op, [a, b])[0];
    expect(run('Less').dtype).toBe('bool');
    expect(run('Less').toNumbers()).toEqual([1, 1, 0, 0]);
    expect(run('Greater').toNumbers()).toEqual([0, 0, 1, 1]);
    expect(run('LessOrEqual').toNumbers()).toEqual([1, 1, 0, 0]);
    expect(runOp('GreaterOrEqual', [a, f32([1, 4], [2])])[0].toNumbers()).toEqual([1, 0, 1, 1]);
    expect(runOp('Less', [f32([NaN]), f32([1])])[0].toNumbers()).toEqual([0]);
  });

  it('compare int64 exactly, and take integers only from opset 9', () => {
    const [y] = runOp('Greater', [i64([2n ** 60n + 1n, 2n ** 60n]), i64([2n ** 60n])]);
    expect(y.toNumbers()).toEqual([1, 0]);
    expect(() => runOp('Less', [Tensor.from('int32', [1]), Tensor.from('int32', [2])], {}, { opset: 7 })).toThrow(/input A has dtype int32/);
  });
});

describe('And, Or, Xor', () => {
  it('combine bools with broadcasting', () => {
    const a = Tensor.from('bool', [1, 1, 0, 0], [2, 2]);
    const b = Tensor.from('bool', [1, 0], [2]);
    expect(runOp('And', [a, b])[0].toNumbers()).toEqual([1, 0, 0, 0]);
    expect(runOp('Or', [a, b])[0].toNumbers()).toEqual([1, 1, 1, 0]);
    expect(runOp('Xor', [a, b])[0].toNumbers()).toEqual([0, 1, 1, 0]);
    expect(() => runOp('And', [f32([1]), f32([1])])).toThrow(/And node 'and': input A has dtype float32; this op takes bool/);
  });
});
