import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

describe('GlobalAveragePool', () => {
  it('averages every plane over all spatial axes', () => {
    const [y] = runOp('GlobalAveragePool', [Tensor.from('float32', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [1, 2, 3, 2])]);
    expect(y.shape).toEqual([1, 2, 1, 1]);
    expect(y.toNumbers()).toEqual([3.5, 9.5]);
    expect(runOp('GlobalAveragePool', [Tensor.from('float32', [1, 2, 3, 5], [2, 1, 2])])[0].toNumbers()).toEqual([1.5, 4]);
  });

  it('keeps a symbolic batch and channels', () => {
    const b = new GraphBuilder('t');
    const y = b.op('GlobalAveragePool', [b.input('x', 'float32', ['N', 1024, 'H', 'W'])]);
    expect(inferGraph(b.build()).types.get(y)?.shape).toEqual(['N', 1024, 1, 1]);
  });

  it('needs spatial axes', () => {
    expect(() => runOp('GlobalAveragePool', [Tensor.from('float32', [1, 2], [1, 2])])).toThrow(/GlobalAveragePool node 'globalaveragepool': input X \[1, 2\] must be \[N, C, spatial...\]/);
  });
});
