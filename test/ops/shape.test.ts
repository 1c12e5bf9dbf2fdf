import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, int } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

describe('Shape', () => {
  const x = Tensor.zeros('float32', [2, 3, 4, 5]);
  const dims = (t: Tensor) => Array.from(t.data as BigInt64Array).map(Number);

  it('gives the dims as int64', () => {
    const [s] = runOp('Shape', [x]);
    expect(s).toMatchObject({ dtype: 'int64', shape: [4] });
    expect(dims(s)).toEqual([2, 3, 4, 5]);
    expect(runOp('Shape', [Tensor.scalar('float32', 1)])[0].shape).toEqual([0]);
  });

  it('takes a clamped start/end range from opset 15', () => {
    const run = (attrs: Record<string, ReturnType<typeof int>>) => dims(runOp('Shape', [x], attrs, { opset: 15 })[0]);
    expect(run({ start: int(1) })).toEqual([3, 4, 5]);
    expect(run({ end: int(-1) })).toEqual([2, 3, 4]);
    expect(run({ start: int(-10), end: int(10) })).toEqual([2, 3, 4, 5]);
    expect(run({ start: int(3), end: int(1) })).toEqual([]);
    expect(dims(runOp('Shape', [x], { start: int(1) }, { opset: 14 })[0])).toEqual([2, 3, 4, 5]);
  });

  it('is not a constant for a symbolic input, though its length is known', () => {
    const g = new GraphBuilder();
    const a = g.input('x', 'float32', ['N', 3, 4, 4]);
    const s = g.op('Shape', [a]);
    const { types } = inferGraph(g.build());
    expect(types.get(s)).toEqual({ dtype: 'int64', shape: [4] });
  });
});
