import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, int } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[]) => Tensor.from('float32', values, shape);
const close = (actual: number[], expected: number[]) => {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
};
const s123 = [0.09003057, 0.24472847, 0.66524096]; // softmax([1, 2, 3])

describe('Softmax', () => {
  it('normalises the last axis by default from opset 13', () => {
    close(runOp('Softmax', [f32([1, 2, 3, 2, 3, 4], [2, 3])])[0].toNumbers(), [...s123, ...s123]);
  });

  it('normalises one strided axis from opset 13', () => {
    const [y] = runOp('Softmax', [f32([1, 5, 2, 5, 3, 5], [3, 2])], { axis: int(0) }, { opset: 13 });
    close(y.toNumbers(), [s123[0], 1 / 3, s123[1], 1 / 3, s123[2], 1 / 3]);
  });

  it('coerces to 2-D at axis (default 1) before opset 13', () => {
    const x = f32([1, 2, 3, 4, 0, 0, 0, 0], [2, 2, 2]);
    const [old] = runOp('Softmax', [x], {}, { opset: 11 });
    const e = [1, 2, 3, 4].map(Math.exp);
    const total = e.reduce((p, q) => p + q);
    close(old.toNumbers(), [...e.map((v) => v / total), 0.25, 0.25, 0.25, 0.25]);
    const [modern] = runOp('Softmax', [x], { axis: int(1) }, { opset: 13 });
    close(modern.toNumbers().slice(0, 4), [1 / (1 + Math.E ** 2), 1 / (1 + Math.E ** 2), 1 / (1 + Math.E ** -2), 1 / (1 + Math.E ** -2)]);
  });

  it('stays finite on large inputs', () => {
    close(runOp('Softmax', [f32([1000, 1001, 1002], [3])])[0].toNumbers(), s123);
    close(runOp('Softmax', [f32([-1000, -1000], [1, 2])])[0].toNumbers(), [0.5, 0.5]);
  });

  it('keeps shapes, symbolic ones too, and rejects bad axes', () => {
    const b = new GraphBuilder('t');
    const y = b.op('Softmax', [b.input('x', 'float16', ['N', 1000])]);
    expect(inferGraph(b.build()).types.get(y)).toEqual({ dtype: 'float16', shape: ['N', 1000] });
    expect(() => runOp('Softmax', [f32([1, 2], [2])], {}, { opset: 11 })).toThrow(/Softmax node 'softmax': axis 1 is out of range for rank 1/);
    expect(() => runOp('Softmax', [f32([1], [])])).toThrow(/input X is a scalar/);
  });
});

describe('LogSoftmax', () => {
  it('is the logarithm of Softmax, with the same axis rules before and from opset 13', () => {
    close(runOp('LogSoftmax', [f32([1, 2, 3], [1, 3])])[0].toNumbers(), s123.map(Math.log));
    const x = f32([1, 2, 3, 4, 0, 0, 0, 0], [2, 2, 2]);
    for (const opset of [11, 13]) {
      const soft = runOp('Softmax', [x], { axis: int(1) }, { opset })[0].toNumbers();
      close(runOp('LogSoftmax', [x], { axis: int(1) }, { opset })[0].toNumbers(), soft.map(Math.log));
    }
  });

  it('stays finite where the softmax underflows', () => {
    close(runOp('LogSoftmax', [f32([0, -1000], [2])])[0].toNumbers(), [0, -1000]);
  });
});
