import { describe, expect, it } from 'vitest';
import { JouleError } from '../../src/core/errors.js';
import { dimProduct, dimQuotient, broadcastShapes } from '../../src/core/shape.js';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, int, ints } from '../../src/ir/builder.js';
import { makeGraph } from '../../src/ir/graph.js';
import { inferGraph } from '../../src/ir/infer.js';
import { summarize } from '../../src/ir/summary.js';
import { verify } from '../../src/ir/verify.js';

function invalid(fn: () => void, fragment: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(JouleError);
    expect((e as JouleError).code).toBe('MODEL_INVALID');
    expect((e as JouleError).message).toContain(fragment);
    return;
  }
  expect.fail('expected MODEL_INVALID');
}

describe('verify', () => {
  const x = { name: 'x', dtype: 'float32' as const, shape: [1] };
  it('accepts a well-formed graph', () => {
    verify(makeGraph({ inputs: [x], outputs: [{ ...x, name: 'y' }], nodes: [{ name: 'r', op: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} }] }));
  });
  it('rejects a value defined twice', () => {
    const relu = (name: string) => ({ name, op: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} });
    invalid(() => verify(makeGraph({ inputs: [x], outputs: [], nodes: [relu('a'), relu('b')] })), "'y' is defined twice");
  });
  it('rejects a read before the value exists', () => {
    const nodes = [
      { name: 'a', op: 'Relu', domain: '', inputs: ['z'], outputs: ['y'], attrs: {} },
      { name: 'b', op: 'Relu', domain: '', inputs: ['x'], outputs: ['z'], attrs: {} },
    ];
    invalid(() => verify(makeGraph({ inputs: [x], outputs: [], nodes })), "reads 'z'");
  });
  it('rejects an output nothing produces', () => {
    invalid(() => verify(makeGraph({ inputs: [x], outputs: [{ ...x, name: 'nope' }], nodes: [] })), "'nope' is never produced");
  });
});

describe('symbolic shapes', () => {
  it('multiplies and divides symbolic dimensions', () => {
    expect(dimProduct(['N', 256, 6, 6])).toBe('9216*N');
    expect(dimQuotient('9216*N', 9216)).toBe('N');
    expect(dimQuotient('9216*N', 'N')).toBe(9216);
    expect(dimQuotient('N', 5)).toBe('?');
    expect(broadcastShapes([['N', 1, 4], [3, 1]], 'test')).toEqual(['N', 3, 4]);
    expect(broadcastShapes([['?', 3], ['N', 3]], 'test')).toEqual(['N', 3]);
  });

  it('carries the batch symbol through a conv net with flatten and reshape', () => {
    const b = new GraphBuilder();
    const x = b.input('data', 'float32', ['N', 3, 9, 9]);
    const w = b.initializer('w', Tensor.zeros('float32', [4, 3, 3, 3]));
    const c = b.op('Conv', [x, w], { strides: ints([2, 2]) });
    const p = b.op('MaxPool', [c], { kernel_shape: ints([2, 2]), strides: ints([2, 2]), ceil_mode: int(1) });
    const f = b.op('Reshape', [p, b.initializer('shape', Tensor.from('int64', [0, -1]))]);
    const g = b.op('Gemm', [f, b.initializer('fc', Tensor.zeros('float32', [5, 16])), b.initializer('fcb', Tensor.zeros('float32', [5]))], { transB: int(1) });
    b.output(g, 'float32', ['N', 5]);
    const graph = b.build();
    const { types } = inferGraph(graph);
    expect(types.get(c)?.shape).toEqual(['N', 4, 4, 4]);
    expect(types.get(p)?.shape).toEqual(['N', 4, 2, 2]);
    expect(types.get(f)?.shape).toEqual(['N', 16]);
    expect(types.get(g)?.shape).toEqual(['N', 5]);
    const s = summarize(graph);
    expect(s.params).toBe(4 * 27 + 5 * 16 + 5 + 2);
    expect(s.macs).toBe(4 * 4 * 4 * 27 + 5 * 16);
  });
});
