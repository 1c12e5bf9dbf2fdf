/**
 * The webgpu backend against the reference backend, op by op, over edge shapes: Conv (kernels 1 to 11,
 * strides, asymmetric pads, groups, depthwise, dilations, with and without a fused Relu, split-K at
 * small batch), Gemm and MatMul (GEMV at batch 1), pooling, LRN, Softmax, elementwise ops, Concat
 * (copied, and written in place by convolutions), BatchNormalization, in f32 and f16 storage.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, Precision } from '../../../src/backends/backend.js';
import { referenceBackend } from '../../../src/backends/reference/index.js';
import { webgpuBackend } from '../../../src/backends/webgpu/index.js';
import { convTiles } from '../../../src/backends/webgpu/kernels.js';
import { acquireGpu, releaseGpu } from '../../../src/backends/webgpu/device.js';
import { checkMatrixTile, convGemmMatrix, matrixTile } from '../../../src/backends/webgpu/matrix.js';
import { forcedVariant, matrixEmulation } from '../../../src/backends/webgpu/prepared.js';
import { Tensor } from '../../../src/core/tensor.js';
import { ints } from '../../../src/ir/builder.js';
import { type Attribute, type Graph, type Node, makeGraph } from '../../../src/ir/graph.js';
import { withInferredTypes } from '../../../src/ir/infer.js';
import { weightsToFp16 } from '../../../src/passes/to-fp16.js';
import { relativeError } from '../../helpers/compare.js';
import { randomFloats } from '../../helpers/random.js';
import { gpuMissing } from './gpu.js';
import { convCases, convInputs } from '../../helpers/conv-cases.js';

interface Case {
  readonly inputs: Record<string, number[]>;
  readonly nodes: Node[];
  readonly weights?: Record<string, Tensor>;
  readonly opset?: number;
}

const node = (op: string, inputs: string[], outputs: string[], attrs: Record<string, Attribute> = {}): Node => ({ name: `${op}_${outputs[0]}`, op, domain: '', inputs, outputs, attrs });

function graphOf(c: Case): Graph {
  const produced = new Set(c.nodes.flatMap((n) => n.outputs));
  const read = new Set(c.nodes.flatMap((n) => n.inputs));
  return withInferredTypes(makeGraph({
    inputs: Object.entries(c.inputs).map(([name, shape]) => ({ name, dtype: 'float32', shape })),
    outputs: [...produced].filter((n) => !read.has(n)).map((name) => ({ name, dtype: 'float32', shape: undefined })),
    nodes: c.nodes,
    initializers: new Map(Object.entries(c.weights ?? {})),
    opsets: new Map([['', c.opset ?? 17]]),
  }));
}

/** The outputs, and the algorithm each layer ran with. */
async function runOn(backend: Backend, graph: Graph, feeds: Map<string, Tensor>, precision: Precision, tune: 'heuristic' | 'measure' = 'heuristic'): Promise<[Map<string, Tensor>, ReadonlyMap<string, string>]> {
  const prepared = await backend.prepare(precision === 'fp16' ? withInferredTypes(weightsToFp16(graph)) : graph, { precision, threads: 1, tune });
  try {
    return [await prepared.run(feeds), prepared.algorithms?.() ?? new Map()];
  } finally {
    await prepared.dispose();
  }
}

/** Checks the webgpu backend against the reference; returns the algorithms the webgpu plan chose. */
async function check(c: Case, label: string, precision: Precision = 'fp32', tune: 'heuristic' | 'measure' = 'heuristic'): Promise<ReadonlyMap<string, string>> {
  const graph = graphOf(c);
  const feeds = new Map(Object.entries(c.inputs).map(([name, shape], i) => [name, new Tensor('float32', randomFloats(shape.reduce((a, b) => a * b, 1), 11 + i), shape)]));
  const [want] = await runOn(referenceBackend, graph, feeds, 'fp32');
  const [got, algorithms] = await runOn(webgpuBackend, graph, feeds, precision, tune);
  for (const [name, w] of want) {
    const g = got.get(name)!;
    expect(g.shape, `${label}: ${name}`).toEqual(w.shape);
    expect(relativeError(g.data as Float32Array, w.data as Float32Array), `${label}: ${name}`).toBeLessThanOrEqual(precision === 'fp16' ? 1e-2 : 1e-5);
  }
  return algorithms;
}

/** Every convolution and fully connected layer of a plan ran as `want` (a prefix of the algorithm's name). */
function expectAll(algorithms: ReadonlyMap<string, string>, want: string, count: number): void {
  const gemms = [...algorithms.values()].filter((a) => a.startsWith('gemm'));
  expect(gemms).toHaveLength(count);
  for (const a of gemms) expect(a.startsWith(want), `${a} is not ${want}`).toBe(true);
}

const w = (shape: number[], seed: number): Tensor => new Tensor('float32', randomFloats(shape.reduce((a, b) => a * b, 1), seed), shape);

describe.skipIf(gpuMissing !== undefined)('webgpu backend against the reference', () => {
  it.each(convCases.map((c, i) => [i, c] as const))('Conv case %i %j', async (i, c) => {
    const { weights, attrs } = convInputs(c, i);
    const conv = node('Conv', ['x', ...Object.keys(weights)], ['c'], attrs);
    await check({ inputs: { x: c.x }, nodes: [conv], weights }, `conv ${i}`);
    await check({ inputs: { x: c.x }, nodes: [conv, node('Relu', ['c'], ['y'])], weights }, `conv ${i} + relu`);
    await check({ inputs: { x: c.x }, nodes: [conv, node('Relu', ['c'], ['y'])], weights }, `conv ${i} fp16`, 'fp16');
    const bounds = { lo: new Tensor('float32', Float32Array.of(-1), []), hi: new Tensor('float32', Float32Array.of(2), []) };
    await check({ inputs: { x: c.x }, nodes: [conv, node('Clip', ['c', 'lo', 'hi'], ['y'])], weights: { ...weights, ...bounds } }, `conv ${i} + clip`);
    // Every other tile, with and without split-K, and the measured choice.
    try {
      for (const tile of convTiles.slice(1)) {
        forcedVariant.prefix = `gemm ${tile.name}`;
        await check({ inputs: { x: c.x }, nodes: [conv, node('Relu', ['c'], ['y'])], weights }, `conv ${i} tile ${tile.name}`);
      }
      forcedVariant.prefix = `gemm ${convTiles[0].name}`;
      await check({ inputs: { x: c.x }, nodes: [conv], weights }, `conv ${i} tile ${convTiles[0].name} without split-K`);
    } finally {
      forcedVariant.prefix = undefined;
    }
    await check({ inputs: { x: c.x }, nodes: [conv], weights }, `conv ${i} measured`, 'fp32', 'measure');
  });

  for (const batch of [1, 3, 70]) {
    it(`Gemm (transB, bias, alpha, beta) and MatMul at batch ${batch}`, async () => {
      for (const k of [37, 64]) {
        const [n] = [29];
        const chosen = await check({
          inputs: { x: [batch, k] },
          nodes: [node('Gemm', ['x', 'w', 'c'], ['g'], { transB: { type: 'int', value: 1 }, alpha: { type: 'float', value: 0.5 }, beta: { type: 'float', value: 2 } }), node('Relu', ['g'], ['y'])],
          weights: { w: w([n, k], 3), c: w([n], 4) },
        }, `Gemm batch ${batch} k ${k}`);
        // Batch 1 is a GEMV (no choice), small batches a GEMV with a sum per image (the heuristic's pick), larger a GEMM.
        expect([...chosen.values()]).toEqual(batch === 1 ? [] : [batch === 3 ? 'gemv batch' : expect.stringMatching(/^gemm /)]);
        await check({ inputs: { x: [batch, k] }, nodes: [node('MatMul', ['x', 'w'], ['y'])], weights: { w: w([k, n], 5) } }, `MatMul batch ${batch} k ${k}`);
        await check({
          inputs: { x: [batch, k] },
          nodes: [node('MatMul', ['x', 'w'], ['m']), node('Clip', ['m'], ['y'], { min: { type: 'float', value: -0.3 }, max: { type: 'float', value: 0.25 } })],
          weights: { w: w([k, n], 5) },
          opset: 6,
        }, `MatMul + Clip (opset 6 attributes) batch ${batch} k ${k}`);
        await check({ inputs: { x: [batch, k] }, nodes: [node('MatMul', ['x', 'w'], ['y'])], weights: { w: w([k, n], 5) } }, `MatMul fp16 batch ${batch}`, 'fp16');
      }
    });
  }

  it('the GEMV with a sum per image takes batches up to 8, in vec4s or not, with Clip fused', async () => {
    for (const batch of [2, 8, 9]) {
      const chosen = await check({
        inputs: { x: [batch, 4, 1, 1] },
        nodes: [node('Conv', ['x', 'w', 'b'], ['c']), node('Clip', ['c'], ['y'], { min: { type: 'float', value: -0.3 }, max: { type: 'float', value: 0.25 } })],
        weights: { w: w([301, 4, 1, 1], 6), b: w([301], 7) },
        opset: 6,
      }, `1x1 conv batch ${batch}`);
      expect([...chosen.values()], `batch ${batch}`).toEqual([batch <= 8 ? 'gemv batch' : expect.stringMatching(/^gemm /)]);
    }
    await check({ inputs: { x: [8, 1003] }, nodes: [node('MatMul', ['x', 'w'], ['y'])], weights: { w: w([1003, 65], 8) } }, 'MatMul fp16 batch 8', 'fp16');
  });

  const pools: [string, number[], Record<string, Attribute>][] = [
    ['MaxPool', [2, 3, 13, 13], { kernel_shape: ints([3, 3]), strides: ints([2, 2]) }],
    ['MaxPool', [1, 4, 14, 14], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), ceil_mode: { type: 'int', value: 1 } }],
    ['MaxPool', [1, 2, 9, 7], { kernel_shape: ints([3, 2]), pads: ints([1, 0, 1, 1]) }],
    ['AveragePool', [1, 3, 7, 7], { kernel_shape: ints([5, 5]), strides: ints([3, 3]) }],
    ['AveragePool', [1, 2, 8, 8], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]), count_include_pad: { type: 'int', value: 1 } }],
    ['AveragePool', [1, 2, 10, 10], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), ceil_mode: { type: 'int', value: 1 } }],
    ['GlobalAveragePool', [2, 5, 7, 7], {}],
    ['GlobalMaxPool', [2, 5, 3, 4], {}],
    ['LRN', [2, 7, 5, 5], { size: { type: 'int', value: 5 }, alpha: { type: 'float', value: 1e-2 }, beta: { type: 'float', value: 0.75 }, bias: { type: 'float', value: 2 } }],
    ['LRN', [1, 4, 3, 3], { size: { type: 'int', value: 4 } }],
  ];
  it.each(pools.map((c, i) => [i, c] as const))('%i %j', async (i, [op, x, attrs]) => {
    await check({ inputs: { x }, nodes: [node(op, ['x'], ['y'], attrs)] }, `${op} ${i}`);
    await check({ inputs: { x }, nodes: [node(op, ['x'], ['y'], attrs)] }, `${op} ${i} fp16`, 'fp16');
  });

  it('Softmax, elementwise ops with broadcasting, BatchNormalization', async () => {
    await check({ inputs: { x: [3, 1000] }, nodes: [node('Softmax', ['x'], ['y'], { axis: { type: 'int', value: 1 } })] }, 'softmax');
    await check({ inputs: { x: [2, 3, 5] }, nodes: [node('Softmax', ['x'], ['y'])] }, 'softmax last axis');
    for (const op of ['Sigmoid', 'Tanh', 'Relu']) await check({ inputs: { x: [4, 33] }, nodes: [node(op, ['x'], ['y'])] }, op);
    await check({ inputs: { x: [4, 33] }, nodes: [node('LeakyRelu', ['x'], ['y'], { alpha: { type: 'float', value: 0.2 } })] }, 'leaky');
    await check({ inputs: { x: [4, 33] }, nodes: [node('Clip', ['x', 'lo', 'hi'], ['y'])], weights: { lo: new Tensor('float32', Float32Array.of(-0.2), []), hi: new Tensor('float32', Float32Array.of(0.3), []) } }, 'clip');
    for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
      await check({ inputs: { a: [2, 3, 4, 5], b: [3, 1, 5] }, nodes: [node(op, ['a', 'b'], ['y'])] }, `${op} broadcast`);
      await check({ inputs: { a: [2, 3, 4, 5] }, nodes: [node(op, ['a', 'b'], ['y'])], weights: { b: w([5], 9) } }, `${op} constant`);
    }
    const bn = { scale: w([6], 1), bias: w([6], 2), mean: w([6], 3), var: new Tensor('float32', Float32Array.from(randomFloats(6, 4), (v) => Math.abs(v) + 0.5), [6]) };
    await check({ inputs: { x: [2, 6, 3, 3] }, nodes: [node('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], ['y'], { epsilon: { type: 'float', value: 1e-3 } })], weights: bn }, 'batchnorm');
  });

  it('Concat: copied inputs, and convolutions writing their slice in place', async () => {
    await check({ inputs: { a: [2, 3, 4], b: [2, 5, 4] }, nodes: [node('Concat', ['a', 'b'], ['y'], { axis: { type: 'int', value: 1 } })] }, 'concat copy axis 1');
    await check({ inputs: { a: [2, 3, 4], b: [2, 3, 1] }, nodes: [node('Concat', ['a', 'b'], ['y'], { axis: { type: 'int', value: -1 } })] }, 'concat last axis');
    // An inception-style block: three convolutions (one through a Relu) and a pool into one Concat.
    const weights = { w1: w([5, 4, 1, 1], 1), w3: w([7, 4, 3, 3], 2), w5: w([3, 4, 5, 5], 3), b3: w([7], 4) };
    await check({
      inputs: { x: [2, 4, 9, 9] },
      nodes: [
        node('Conv', ['x', 'w1'], ['c1']),
        node('Conv', ['x', 'w3', 'b3'], ['c3'], { pads: ints([1, 1, 1, 1]) }),
        node('Relu', ['c3'], ['r3']),
        node('Conv', ['x', 'w5'], ['c5'], { pads: ints([2, 2, 2, 2]) }),
        node('MaxPool', ['x'], ['p'], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) }),
        node('Concat', ['c1', 'r3', 'c5', 'p'], ['y'], { axis: { type: 'int', value: 1 } }),
      ],
      weights,
    }, 'inception');
  });

  it('runs nodes it has no kernel for on the host, between GPU steps', async () => {
    await check({
      inputs: { x: [2, 3, 4, 4] },
      nodes: [
        node('Relu', ['x'], ['r']),
        node('Transpose', ['r'], ['t'], { perm: ints([0, 2, 3, 1]) }),
        node('Sigmoid', ['t'], ['y']),
      ],
    }, 'host island');
  });
});

/**
 * The matrix-unit convolution, with plain WGSL in place of the subgroup-matrix built-ins (lavapipe has
 * none): everything but the three built-ins (the gathers into workgroup memory, the subgroups' parts of
 * the tile, edges, split-K, the epilogue, slices of a Concat) against the reference, in f16 storage.
 */
describe.skipIf(gpuMissing !== undefined)('webgpu backend: matrix-unit convolution (emulated)', () => {
  const tile = matrixTile({ m: 16, n: 16, k: 16 }, 32, true)!;
  const withTile = async (prefix: string, f: () => Promise<void>): Promise<void> => {
    matrixEmulation.tile = tile;
    forcedVariant.prefix = prefix;
    try {
      await f();
    } finally {
      matrixEmulation.tile = undefined;
      forcedVariant.prefix = undefined;
    }
  };

  it.each(convCases.map((c, i) => [i, c] as const))('Conv case %i %j', async (i, c) => {
    const { weights, attrs } = convInputs(c, i);
    const conv = node('Conv', ['x', ...Object.keys(weights)], ['c'], attrs);
    const bounds = { lo: new Tensor('float32', Float32Array.of(-1), []), hi: new Tensor('float32', Float32Array.of(2), []) };
    await withTile(`gemm ${tile.name}`, async () => {
      const relu = await check({ inputs: { x: c.x }, nodes: [conv, node('Relu', ['c'], ['y'])], weights }, `conv ${i} ${tile.name} + relu`, 'fp16');
      const clip = await check({ inputs: { x: c.x }, nodes: [conv, node('Clip', ['c', 'lo', 'hi'], ['y'])], weights: { ...weights, ...bounds } }, `conv ${i} ${tile.name} + clip`, 'fp16');
      // Batch 1 with one output position is a GEMV, not a GEMM.
      const gemv = c.x[0] === 1 && [...relu.values()].every((a) => a === 'gemv');
      if (!gemv) for (const a of [relu, clip]) expectAll(a, `gemm ${tile.name}`, 1);
    });
  });

  it('with split-K, as a Gemm, and writing slices of a Concat', async () => {
    await withTile(`gemm ${tile.name} split-K`, async () => {
      const weights = { w: w([70, 96, 3, 3], 1), b: w([70], 2) };
      const chosen = await check({ inputs: { x: [1, 96, 6, 6] }, nodes: [node('Conv', ['x', 'w', 'b'], ['y'], { pads: ints([1, 1, 1, 1]) })], weights }, 'split-K', 'fp16');
      expectAll(chosen, `gemm ${tile.name} split-K`, 1);
    });
    await withTile(`gemm ${tile.name}`, async () => {
      expectAll(await check({ inputs: { x: [5, 300] }, nodes: [node('Gemm', ['x', 'w', 'c'], ['y'], { transB: { type: 'int', value: 1 } })], weights: { w: w([130, 300], 3), c: w([130], 4) } }, 'gemm', 'fp16'), `gemm ${tile.name}`, 1);
      expectAll(await check({
        inputs: { x: [2, 4, 9, 9] },
        nodes: [
          node('Conv', ['x', 'w1'], ['c1']),
          node('Conv', ['x', 'w3'], ['c3'], { pads: ints([1, 1, 1, 1]) }),
          node('Concat', ['c1', 'c3'], ['y'], { axis: { type: 'int', value: 1 } }),
        ],
        weights: { w1: w([5, 4, 1, 1], 5), w3: w([7, 4, 3, 3], 6) },
      }, 'concat slices', 'fp16'), `gemm ${tile.name}`, 2);
    });
  });

  it("the device's check passes the kernel, and catches a wrong one or one that does not compile", async () => {
    const { device } = await acquireGpu();
    try {
      expect(await checkMatrixTile(device, tile)).toBeUndefined();
      const wrong = convGemmMatrix('relu', tile).replace('var v = Cs[e] + f32(bias[gm]);', 'var v = Cs[e];');
      expect(await checkMatrixTile(device, tile, wrong)).toMatch(/^its result is off by/);
      // The real kernel needs the subgroup-matrix feature, which lavapipe lacks.
      const real = matrixTile({ m: 16, n: 16, k: 16 }, 32)!;
      expect(await checkMatrixTile(device, real)).toMatch(/^its kernel did not compile: .*extension '(subgroups|chromium_experimental_subgroup_matrix)' is not allowed/);
    } finally {
      await releaseGpu();
    }
  });
});

describe.skipIf(gpuMissing !== undefined)('webgpu backend: measured choices', () => {
  it('times more candidates than one query set holds (4096 timestamps) and still computes the same', async () => {
    // 32 split-K convolutions of 18 candidates each (6 tiles x split 1, 2 and 4), 4 timed passes per
    // candidate: 2304 passes, 4608 timestamps.
    const nodes: Node[] = [];
    const weights: Record<string, Tensor> = {};
    let at = 'x';
    for (let i = 0; i < 32; i++) {
      weights[`w${i}`] = w([32, 32, 3, 3], 100 + i);
      nodes.push(node('Conv', [at, `w${i}`], [`c${i}`], { pads: ints([1, 1, 1, 1]) }));
      nodes.push(node('Relu', [`c${i}`], [i === 31 ? 'y' : `r${i}`]));
      at = `r${i}`;
    }
    await check({ inputs: { x: [1, 32, 4, 4] }, nodes, weights }, 'deep split-K stack, measured', 'fp32', 'measure');
  }, 300_000);
});
