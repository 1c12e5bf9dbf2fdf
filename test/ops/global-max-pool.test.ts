import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

describe('GlobalMaxPool', () => {
  it('takes the largest element of every plane', () => {
    const [y] = runOp('GlobalMaxPool', [Tensor.from('float32', [-5, -2, -9, 4, 1, 0, 3, 2], [2, 1, 2, 2])]);
    expect(y.shape).toEqual([2, 1, 1, 1]);
    expect(y.toNumbers()).toEqual([4, 3]);
  });

  it('keeps a symbolic batch over 3-D inputs', () => {
    const b = new GraphBuilder('t');
    const y = b.op('GlobalMaxPool', [b.input('x', 'float16', ['N', 8, 4, 'H', 2])]);
    expect(inferGraph(b.build()).types.get(y)).toEqual({ dtype: 'float16', shape: ['N', 8, 1, 1, 1] });
  });
});
