import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, float, floats, int, ints } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

describe('Constant', () => {
  it('holds a tensor value', () => {
    const value = Tensor.from('float32', [1, 2, 3, 4], [2, 2]);
    const [y] = runOp('Constant', [], { value });
    expect(y.shape).toEqual([2, 2]);
    expect(y.toNumbers()).toEqual([1, 2, 3, 4]);
  });

  it('holds value_float(s) as float32 and value_int(s) as int64', () => {
    expect(runOp('Constant', [], { value_float: float(1.5) })[0]).toMatchObject({ dtype: 'float32', shape: [] });
    expect(runOp('Constant', [], { value_floats: floats([1, 2]) })[0]).toMatchObject({ dtype: 'float32', shape: [2] });
    const [i] = runOp('Constant', [], { value_int: int(-3) });
    expect(i.dtype).toBe('int64');
    expect(Array.from(i.data as BigInt64Array)).toEqual([-3n]);
    expect(runOp('Constant', [], { value_ints: ints([4, 5, 6]) })[0].toNumbers()).toEqual([4, 5, 6]);
  });

  it('refuses strings, sparse values and ambiguous attributes', () => {
    expect(() => runOp('Constant', [], { value_string: 'hi' })).toThrow(/string constants/);
    expect(() => runOp('Constant', [], {})).toThrow(/exactly one value attribute, got none/);
    expect(() => runOp('Constant', [], { value_int: int(1), value_float: float(1) })).toThrow(/exactly one/);
  });

  it('makes its value known to shape inference downstream', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['N', 3, 4, 4]);
    const s = g.op('Constant', [], { value_ints: ints([0, -1]) });
    const y = g.op('Reshape', [x, s]);
    expect(inferGraph(g.build()).types.get(y)?.shape).toEqual(['N', 48]);
  });
});

describe('ConstantOfShape', () => {
  const dims = (values: number[]) => Tensor.from('int64', values, [values.length]);

  it('fills with float32 0 by default, or the value attribute', () => {
    const [z] = runOp('ConstantOfShape', [dims([2, 3])]);
    expect(z).toMatchObject({ dtype: 'float32', shape: [2, 3] });
    expect(z.toNumbers()).toEqual([0, 0, 0, 0, 0, 0]);
    const [y] = runOp('ConstantOfShape', [dims([2])], { value: new Tensor('int64', BigInt64Array.from([2n ** 61n]), [1]) });
    expect(Array.from(y.data as BigInt64Array)).toEqual([2n ** 61n, 2n ** 61n]);
  });

  it('makes a scalar from an empty shape and an empty tensor from a 0 dim', () => {
    expect(runOp('ConstantOfShape', [dims([])])[0].shape).toEqual([]);
    expect(runOp('ConstantOfShape', [dims([0, 4])])[0].shape).toEqual([0, 4]);
  });

  it('gives unknown dims of the known rank for a computed shape', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['N', 3, 4, 4]);
    const y = g.op('ConstantOfShape', [g.op('Shape', [x])], { value: Tensor.from('int32', [1], [1]) });
    expect(inferGraph(g.build()).types.get(y)).toEqual({ dtype: 'int32', shape: ['?', '?', '?', '?'] });
  });
});
