import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, int } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const shape = (dims: number[]) => Tensor.from('int64', dims, [dims.length]);

describe('Reshape', () => {
  const x = Tensor.from('float32', Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);

  it('reshapes with 0 copying a dim and -1 inferred', () => {
    expect(runOp('Reshape', [x, shape([4, 6])])[0].shape).toEqual([4, 6]);
    expect(runOp('Reshape', [x, shape([0, -1])])[0].shape).toEqual([2, 12]);
    expect(runOp('Reshape', [x, shape([-1, 0, 2])])[0].shape).toEqual([4, 3, 2]);
    expect(runOp('Reshape', [x, shape([-1])])[0].toNumbers()).toEqual(x.toNumbers());
  });

  it('takes 0 literally with allowzero=1 (opset 14)', () => {
    const empty = Tensor.zeros('float32', [0, 3]);
    expect(runOp('Reshape', [empty, shape([3, 0])], { allowzero: int(1) }, { opset: 14 })[0].shape).toEqual([3, 0]);
    expect(() => runOp('Reshape', [empty, shape([0, -1])], { allowzero: int(1) }, { opset: 14 })).toThrow(/both 0 and -1/);
  });

  it('fails clearly on a size mismatch', () => {
    expect(() => runOp('Reshape', [x, shape([5, -1])])).toThrow(/Reshape node 'reshape': cannot reshape \[2, 3, 4\] to \[5, -1\]/);
    expect(() => runOp('Reshape', [x, shape([5, 5])])).toThrow(/24 elements cannot fill 25/);
    expect(() => runOp('Reshape', [x, shape([-1, -1])])).toThrow(/more than one -1/);
  });

  it('infers symbolic dims: [N,256,6,6] to [0,-1] and to [-1,9216] are both [N,9216]', () => {
    const g = new GraphBuilder();
    const a = g.input('x', 'float32', ['N', 256, 6, 6]);
    const y = g.op('Reshape', [a, g.initializer('s1', shape([0, -1]))]);
    const z = g.op('Reshape', [a, g.initializer('s2', shape([-1, 9216]))]);
    const w = g.op('Reshape', [a, g.initializer('s3', shape([-1, 1000]))]);
    const { types } = inferGraph(g.build());
    expect(types.get(y)?.shape).toEqual(['N', 9216]);
    expect(types.get(z)?.shape).toEqual(['N', 9216]);
    expect(types.get(w)?.shape).toEqual(['?', 1000]);
  });

  it('gives unknown dims of the known rank when the shape is computed', () => {
    const g = new GraphBuilder();
    const a = g.input('x', 'float32', ['N', 3, 4, 4]);
    const s = g.op('Shape', [a]);
    const y = g.op('Reshape', [a, s]);
    const { types } = inferGraph(g.build());
    expect(types.get(s)).toEqual({ dtype: 'int64', shape: [4] });
    expect(types.get(y)?.shape).toEqual(['?', '?', '?', '?']);
  });
});
