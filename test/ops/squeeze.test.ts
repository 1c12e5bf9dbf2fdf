import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, ints } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const axes = (values: number[]) => Tensor.from('int64', values, [values.length]);

describe('Squeeze', () => {
  const x = Tensor.from('float32', [1, 2, 3], [1, 3, 1]);

  it('removes every dim of size 1 without axes', () => {
    expect(runOp('Squeeze', [x])[0].shape).toEqual([3]);
  });

  it('takes axes as an attribute before opset 13 and as an input from 13', () => {
    expect(runOp('Squeeze', [x], { axes: ints([0]) }, { opset: 11 })[0].shape).toEqual([3, 1]);
    expect(runOp('Squeeze', [x, axes([-1])], {}, { opset: 13 })[0].shape).toEqual([1, 3]);
  });

  it('refuses to squeeze a dim that is not 1', () => {
    expect(() => runOp('Squeeze', [x, axes([1])])).toThrow(/cannot squeeze axis 1 of size 3/);
  });

  it('keeps symbolic dims and cannot know which dims are 1 without axes', () => {
    const g = new GraphBuilder('g', 13);
    const a = g.input('x', 'float32', ['N', 1, 4, 4]);
    const y = g.op('Squeeze', [a, g.initializer('axes', axes([1]))]);
    const z = g.op('Squeeze', [a]);
    const { types } = inferGraph(g.build());
    expect(types.get(y)?.shape).toEqual(['N', 4, 4]);
    expect(types.get(z)?.shape).toBeUndefined();
  });
});

describe('Unsqueeze', () => {
  const x = Tensor.from('float32', [1, 2, 3, 4, 5, 6], [2, 3]);

  it('inserts dims at output positions, unsorted and negative', () => {
    expect(runOp('Unsqueeze', [x, axes([0])])[0].shape).toEqual([1, 2, 3]);
    expect(runOp('Unsqueeze', [x, axes([3, 0])])[0].shape).toEqual([1, 2, 3, 1]);
    expect(runOp('Unsqueeze', [x, axes([-1])])[0].shape).toEqual([2, 3, 1]);
    expect(runOp('Unsqueeze', [x], { axes: ints([1]) }, { opset: 11 })[0].shape).toEqual([2, 1, 3]);
    expect(runOp('Unsqueeze', [Tensor.scalar('int64', 7), axes([0])])[0].shape).toEqual([1]);
  });

  it('rejects repeated and out-of-range axes, and missing axes', () => {
    expect(() => runOp('Unsqueeze', [x, axes([1, 1])])).toThrow(/repeat/);
    expect(() => runOp('Unsqueeze', [x, axes([3])])).toThrow(/axis 3 is out of range for rank 3/);
    expect(() => runOp('Unsqueeze', [x], {}, { opset: 11 })).toThrow(/axes are required/);
  });

  it('carries symbolic dims', () => {
    const g = new GraphBuilder('g', 13);
    const a = g.input('x', 'float32', ['N', 3, 4, 4]);
    const y = g.op('Unsqueeze', [a, g.initializer('axes', axes([1]))]);
    expect(inferGraph(g.build()).types.get(y)?.shape).toEqual(['N', 1, 3, 4, 4]);
  });
});
