/**
 * Winograd F(2x2,3x3) and F(4x4,3x3) on the cpu backend, forced through the test hook, against the
 * reference backend over edge shapes (1x1, 2x2, odd and prime sizes, one and several channels, groups,
 * pads 0, 1, asymmetric and auto_pad, batch 1 and 3, ReLU and Clip epilogues), on 1 and 2 threads with
 * bit-identical results; then the measured and the heuristic picks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendOptions } from '../../../src/backends/backend.js';
import { prepareCpu } from '../../../src/backends/cpu/prepared.js';
import { forcedConvAlgorithm } from '../../../src/backends/cpu/tune.js';
import { referenceBackend } from '../../../src/backends/reference/index.js';
import { Tensor } from '../../../src/core/tensor.js';
import { type Attribute, type Graph, type Node, makeGraph } from '../../../src/ir/graph.js';
import { withInferredTypes } from '../../../src/ir/infer.js';
import { type ConvCase, convInputs } from '../../helpers/conv-cases.js';
import { relativeError } from '../../helpers/compare.js';
import { randomFloats } from '../../helpers/random.js';

const f2 = 'winograd F(2x2,3x3)';
const f4 = 'winograd F(4x4,3x3)';

/** 3x3 convolutions with unit strides: what Winograd runs. */
const cases: readonly ConvCase[] = [
  { x: [1, 1, 1, 1], m: 1, kernel: 3, pads: [1, 1, 1, 1] },
  { x: [1, 3, 2, 2], m: 4, kernel: 3, pads: [1, 1, 1, 1], bias: true },
  { x: [3, 5, 7, 9], m: 6, kernel: 3, bias: true },
  { x: [1, 1, 3, 3], m: 2, kernel: 3 },
  { x: [1, 8, 13, 11], m: 16, kernel: 3, group: 2, pads: [1, 1, 1, 1], bias: true },
  { x: [3, 4, 5, 17], m: 3, kernel: 3, pads: [0, 2, 1, 0] },
  { x: [1, 6, 11, 7], m: 5, kernel: 3, autoPad: 'SAME_UPPER', bias: true },
  { x: [1, 8, 10, 10], m: 8, kernel: 3, group: 8, pads: [1, 1, 1, 1], bias: true },
  { x: [1, 16, 23, 19], m: 24, kernel: 3, pads: [1, 1, 1, 1], bias: true },
  { x: [3, 32, 9, 9], m: 40, kernel: 3, pads: [2, 1, 0, 1] },
  { x: [2, 64, 14, 14], m: 70, kernel: 3, pads: [1, 1, 1, 1], bias: true },
];

type Epilogue = 'none' | 'relu' | 'clip';

/** One Conv, and a Relu or a Clip (bounds -0.5, 1.5) after it that the backend fuses as its epilogue. */
function convGraph(c: ConvCase, seed: number, epilogue: Epilogue): Graph {
  const { weights, attrs } = convInputs(c, seed);
  const nodes: Node[] = [{ name: 'conv', op: 'Conv', domain: '', inputs: ['x', ...Object.keys(weights)], outputs: [epilogue === 'none' ? 'y' : 'pre'], attrs }];
  const initializers = new Map(Object.entries(weights));
  if (epilogue === 'relu') nodes.push({ name: 'relu', op: 'Relu', domain: '', inputs: ['pre'], outputs: ['y'], attrs: {} });
  if (epilogue === 'clip') {
    const clipAttrs: Record<string, Attribute> = {};
    nodes.push({ name: 'clip', op: 'Clip', domain: '', inputs: ['pre', 'lo', 'hi'], outputs: ['y'], attrs: clipAttrs });
    initializers.set('lo', new Tensor('float32', Float32Array.of(-0.5), []));
    initializers.set('hi', new Tensor('float32', Float32Array.of(1.5), []));
  }
  return withInferredTypes(makeGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: c.x }],
    outputs: [{ name: 'y', dtype: 'float32', shape: undefined }],
    nodes,
    initializers,
  }));
}

async function run(graph: Graph, x: Tensor, options: Partial<BackendOptions> & { threads: number }, build?: 'simd128'): Promise<{ y: Float32Array; algorithm?: string }> {
  const prepared = await prepareCpu(graph, { precision: 'fp32', ...options }, build);
  try {
    const y = (await prepared.run(new Map([['x', x]]))).get('y')!.data as Float32Array;
    return { y, algorithm: prepared.algorithms?.().get('conv') };
  } finally {
    await prepared.dispose();
  }
}

const inputOf = (c: ConvCase): Tensor => new Tensor('float32', randomFloats(c.x.reduce((a, b) => a * b, 1), 31), c.x);

async function reference(graph: Graph, x: Tensor): Promise<Float32Array> {
  const prepared = await referenceBackend.prepare(graph, { precision: 'fp32', threads: 1 });
  return (await prepared.run(new Map([['x', x]]))).get('y')!.data as Float32Array;
}

afterEach(() => {
  forcedConvAlgorithm.name = undefined;
});

describe('cpu backend: Winograd convolution against the reference', () => {
  // F(4x4) rounds more: its transforms' coefficients reach 8 and 1/24.
  for (const [name, tolerance] of [[f2, 1e-5], [f4, 1e-4]] as const) {
    it.each(cases.map((c, i) => [i, c] as const))(`${name}: case %i %j`, async (i, c) => {
      const x = inputOf(c);
      for (const epilogue of ['none', 'relu', 'clip'] as const) {
        const graph = convGraph(c, i, epilogue);
        const want = await reference(graph, x);
        forcedConvAlgorithm.name = name;
        const one = await run(graph, x, { threads: 1 });
        const two = await run(graph, x, { threads: 2 });
        const label = `case ${i} ${epilogue}`;
        expect(one.algorithm, label).toBe(name);
        expect(relativeError(one.y, want), label).toBeLessThanOrEqual(tolerance);
        expect(Buffer.from(two.y.buffer).equals(Buffer.from(one.y.buffer)), `${label}: 1 and 2 threads differ`).toBe(true);
      }
    });
  }

  it('runs on the plain SIMD build too', async () => {
    for (const name of [f2, f4]) {
      for (const i of [4, 9]) {
        const graph = convGraph(cases[i], i, 'relu');
        const x = inputOf(cases[i]);
        forcedConvAlgorithm.name = name;
        const got = await run(graph, x, { threads: 2 }, 'simd128');
        expect(relativeError(got.y, await reference(graph, x)), `${name} case ${i}`).toBeLessThanOrEqual(1e-4);
      }
    }
  });
});

describe('cpu backend: the per-layer choice of convolution algorithm', () => {
  it('measures the candidates, runs the fastest and names it', async () => {
    const c = cases[10];
    const graph = convGraph(c, 10, 'relu');
    const x = inputOf(c);
    const got = await run(graph, x, { threads: 2, tune: 'measure' });
    expect(['gemm im2col 6x8', f2, f4]).toContain(got.algorithm);
    expect(relativeError(got.y, await reference(graph, x))).toBeLessThanOrEqual(1e-4);
    // The pick is remembered for the layer's shape: a second session takes it without measuring.
    expect((await run(graph, x, { threads: 2, tune: 'measure' })).algorithm).toBe(got.algorithm);
  });

  it('takes the heuristic pick when told to', async () => {
    const big = await run(convGraph(cases[10], 10, 'none'), inputOf(cases[10]), { threads: 1, tune: 'heuristic' });
    expect(big.algorithm).toBe(f4);
    const small = await run(convGraph(cases[2], 2, 'none'), inputOf(cases[2]), { threads: 1, tune: 'heuristic' });
    expect(small.algorithm).toBe('gemm im2col 6x8');
  });
});
