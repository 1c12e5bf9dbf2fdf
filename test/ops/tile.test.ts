import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const reps = (values: number[]) => Tensor.from('int64', values, [values.length]);

describe('Tile', () => {
  it('repeats along each axis', () => {
    const [y] = runOp('Tile', [Tensor.from('float32', [1, 2, 3, 4], [2, 2]), reps([2, 1])]);
    expect(y.shape).toEqual([4, 2]);
    expect(y.toNumbers()).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    const [z] = runOp('Tile', [Tensor.from('int32', [7, 8], [2]), reps([0])]);
    expect(z.shape).toEqual([0]);
  });

  it('needs one repeat per axis', () => {
    expect(() => runOp('Tile', [Tensor.from('float32', [1, 2], [2]), reps([2, 2])])).toThrow(/Tile node 'tile': repeats \[2, 2\] must have one entry per axis/);
  });

  it('multiplies symbolic dims', () => {
    const b = new GraphBuilder('t');
    const y = b.op('Tile', [b.input('x', 'float32', ['N', 3]), b.initializer('r', reps([2, 2]))]);
    expect(inferGraph(b.build()).types.get(y)?.shape).toEqual(['2*N', 6]);
  });
});
