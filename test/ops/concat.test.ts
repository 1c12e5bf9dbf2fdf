import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, int } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

describe('Concat', () => {
  const a = Tensor.from('float32', [1, 2, 3, 4], [2, 2]);
  const b = Tensor.from('float32', [5, 6], [1, 2]);
  const c = Tensor.from('float32', [7, 8], [2, 1]);

  it('joins along axis 0 and along a negative axis', () => {
    const [y0] = runOp('Concat', [a, b], { axis: int(0) });
    expect(y0.shape).toEqual([3, 2]);
    expect(y0.toNumbers()).toEqual([1, 2, 3, 4, 5, 6]);
    const [y1] = runOp('Concat', [a, c], { axis: int(-1) });
    expect(y1.shape).toEqual([2, 3]);
    expect(y1.toNumbers()).toEqual([1, 2, 7, 3, 4, 8]);
  });

  it('joins int64 exactly, including empty parts', () => {
    const big = 2n ** 62n + 1n;
    const [y] = runOp('Concat', [
      new Tensor('int64', BigInt64Array.from([big]), [1]),
      new Tensor('int64', new BigInt64Array(0), [0]),
      new Tensor('int64', BigInt64Array.from([-1n, 5n]), [2]),
    ], { axis: int(0) });
    expect(Array.from(y.data as BigInt64Array)).toEqual([big, -1n, 5n]);
  });

  it('fails on mismatched dims off the axis, naming the shapes', () => {
    expect(() => runOp('Concat', [a, c], { axis: int(0) })).toThrow(/\[2, 2\], \[2, 1\]/);
  });

  it('requires axis', () => {
    expect(() => runOp('Concat', [a, b])).toThrow(/axis/);
  });

  it('keeps a symbolic batch dim and sums the known axis', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['N', 3, 4, 4]);
    const y = g.input('y', 'float32', ['N', 5, 4, 4]);
    const z = g.op('Concat', [x, y], { axis: int(1) });
    const w = g.op('Concat', [x, x], { axis: int(0) });
    g.output(z, 'float32', undefined);
    const { types } = inferGraph(g.build());
    expect(types.get(z)?.shape).toEqual(['N', 8, 4, 4]);
    expect(types.get(w)?.shape).toEqual(['?', 3, 4, 4]);
  });

  it('fails inference on mismatched known dims', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['N', 3, 4, 4]);
    const y = g.input('y', 'float32', ['N', 5, 4, 4]);
    g.op('Concat', [x, y], { axis: int(0) }, 'cat');
    expect(() => inferGraph(g.build())).toThrow(/Concat node 'cat'/);
  });
});
