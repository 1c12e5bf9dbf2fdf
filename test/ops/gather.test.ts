import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, int } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

describe('Gather', () => {
  const data = Tensor.from('float32', [1, 2, 3, 4, 5, 6], [3, 2]);

  it('picks rows with axis 0 and 2-D indices', () => {
    const [y] = runOp('Gather', [data, Tensor.from('int64', [0, 2, 1, 1], [2, 2])]);
    expect(y.shape).toEqual([2, 2, 2]);
    expect(y.toNumbers()).toEqual([1, 2, 5, 6, 3, 4, 3, 4]);
  });

  it('picks columns with axis 1 and negative int32 indices', () => {
    const [y] = runOp('Gather', [data, Tensor.from('int32', [-1], [1])], { axis: int(1) });
    expect(y.shape).toEqual([3, 1]);
    expect(y.toNumbers()).toEqual([2, 4, 6]);
  });

  it('with a scalar index drops the axis', () => {
    const shape = Tensor.from('int64', [7, 3, 4, 4], [4]);
    const [y] = runOp('Gather', [shape, Tensor.scalar('int64', 0)]);
    expect(y.shape).toEqual([]);
    expect(y.toNumbers()).toEqual([7]);
  });

  it('fails on an index out of range', () => {
    expect(() => runOp('Gather', [data, Tensor.from('int64', [3], [1])])).toThrow(/index 3 is out of range for axis 0 of data shape \[3, 2\]/);
  });

  it('infers shapes with symbolic dims', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['N', 3, 4, 4]);
    const y = g.op('Gather', [x, g.initializer('i', Tensor.from('int64', [0, 2], [2]))], { axis: int(1) });
    const n = g.op('Gather', [g.op('Shape', [x]), g.initializer('zero', Tensor.scalar('int64', 0))]);
    const { types } = inferGraph(g.build());
    expect(types.get(y)?.shape).toEqual(['N', 2, 4, 4]);
    expect(types.get(n)).toEqual({ dtype: 'int64', shape: [] });
  });
});
