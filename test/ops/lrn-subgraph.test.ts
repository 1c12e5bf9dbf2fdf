import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, int, ints } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runGraph } from '../../src/backends/reference/interpreter.js';

const i64 = (values: number[], shape: number[] = [values.length]) => Tensor.from('int64', values, shape);

/**
 * LocalResponseNorm as PyTorch exports it for a 4-D input: x^2 viewed as [N, 1, C, H, W*...], padded on
 * the channel axis, averaged over `size` channels, viewed back with Shape(x), then x / (k + alpha*avg)^beta.
 */
function lrnSubgraph(size: number, alpha: number, beta: number, k: number) {
  const g = new GraphBuilder('lrn', 13);
  const x = g.input('x', 'float32', ['N', 3, 4, 4]);
  const c = (name: string, t: Tensor) => g.initializer(name, t);
  const sq = g.op('Mul', [x, x]);
  const shape = g.op('Shape', [x]);
  const dim = (i: number) => g.op('Unsqueeze', [g.op('Gather', [shape, c(`i${i}`, Tensor.scalar('int64', i))], { axis: int(0) }), c(`u${i}`, i64([0]))]);
  const view = g.op('Concat', [dim(0), c('one', i64([1])), dim(1), dim(2), c('minus_one', i64([-1]))], { axis: int(0) });
  const five = g.op('Reshape', [sq, view]);
  const before = Math.floor(size / 2);
  const after = Math.floor((size - 1) / 2);
  const padded = g.op('Pad', [five, c('pads', i64([0, 0, before, 0, 0, 0, 0, after, 0, 0]))]);
  const pooled = g.op('AveragePool', [padded], { kernel_shape: ints([size, 1, 1]), strides: ints([1, 1, 1]) });
  const squeezed = g.op('Squeeze', [pooled, c('axis1', i64([1]))]);
  const back = g.op('Reshape', [squeezed, shape]);
  const scaled = g.op('Mul', [back, c('alpha', Tensor.scalar('float32', alpha))]);
  const shifted = g.op('Add', [scaled, c('k', Tensor.scalar('float32', k))]);
  const div = g.op('Pow', [shifted, c('beta', Tensor.scalar('float32', beta))]);
  const y = g.op('Div', [x, div]);
  g.output(y, 'float32', ['N', 3, 4, 4]);
  return { graph: g.build(), names: { shape, view, five, padded, squeezed, back, y } };
}

/** LRN straight from its definition. */
function lrnDirect(x: Tensor, size: number, alpha: number, beta: number, k: number): number[] {
  const [n, ch, h, w] = x.shape;
  const v = x.toFloat64();
  const out: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < ch; c++) {
      for (let p = 0; p < h * w; p++) {
        let sum = 0;
        for (let j = c - Math.floor(size / 2); j <= c + Math.floor((size - 1) / 2); j++) {
          if (j >= 0 && j < ch) sum += v[(b * ch + j) * h * w + p] ** 2;
        }
        out.push(v[(b * ch + c) * h * w + p] / (k + (alpha * sum) / size) ** beta);
      }
    }
  }
  return out;
}

describe('the LocalResponseNorm subgraph PyTorch exports', () => {
  const size = 2;
  const [alpha, beta, k] = [0.5, 0.75, 1];

  it('infers with a symbolic batch: ranks and known dims carry through', () => {
    const { graph, names } = lrnSubgraph(size, alpha, beta, k);
    const { types } = inferGraph(graph);
    expect(types.get(names.shape)).toEqual({ dtype: 'int64', shape: [4] });
    expect(types.get(names.view)).toEqual({ dtype: 'int64', shape: [5] });
    expect(types.get(names.five)?.shape).toHaveLength(5);
    expect(types.get(names.squeezed)?.shape).toHaveLength(4);
    const y = types.get(names.y)!;
    expect(y.dtype).toBe('float32');
    expect(y.shape?.slice(1)).toEqual([3, 4, 4]);
  });

  it('runs and matches LRN computed from its definition', () => {
    const { graph } = lrnSubgraph(size, alpha, beta, k);
    const x = Tensor.from('float32', Array.from({ length: 2 * 3 * 4 * 4 }, (_, i) => Math.sin(i) * 3), [2, 3, 4, 4]);
    const [y] = runGraph(graph, new Map([['x', x]]));
    expect(y.shape).toEqual([2, 3, 4, 4]);
    const want = lrnDirect(x, size, alpha, beta, k);
    y.toNumbers().forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  });
});
