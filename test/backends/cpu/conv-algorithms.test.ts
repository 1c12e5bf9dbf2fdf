/**
 * The cpu backend's convolution algorithms beside the im2col GEMM, forced through the test hook, against the
 * reference backend over edge shapes (1x1, 2x2, odd and prime sizes, one and several channels, groups,
 * pads 0 to 4, asymmetric and auto_pad, batch 1 to 3, ReLU and Clip epilogues), on 1 and 2 threads with
 * bit-identical results: Winograd F(2x2,3x3), F(4x4,3x3), F(2x2,5x5) and F(4x4,5x5); strided convolutions
 * through space-to-depth and Winograd; FFT on 16x16 and 32x32 tiles (kernels 5 to 16); direct convolution
 * for depthwise and narrow groups (strides, dilations, pads). Then the Winograd
 * matrices in float64, and the measured and the heuristic picks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendOptions } from '../../../src/backends/backend.js';
import { prepareCpu } from '../../../src/backends/cpu/prepared.js';
import type { WasmLayer } from '../../../src/backends/cpu/lower.js';
import { lowerNode } from '../../../src/backends/cpu/lower.js';
import { candidates, fastest, forcedConvAlgorithm } from '../../../src/backends/cpu/tune.js';
import { alphaOf, winogradMatrices, winogradVariants } from '../../../src/backends/cpu/winograd-transforms.js';
import { referenceBackend } from '../../../src/backends/reference/index.js';
import { Tensor } from '../../../src/core/tensor.js';
import { type Attribute, type Graph, type Node, makeGraph } from '../../../src/ir/graph.js';
import { withInferredTypes } from '../../../src/ir/infer.js';
import { type ConvCase, convInputs } from '../../helpers/conv-cases.js';
import { relativeError } from '../../helpers/compare.js';
import { randomFloats } from '../../helpers/random.js';

const f2 = 'winograd F(2x2,3x3)';
const f4 = 'winograd F(4x4,3x3)';
const f2r5 = 'winograd F(2x2,5x5)';
const f4r5 = 'winograd F(4x4,5x5)';

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

/** 5x5 convolutions with unit strides, the same sweep; the last two are CaffeNet's conv2 and a GoogLeNet 5x5, cut down. */
const cases5: readonly ConvCase[] = [
  { x: [1, 1, 1, 1], m: 1, kernel: 5, pads: [2, 2, 2, 2] },
  { x: [1, 3, 2, 2], m: 4, kernel: 5, pads: [2, 2, 2, 2], bias: true },
  { x: [3, 5, 7, 9], m: 6, kernel: 5, bias: true },
  { x: [1, 1, 5, 5], m: 2, kernel: 5 },
  { x: [1, 8, 13, 11], m: 16, kernel: 5, group: 2, pads: [2, 2, 2, 2], bias: true },
  { x: [3, 4, 5, 17], m: 3, kernel: 5, pads: [0, 3, 2, 1] },
  { x: [1, 6, 11, 7], m: 5, kernel: 5, autoPad: 'SAME_UPPER', bias: true },
  { x: [1, 8, 10, 10], m: 8, kernel: 5, group: 8, pads: [2, 2, 2, 2], bias: true },
  { x: [1, 16, 23, 19], m: 24, kernel: 5, pads: [2, 2, 2, 2], bias: true },
  { x: [3, 32, 9, 9], m: 40, kernel: 5, pads: [4, 1, 0, 2] },
  { x: [1, 96, 13, 13], m: 64, kernel: 5, group: 2, pads: [2, 2, 2, 2], bias: true },
  { x: [2, 48, 7, 7], m: 64, kernel: 5, pads: [2, 2, 2, 2], bias: true },
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

/**
 * max |got - want| over the largest sum of magnitudes an output could reach, max over o of sum |W[o]| times
 * max |X|, plus max |b|. Winograd's rounding error scales with that, not with the result: every position
 * of the transformed tile mixes all r^2 weights of a filter, padding or not, so an output that sums few
 * or cancelling terms (one channel of one pixel) carries the error of the whole filter.
 */
function winogradError(graph: Graph, x: Tensor, got: Float32Array, want: Float32Array): number {
  const w = graph.initializers.get('w')!;
  const perFilter = w.size / w.shape[0];
  const wv = w.data as Float32Array;
  let weights = 0;
  for (let o = 0; o < w.shape[0]; o++) weights = Math.max(weights, wv.subarray(o * perFilter, (o + 1) * perFilter).reduce((s, v) => s + Math.abs(v), 0));
  const b = graph.initializers.get('b')?.data as Float32Array | undefined;
  const largest = (v: Float32Array | undefined): number => {
    let m = 0;
    for (const e of v ?? []) m = Math.max(m, Math.abs(e));
    return m;
  };
  const scale = weights * largest(x.data as Float32Array) + largest(b);
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i] - want[i]));
  return diff / scale;
}

afterEach(() => {
  forcedConvAlgorithm.name = undefined;
});

describe('cpu backend: Winograd convolution against the reference', () => {
  // Bounds on winogradError, about ten times the worst of the sweep. F(4x4) rounds more: its transforms'
  // coefficients reach 8 and 1/24 (3x3) or 8 and 1/90 (5x5).
  const variants = [[f2, cases, 1e-6], [f4, cases, 1e-5], [f2r5, cases5, 3e-6], [f4r5, cases5, 1e-5]] as const;
  for (const [name, sweep, tolerance] of variants) {
    it.each(sweep.map((c, i) => [i, c] as const))(`${name}: case %i %j`, async (i, c) => {
      const x = inputOf(c);
      for (const epilogue of ['none', 'relu', 'clip'] as const) {
        const graph = convGraph(c, i, epilogue);
        const want = await reference(graph, x);
        forcedConvAlgorithm.name = name;
        const one = await run(graph, x, { threads: 1 });
        const two = await run(graph, x, { threads: 2 });
        const label = `case ${i} ${epilogue}`;
        expect(one.algorithm, label).toBe(name);
        const error = winogradError(graph, x, one.y, want);
        expect(error, label).toBeLessThanOrEqual(tolerance);
        expect(Buffer.from(two.y.buffer).equals(Buffer.from(one.y.buffer)), `${label}: 1 and 2 threads differ`).toBe(true);
      }
    });
  }

  it('splits the batch over passes (two images, then one), with groups', async () => {
    // One image's V and M are 3.6 MB, so a pass holds two of the three images.
    const c: ConvCase = { x: [3, 64, 56, 56], m: 64, kernel: 3, group: 2, pads: [1, 1, 1, 1], bias: true };
    const graph = convGraph(c, 5, 'relu');
    const x = inputOf(c);
    forcedConvAlgorithm.name = f4;
    const one = await run(graph, x, { threads: 1 });
    const two = await run(graph, x, { threads: 2 });
    expect(one.algorithm).toBe(f4);
    expect(winogradError(graph, x, one.y, await reference(graph, x))).toBeLessThanOrEqual(1e-5);
    expect(Buffer.from(two.y.buffer).equals(Buffer.from(one.y.buffer))).toBe(true);
  });

  it('runs on the plain SIMD build too', async () => {
    for (const [name, sweep] of [[f2, cases], [f4, cases], [f2r5, cases5], [f4r5, cases5], ['fft 16x16', cases5], ['fft 32x32', cases5]] as const) {
      for (const i of [4, 9]) {
        const graph = convGraph(sweep[i], i, 'relu');
        const x = inputOf(sweep[i]);
        forcedConvAlgorithm.name = name;
        const got = await run(graph, x, { threads: 2 }, 'simd128');
        expect(relativeError(got.y, await reference(graph, x)), `${name} case ${i}`).toBeLessThanOrEqual(1e-4);
      }
    }
  });
});

/** Strided convolutions Winograd runs after space-to-depth: CaffeNet's and GoogLeNet's first layers cut down, and edges. */
const stridedCases: readonly (ConvCase & { r: 3 | 5 })[] = [
  { x: [1, 3, 47, 47], m: 10, kernel: 11, strides: [4, 4], bias: true, r: 3 },
  { x: [2, 3, 31, 29], m: 8, kernel: 7, strides: [2, 2], pads: [3, 3, 3, 3], r: 5 },
  { x: [1, 4, 23, 19], m: 6, kernel: 11, strides: [4, 4], group: 2, pads: [2, 1, 0, 3], bias: true, r: 3 },
  { x: [3, 2, 20, 17], m: 5, kernel: 6, strides: [2, 2], autoPad: 'SAME_UPPER', r: 3 },
  { x: [1, 3, 9, 9], m: 4, kernel: 9, strides: [3, 3], r: 3 },
  { x: [1, 2, 12, 40], m: 3, kernel: 8, strides: [4, 2], bias: true, r: 5 },
  { x: [2, 5, 11, 13], m: 6, kernel: 3, strides: [2, 1], pads: [0, 2, 1, 0], r: 3 },
  // GoogLeNet's conv1 whole: one image's transformed tiles pass 8 MB, so passes cover some tile rows each.
  { x: [1, 3, 224, 224], m: 64, kernel: 7, strides: [2, 2], pads: [3, 3, 3, 3], bias: true, r: 5 },
];

describe('cpu backend: strided convolutions through space-to-depth and Winograd', () => {
  it.each(stridedCases.map((c, i) => [i, c] as const))('case %i %j', async (i, c) => {
    const x = inputOf(c);
    const names = c.r === 3 ? [f2, f4] : [f2r5, f4r5];
    for (const [name, tolerance] of [[names[0], c.r === 3 ? 1e-6 : 3e-6], [names[1], 1e-5]] as const) {
      for (const epilogue of ['none', 'relu'] as const) {
        const graph = convGraph(c, i, epilogue);
        const want = await reference(graph, x);
        forcedConvAlgorithm.name = name;
        const one = await run(graph, x, { threads: 1 });
        const two = await run(graph, x, { threads: 2 });
        const label = `case ${i} ${name} ${epilogue}`;
        expect(one.algorithm, label).toBe(`space-to-depth ${c.strides![0]}x${c.strides![1]} + ${name}`);
        expect(winogradError(graph, x, one.y, want), label).toBeLessThanOrEqual(tolerance);
        expect(Buffer.from(two.y.buffer).equals(Buffer.from(one.y.buffer)), `${label}: 1 and 2 threads differ`).toBe(true);
      }
    }
  });

  it('leaves a strided convolution that would not gain to the GEMM', async () => {
    const c: ConvCase = { x: [1, 4, 9, 9], m: 4, kernel: 3, strides: [2, 2], pads: [1, 1, 1, 1] };
    forcedConvAlgorithm.name = f4;
    expect((await run(convGraph(c, 0, 'none'), inputOf(c), { threads: 1 })).algorithm).toBe('gemm im2col 6x8');
  });
});

/** Convolutions with kernels of 5 taps or more and unit strides: what FFT runs. */
const fftCases: readonly ConvCase[] = [
  ...cases5,
  { x: [2, 3, 20, 18], m: 5, kernel: 7, pads: [3, 3, 3, 3], bias: true },
  { x: [1, 4, 9, 30], m: 6, kernel: 9, pads: [0, 4, 2, 1], group: 2 },
  { x: [1, 2, 40, 35], m: 3, kernel: 5, pads: [2, 2, 2, 2], bias: true },
  { x: [1, 2, 16, 16], m: 2, kernel: 16, pads: [0, 0, 0, 0] },
];

describe('cpu backend: FFT convolution against the reference', () => {
  // The worst error of the sweep is about 5e-8 of the output's scale, a hundredth of F(4x4,5x5)'s.
  for (const [name, tolerance] of [['fft 16x16', 5e-7], ['fft 32x32', 5e-7]] as const) {
    it.each(fftCases.map((c, i) => [i, c] as const))(`${name}: case %i %j`, async (i, c) => {
      const x = inputOf(c);
      const fits = c.kernel <= (name === 'fft 16x16' ? 8 : 16);
      for (const epilogue of ['none', 'relu', 'clip'] as const) {
        const graph = convGraph(c, i, epilogue);
        const want = await reference(graph, x);
        forcedConvAlgorithm.name = name;
        const one = await run(graph, x, { threads: 1 });
        const two = await run(graph, x, { threads: 2 });
        const label = `case ${i} ${epilogue}`;
        expect(one.algorithm, label).toBe(fits ? name : 'gemm im2col 6x8');
        expect(winogradError(graph, x, one.y, want), label).toBeLessThanOrEqual(tolerance);
        expect(Buffer.from(two.y.buffer).equals(Buffer.from(one.y.buffer)), `${label}: 1 and 2 threads differ`).toBe(true);
      }
    });
  }
});

/** Convolutions whose groups have fewer output channels than the GEMM tile has rows: what direct convolution runs. */
const directCases: readonly ConvCase[] = [
  { x: [1, 8, 10, 10], m: 8, kernel: 3, group: 8, pads: [1, 1, 1, 1], bias: true },
  { x: [3, 6, 37, 23], m: 6, kernel: 3, group: 6, pads: [1, 1, 1, 1] },
  { x: [2, 4, 17, 19], m: 8, kernel: 3, group: 4, strides: [2, 2], pads: [1, 0, 1, 1], bias: true },
  { x: [1, 5, 21, 30], m: 5, kernel: 5, group: 5, dilations: [2, 3], pads: [4, 3, 2, 6] },
  { x: [1, 6, 9, 9], m: 4, kernel: 3, group: 2, bias: true },
  { x: [1, 3, 12, 40], m: 3, kernel: 7, group: 3, autoPad: 'SAME_UPPER' },
  { x: [2, 4, 6, 6], m: 4, kernel: 1, group: 4, bias: true },
  { x: [1, 2, 3, 2], m: 2, kernel: 3, group: 2, pads: [2, 2, 2, 2] },
  { x: [1, 3, 15, 41], m: 6, kernel: 5, group: 3, strides: [1, 2], dilations: [1, 2], pads: [2, 3, 2, 1], bias: true },
];

describe('cpu backend: direct convolution against the reference', () => {
  it.each(directCases.map((c, i) => [i, c] as const))('case %i %j', async (i, c) => {
    const x = inputOf(c);
    for (const epilogue of ['none', 'relu', 'clip'] as const) {
      const graph = convGraph(c, i, epilogue);
      const want = await reference(graph, x);
      forcedConvAlgorithm.name = 'direct';
      const one = await run(graph, x, { threads: 1 });
      const two = await run(graph, x, { threads: 2 });
      const label = `case ${i} ${epilogue}`;
      expect(one.algorithm, label).toBe('direct');
      expect(relativeError(one.y, want), label).toBeLessThanOrEqual(1e-5);
      expect(Buffer.from(two.y.buffer).equals(Buffer.from(one.y.buffer)), `${label}: 1 and 2 threads differ`).toBe(true);
      const plain = await run(graph, x, { threads: 2 }, 'simd128');
      expect(relativeError(plain.y, want), `${label} plain SIMD`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('is measured against the rest, is the fixed rule\'s pick, and is not offered where a group fills the GEMM tile', async () => {
    expect((await run(convGraph(directCases[0], 0, 'none'), inputOf(directCases[0]), { threads: 1, tune: 'heuristic' })).algorithm).toBe('direct');
    const measured = await run(convGraph(directCases[1], 1, 'relu'), inputOf(directCases[1]), { threads: 2, tune: 'measure' });
    expect(['gemm im2col 6x8', 'winograd F(2x2,3x3)', 'winograd F(4x4,3x3)', 'direct']).toContain(measured.algorithm);
    forcedConvAlgorithm.name = 'direct';
    expect((await run(convGraph(cases[2], 2, 'none'), inputOf(cases[2]), { threads: 1 })).algorithm).toBe('gemm im2col 6x8');
  });
});

describe('cpu backend: Winograd transforms', () => {
  // In float64, A^T [(G g) . (B^T d)] is the correlation of d with g: the matrices are consistent.
  it.each(winogradVariants.map((v) => [`F(${v.m},${v.r})`, v] as const))('%s computes the correlation', (_, v) => {
    const { bt, at, g } = winogradMatrices(v);
    const alpha = alphaOf(v);
    const d = randomFloats(alpha, 3);
    const taps = randomFloats(v.r, 4);
    const product = Array.from({ length: alpha }, (_, i) => {
      let gi = 0;
      let di = 0;
      for (let k = 0; k < v.r; k++) gi += g[i * v.r + k] * taps[k];
      for (let j = 0; j < alpha; j++) di += bt[i * alpha + j] * d[j];
      return gi * di;
    });
    for (let y = 0; y < v.m; y++) {
      let got = 0;
      let want = 0;
      for (let i = 0; i < alpha; i++) got += at[y * alpha + i] * product[i];
      for (let k = 0; k < v.r; k++) want += d[y + k] * taps[k];
      expect(got).toBeCloseTo(want, 12);
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

  it('measures the 5x5 candidates of a 5x5 layer', async () => {
    const c = cases5[11];
    const graph = convGraph(c, 11, 'relu');
    const x = inputOf(c);
    const got = await run(graph, x, { threads: 2, tune: 'measure' });
    expect(['gemm im2col 6x8', f2r5, f4r5]).toContain(got.algorithm);
    expect(relativeError(got.y, await reference(graph, x))).toBeLessThanOrEqual(1e-4);
  });

  it('offers FFT on a 5x5 layer where it can win, not at batch 1', async () => {
    const offered = (images: number): string[] => {
      const graph = convGraph({ x: [images, 16, 28, 28], m: 32, kernel: 5, pads: [2, 2, 2, 2] }, 0, 'none');
      return candidates(lowerNode(graph, graph.nodes[0], 6) as WasmLayer, { precision: 'fp32', threads: 2, tune: 'measure' }, 'relaxed');
    };
    expect(offered(8)).toEqual(['gemm im2col 6x8', f2r5, f4r5, 'fft 32x32']);
    // One 32x32 tile per image: at batch 1 the GEMM would pad its one column to eight.
    expect(offered(1)).toEqual(['gemm im2col 6x8', f2r5, f4r5]);
  });

  it('measures FFT against the rest and runs the winner', async () => {
    const c: ConvCase = { x: [8, 16, 28, 28], m: 24, kernel: 5, pads: [2, 2, 2, 2], bias: true };
    const graph = convGraph(c, 3, 'relu');
    const x = inputOf(c);
    const got = await run(graph, x, { threads: 2, tune: 'measure' });
    expect(['gemm im2col 6x8', f2r5, f4r5, 'fft 32x32']).toContain(got.algorithm);
    expect(relativeError(got.y, await reference(graph, x))).toBeLessThanOrEqual(1e-4);
  });

  it('times candidates in turns and drops one far behind after its first timed run', () => {
    const calls = [0, 0, 0];
    let clock = 0;
    // Candidate 0 takes 4 ms but for one slow spell of 9 ms in the second round; 1 takes 3 ms; 2 takes 8.
    const run = (i: number, ms: number) => (): void => {
      calls[i]++;
      clock += i === 0 && calls[i] === 3 ? 9 : ms;
    };
    expect(fastest([run(0, 4), run(1, 3), run(2, 8)], () => clock)).toBe(1);
    // A warm-up and three timed runs each, but one timed run for the candidate over 2.5x the best.
    expect(calls).toEqual([4, 4, 2]);
  });

  it('takes the heuristic pick when told to', async () => {
    const big = await run(convGraph(cases[10], 10, 'none'), inputOf(cases[10]), { threads: 1, tune: 'heuristic' });
    expect(big.algorithm).toBe(f4);
    const small = await run(convGraph(cases[2], 2, 'none'), inputOf(cases[2]), { threads: 1, tune: 'heuristic' });
    expect(small.algorithm).toBe('gemm im2col 6x8');
    const big5 = await run(convGraph(cases5[11], 11, 'none'), inputOf(cases5[11]), { threads: 1, tune: 'heuristic' });
    expect(big5.algorithm).toBe(f4r5);
    const small5 = await run(convGraph(cases5[2], 2, 'none'), inputOf(cases5[2]), { threads: 1, tune: 'heuristic' });
    expect(small5.algorithm).toBe('gemm im2col 6x8');
  });
});
