import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, int, ints } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const x = Tensor.from('float32', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [2, 5]);
const sizes = (values: number[]) => Tensor.from('int64', values, [values.length]);

describe('Split', () => {
  it('cuts by the split attribute before opset 13 and the split input from 13', () => {
    const old = runOp('Split', [x], { axis: int(1), split: ints([2, 3]) }, { opset: 11, outputs: 2 });
    expect(old.map((t) => t.shape)).toEqual([[2, 2], [2, 3]]);
    expect(old.map((t) => t.toNumbers())).toEqual([[0, 1, 5, 6], [2, 3, 4, 7, 8, 9]]);
    const modern = runOp('Split', [x, sizes([4, 1])], { axis: int(-1) }, { opset: 13, outputs: 2 });
    expect(modern.map((t) => t.toNumbers())).toEqual([[0, 1, 2, 3, 5, 6, 7, 8], [4, 9]]);
    expect(() => runOp('Split', [x], { split: ints([1, 1]) }, { opset: 13, outputs: 2 })).toThrow(/from opset 13 split is an input/);
  });

  it('splits evenly without split, and by num_outputs (last part smaller) from opset 18', () => {
    const even = runOp('Split', [x], {}, { outputs: 2 });
    expect(even.map((t) => t.shape)).toEqual([[1, 5], [1, 5]]);
    expect(() => runOp('Split', [x], { axis: int(1) }, { outputs: 2 })).toThrow(/axis of 5 does not split evenly into 2 outputs/);
    const parts = runOp('Split', [x], { axis: int(1), num_outputs: int(2) }, { opset: 18, outputs: 2 });
    expect(parts.map((t) => t.shape)).toEqual([[2, 3], [2, 2]]);
  });

  it('allows empty parts and rejects splits that do not add up', () => {
    const parts = runOp('Split', [x, sizes([0, 5])], { axis: int(1) }, { outputs: 2 });
    expect(parts.map((t) => t.shape)).toEqual([[2, 0], [2, 5]]);
    expect(() => runOp('Split', [x, sizes([2, 2])], { axis: int(1) }, { outputs: 2 })).toThrow(/Split node 'split': split \[2, 2\] adds up to 4, but the axis has 5/);
  });

  it('infers symbolic parts', () => {
    const b = new GraphBuilder('t');
    const input = b.input('x', 'float32', ['N', '2*C', 'H']);
    const [c0, c1] = b.node('Split', [input], { axis: int(1) }, { outputs: 2 });
    const [n0] = b.node('Split', [input], {}, { outputs: 2 });
    const [s0, s1] = b.node('Split', [input, b.input('s', 'int64', [2])], { axis: int(2) }, { outputs: 2 });
    const { types } = inferGraph(b.build());
    expect([types.get(c0)?.shape, types.get(c1)?.shape]).toEqual([['N', 'C', 'H'], ['N', 'C', 'H']]);
    expect(types.get(n0)?.shape).toEqual(['?', '2*C', 'H']);
    expect([types.get(s0)?.shape, types.get(s1)?.shape]).toEqual([['N', '2*C', '?'], ['N', '2*C', '?']]);
  });
});
