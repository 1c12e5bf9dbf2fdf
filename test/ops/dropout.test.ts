import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { float } from '../../src/ir/builder.js';
import { runOp } from '../helpers/run-op.js';

describe('Dropout', () => {
  const x = Tensor.from('float32', [1, -2, 3, 4], [2, 2]);

  it('is the identity at inference, with an all-true bool mask', () => {
    const [y, mask] = runOp('Dropout', [x], {}, { outputs: 2 });
    expect(y.toNumbers()).toEqual([1, -2, 3, 4]);
    expect(mask.dtype).toBe('bool');
    expect(mask.shape).toEqual([2, 2]);
    expect(mask.toNumbers()).toEqual([1, 1, 1, 1]);
  });

  it('reads ratio as an attribute before opset 12; the mask takes the input dtype before opset 10', () => {
    const [y, mask] = runOp('Dropout', [x], { ratio: float(0.2) }, { opset: 7, outputs: 2 });
    expect(y.toNumbers()).toEqual([1, -2, 3, 4]);
    expect(mask.dtype).toBe('float32');
  });

  it('accepts training_mode false or ratio 0, refuses random training dropout', () => {
    const ratio = Tensor.scalar('float32', 0.5);
    expect(runOp('Dropout', [x, ratio, Tensor.scalar('bool', 0)])[0].toNumbers()).toEqual([1, -2, 3, 4]);
    expect(runOp('Dropout', [x, Tensor.scalar('float32', 0), Tensor.scalar('bool', 1)])[0].toNumbers()).toEqual([1, -2, 3, 4]);
    expect(() => runOp('Dropout', [x, ratio, Tensor.scalar('bool', 1)])).toThrow(/training_mode=true/);
    expect(() => runOp('Dropout', [x, undefined, Tensor.scalar('bool', 1)])).toThrow(/training_mode=true/);
  });
});

describe('Identity', () => {
  it('passes its input through', () => {
    const t = new Tensor('int64', BigInt64Array.from([2n ** 62n]), [1]);
    const [y] = runOp('Identity', [t]);
    expect(y.data).toEqual(t.data);
  });
});
