import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, int, ints } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { verify } from '../../src/ir/verify.js';
import { runGraph } from '../../src/backends/reference/interpreter.js';
import { eliminateDeadCode, foldBatchNorm, foldConstants, removeIdentities, runPasses, weightsToFp16 } from '../../src/passes/index.js';
import { relativeError } from '../helpers/compare.js';

function random(shape: number[], seed: number): Tensor<'float32'> {
  let s = seed >>> 0 || 1;
  const t = Tensor.zeros('float32', shape);
  for (let i = 0; i < t.size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    t.data[i] = s / 2 ** 31 - 1;
  }
  return t;
}

/** x[N,4] -> MatMul with a transposed weight -> Dropout -> Identity -> Reshape to [N*?] via shape arithmetic. */
function exporterStyleGraph(): Graph {
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', ['N', 4]);
  const w = b.initializer('w', random([3, 4], 7));
  const wt = b.op('Transpose', [w], { perm: ints([1, 0]) });
  const y = b.op('MatMul', [x, wt]);
  b.op('Relu', [x], {}, 'unused_relu');
  const [d] = b.node('Dropout', [y], {}, { outputs: 1 });
  const id = b.op('Identity', [d]);
  const shape = b.op('Shape', [x]);
  const zero = b.initializer('zero', Tensor.from('int64', [0], []));
  const n = b.op('Gather', [shape, zero], { axis: int(0) });
  const nu = b.op('Unsqueeze', [n, b.initializer('axes0', Tensor.from('int64', [0]))]);
  const target = b.op('Concat', [nu, b.initializer('minus1', Tensor.from('int64', [-1]))], { axis: int(0) });
  const out = b.op('Reshape', [id, target], {}, 'out');
  b.output(out, 'float32', ['N', 3]);
  return b.build();
}

function withShapes(graph: Graph, shape: number[]): Graph {
  return { ...graph, inputs: graph.inputs.map((v) => ({ ...v, shape })) };
}

function run(graph: Graph, x: Tensor): Float32Array {
  return runGraph(graph, new Map([['x', x]]))[0].data as Float32Array;
}

describe('passes', () => {
  it('fold constants, drop dropout/identity and dead code, and keep the results', () => {
    const g = exporterStyleGraph();
    const optimized = runPasses(g);
    const ops = optimized.nodes.map((n) => n.op);
    expect(ops).not.toContain('Transpose');
    expect(ops).not.toContain('Dropout');
    expect(ops).not.toContain('Identity');
    expect(ops).not.toContain('Relu');
    expect(ops).toContain('Shape'); // the batch is symbolic: its shape arithmetic must stay
    for (const n of [1, 2, 5]) {
      const x = random([n, 4], n);
      expect(relativeError(run(optimized, x), run(g, x))).toBe(0);
    }
  });

  it('fold shape arithmetic once input shapes are known', () => {
    const g = withShapes(exporterStyleGraph(), [2, 4]);
    const optimized = runPasses(g);
    expect(optimized.nodes.map((n) => n.op)).toEqual(['MatMul', 'Reshape']);
    const x = random([2, 4], 3);
    expect(relativeError(run(optimized, x), run(g, x))).toBe(0);
  });

  it('inline the branch an If takes once its condition is known', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['N', 4]);
    const dim = b.op('Gather', [b.op('Shape', [x]), b.initializer('one', Tensor.from('int64', [1], []))], { axis: int(0) });
    const cond = b.op('Equal', [dim, b.initializer('four', Tensor.from('int64', [4], []))]);
    const thenB = new GraphBuilder('then');
    const t = thenB.op('Relu', [x]);
    thenB.output(t, 'float32', ['N', 4]);
    const elseB = new GraphBuilder('else');
    const e = elseB.op('Sigmoid', [x]);
    elseB.output(e, 'float32', ['N', 4]);
    const [y] = b.node('If', [cond], { then_branch: thenB.build(), else_branch: elseB.build() }, { outputs: ['y'] });
    b.output(y, 'float32', ['N', 4]);
    const g = b.build();
    const optimized = runPasses(withShapes(g, [3, 4]));
    expect(optimized.nodes.map((n) => n.op)).toEqual(['Relu']);
    verify(optimized);
    const x0 = random([3, 4], 9);
    expect(relativeError(run(optimized, x0), run(g, x0))).toBe(0);
  });

  it('each pass is pure: the input graph is unchanged', () => {
    const g = exporterStyleGraph();
    const before = JSON.stringify(g.nodes);
    for (const pass of [foldConstants, removeIdentities, eliminateDeadCode, weightsToFp16]) {
      pass(g);
      expect(JSON.stringify(g.nodes)).toBe(before);
    }
  });

  it('fp16 weights store float16 and stay close to fp32', () => {
    const g = runPasses(exporterStyleGraph());
    const half = weightsToFp16(g);
    verify(half);
    expect([...half.initializers.values()].filter((t) => t.size > 1).every((t) => t.dtype === 'float16')).toBe(true);
    const x = random([4, 4], 11);
    const err = relativeError(run(half, x), run(g, x));
    expect(err).toBeGreaterThan(0);
    expect(err).toBeLessThan(2e-3);
  });
});

describe('foldBatchNorm', () => {
  const stats = (b: GraphBuilder, c: number, seed: number): string[] => [
    b.initializer(`scale${seed}`, random([c], seed)),
    b.initializer(`beta${seed}`, random([c], seed + 1)),
    b.initializer(`mean${seed}`, random([c], seed + 2)),
    b.initializer(`var${seed}`, Tensor.from('float32', Array.from(random([c], seed + 3).data, (v) => Math.abs(v) + 0.3), [c])),
  ];
  const check = (graph: Graph, feeds: Map<string, Tensor>, folded: number): void => {
    verify(graph);
    const after = foldBatchNorm(graph);
    verify(after);
    expect(after.nodes.filter((n) => n.op === 'BatchNormalization')).toHaveLength(graph.nodes.filter((n) => n.op === 'BatchNormalization').length - folded);
    const want = runGraph(graph, feeds);
    const got = runGraph(after, feeds);
    want.forEach((t, i) => expect(relativeError(got[i].data as Float32Array, t.data as Float32Array), graph.outputs[i].name).toBeLessThanOrEqual(1e-5));
  };

  it('folds into a Conv (with and without bias, grouped) and into a Gemm (transB or not)', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 4, 6, 6]);
    const c1 = b.op('Conv', [x, b.initializer('w1', random([6, 4, 3, 3], 1))], { pads: ints([1, 1, 1, 1]) });
    const n1 = b.op('BatchNormalization', [c1, ...stats(b, 6, 10)], { epsilon: { type: 'float', value: 1e-3 } });
    const c2 = b.op('Conv', [n1, b.initializer('w2', random([6, 3, 1, 1], 2)), b.initializer('b2', random([6], 3))], { group: int(2) });
    const n2 = b.op('BatchNormalization', [c2, ...stats(b, 6, 20)]);
    const r = b.op('Relu', [n2]);
    const flat = b.op('Flatten', [r]);
    const g1 = b.op('Gemm', [flat, b.initializer('g1', random([5, 216], 4)), b.initializer('c1', random([5], 5))], { transB: int(1), beta: { type: 'float', value: 0.5 } });
    const n3 = b.op('BatchNormalization', [g1, ...stats(b, 5, 30)]);
    const g2 = b.op('Gemm', [n3, b.initializer('g2', random([5, 3], 6))]);
    const n4 = b.op('BatchNormalization', [g2, ...stats(b, 3, 40)], {}, 'y');
    b.output(n4, 'float32', [2, 3]);
    check(b.build(), new Map([['x', random([2, 4, 6, 6], 9)]]), 4);
  });

  it('leaves a BatchNormalization whose input something else reads too', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    const c = b.op('Conv', [x, b.initializer('w', random([3, 2, 1, 1], 1))]);
    const n = b.op('BatchNormalization', [c, ...stats(b, 3, 10)], {}, 'y');
    const other = b.op('Relu', [c], {}, 'z');
    b.output(n, 'float32', [1, 3, 4, 4]);
    b.output(other, 'float32', [1, 3, 4, 4]);
    check(b.build(), new Map([['x', random([1, 2, 4, 4], 9)]]), 0);
  });
});
