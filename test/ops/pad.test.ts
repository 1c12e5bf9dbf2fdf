import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, float, ints } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const pads = (values: number[]) => Tensor.from('int64', values, [values.length]);

describe('Pad', () => {
  const x = Tensor.from('float32', [1, 2, 3, 4, 5, 6], [2, 3]);

  it('pads with a constant (0 by default, or constant_value)', () => {
    const [y] = runOp('Pad', [x, pads([0, 1, 1, 0])]);
    expect(y.shape).toEqual([3, 4]);
    expect(y.toNumbers()).toEqual([0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0]);
    const [z] = runOp('Pad', [x, pads([0, 1, 0, 0]), Tensor.scalar('float32', 9)]);
    expect(z.toNumbers()).toEqual([9, 1, 2, 3, 9, 4, 5, 6]);
  });

  it('reflects without repeating the edge, and repeats the edge', () => {
    const row = Tensor.from('float32', [1, 2, 3], [1, 3]);
    expect(runOp('Pad', [row, pads([0, 2, 0, 2])], { mode: 'reflect' })[0].toNumbers()).toEqual([3, 2, 1, 2, 3, 2, 1]);
    expect(runOp('Pad', [row, pads([0, 2, 0, 1])], { mode: 'edge' })[0].toNumbers()).toEqual([1, 1, 1, 2, 3, 3]);
    expect(runOp('Pad', [row, pads([0, 4, 0, 0])], { mode: 'reflect' })[0].toNumbers()).toEqual([1, 2, 3, 2, 1, 2, 3]);
  });

  it('wraps from opset 19 only', () => {
    const row = Tensor.from('float32', [1, 2, 3], [1, 3]);
    expect(runOp('Pad', [row, pads([0, 2, 0, 1])], { mode: 'wrap' }, { opset: 19 })[0].toNumbers()).toEqual([2, 3, 1, 2, 3, 1]);
    expect(() => runOp('Pad', [row, pads([0, 2, 0, 1])], { mode: 'wrap' }, { opset: 18 })).toThrow(/mode 'wrap'/);
  });

  it('crops with negative pads', () => {
    const [y] = runOp('Pad', [x, pads([0, -1, 0, -1])]);
    expect(y.shape).toEqual([2, 1]);
    expect(y.toNumbers()).toEqual([2, 5]);
  });

  it('takes pads and value as attributes before opset 11', () => {
    const [y] = runOp('Pad', [x], { pads: ints([1, 0, 0, 0]), value: float(-1) }, { opset: 10 });
    expect(y.toNumbers()).toEqual([-1, -1, -1, 1, 2, 3, 4, 5, 6]);
  });

  it('pads only the listed axes from opset 18', () => {
    const [y] = runOp('Pad', [x, pads([1, 1]), undefined, Tensor.from('int64', [-1], [1])], {}, { opset: 18 });
    expect(y.shape).toEqual([2, 5]);
    expect(y.toNumbers()).toEqual([0, 1, 2, 3, 0, 0, 4, 5, 6, 0]);
  });

  it('keeps int64 exact', () => {
    const t = new Tensor('int64', BigInt64Array.from([2n ** 60n + 1n]), [1]);
    const [y] = runOp('Pad', [t, pads([1, 1])], { mode: 'edge' });
    expect(Array.from(y.data as BigInt64Array)).toEqual([2n ** 60n + 1n, 2n ** 60n + 1n, 2n ** 60n + 1n]);
  });

  it('fails on a wrong pads length, naming the shape', () => {
    expect(() => runOp('Pad', [x, pads([1, 1])])).toThrow(/2 pads for 2 axes of input shape \[2, 3\]; expected 4/);
  });

  it('keeps symbolic dims that are not padded', () => {
    const g = new GraphBuilder();
    const a = g.input('x', 'float32', ['N', 3, 4, 4]);
    const y = g.op('Pad', [a, g.initializer('p', pads([0, 0, 1, 1, 0, 0, 1, 1]))]);
    const z = g.op('Pad', [a, g.initializer('q', pads([1, 0, 0, 0, 0, 0, 0, 0]))]);
    const { types } = inferGraph(g.build());
    expect(types.get(y)?.shape).toEqual(['N', 3, 6, 6]);
    expect(types.get(z)?.shape).toEqual(['?', 3, 4, 4]);
  });
});
