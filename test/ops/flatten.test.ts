import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, int } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

describe('Flatten', () => {
  const x = Tensor.from('float32', Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);

  it('defaults to axis 1 and accepts 0, the rank, and negative axes', () => {
    expect(runOp('Flatten', [x])[0].shape).toEqual([2, 12]);
    expect(runOp('Flatten', [x], { axis: int(0) })[0].shape).toEqual([1, 24]);
    expect(runOp('Flatten', [x], { axis: int(3) })[0].shape).toEqual([24, 1]);
    expect(runOp('Flatten', [x], { axis: int(-1) })[0].shape).toEqual([6, 4]);
    expect(runOp('Flatten', [x], { axis: int(-1) })[0].toNumbers()).toEqual(x.toNumbers());
  });

  it('rejects an axis beyond the rank', () => {
    expect(() => runOp('Flatten', [x], { axis: int(4) })).toThrow(/axis 4 is out of range for input shape \[2, 3, 4\]/);
  });

  it('multiplies symbolic dims', () => {
    const g = new GraphBuilder();
    const a = g.input('x', 'float32', ['N', 256, 6, 6]);
    const y = g.op('Flatten', [a], { axis: int(1) });
    const z = g.op('Flatten', [a], { axis: int(2) });
    const w = g.op('Flatten', [a], { axis: int(0) });
    const { types } = inferGraph(g.build());
    expect(types.get(y)?.shape).toEqual(['N', 9216]);
    expect(types.get(z)?.shape).toEqual(['256*N', 36]);
    expect(types.get(w)?.shape).toEqual([1, '9216*N']);
  });
});
