/**
 * Conv (with a fused Relu), Gemm and MatMul on the cpu backend against the reference backend over a sweep
 * of shapes: kernels 1, 3, 5 and 11, strides, pads (asymmetric too), groups (depthwise too) and dilations,
 * on 1 and 2 threads, with results bit-identical across thread counts.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, BackendOptions } from '../../../src/backends/backend.js';
import { cpuBackend } from '../../../src/backends/cpu/index.js';
import { prepareCpu } from '../../../src/backends/cpu/prepared.js';
import { referenceBackend } from '../../../src/backends/reference/index.js';
import { Tensor } from '../../../src/core/tensor.js';
import { type Attribute, type Graph, type Node, makeGraph } from '../../../src/ir/graph.js';
import { withInferredTypes } from '../../../src/ir/infer.js';
import { weightsToFp16 } from '../../../src/passes/to-fp16.js';
import { relativeError } from '../../helpers/compare.js';
import { randomFloats } from '../../helpers/random.js';
import { convCases, convInputs } from '../../helpers/conv-cases.js';


/** A graph of one node (and optionally a Relu after it) with constant weights. */
function oneNode(op: string, x: number[], weights: Record<string, Tensor>, attrs: Record<string, Attribute>, relu: boolean): Graph {
  const nodes: Node[] = [{ name: 'n0', op, domain: '', inputs: ['x', ...Object.keys(weights)], outputs: [relu ? 'pre' : 'y'], attrs }];
  if (relu) nodes.push({ name: 'relu', op: 'Relu', domain: '', inputs: ['pre'], outputs: ['y'], attrs: {} });
  return withInferredTypes(makeGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: x }],
    outputs: [{ name: 'y', dtype: 'float32', shape: undefined }],
    nodes,
    initializers: new Map(Object.entries(weights)),
  }));
}

async function runOn(graph: Graph, x: Tensor, backend: Backend, threads: number): Promise<Tensor> {
  // The heuristic's pick of algorithm, unlike a measured one, is the same whatever the thread count, so
  // results can be compared bit for bit across thread counts (winograd.test.ts covers Winograd).
  const prepared = await backend.prepare(graph, { precision: 'fp32', threads, tune: 'heuristic' });
  try {
    return (await prepared.run(new Map([['x', x]]))).get('y')!;
  } finally {
    await prepared.dispose();
  }
}

async function check(graph: Graph, xShape: number[], label: string): Promise<void> {
  const x = new Tensor('float32', randomFloats(xShape.reduce((a, b) => a * b, 1), 99), xShape);
  const want = await runOn(graph, x, referenceBackend, 1);
  const one = await runOn(graph, x, cpuBackend, 1);
  const two = await runOn(graph, x, cpuBackend, 2);
  expect(one.shape, label).toEqual(want.shape);
  expect(relativeError(one.data as Float32Array, want.data as Float32Array), label).toBeLessThanOrEqual(1e-5);
  expect(Buffer.from((two.data as Float32Array).buffer).equals(Buffer.from((one.data as Float32Array).buffer)), `${label}: 1 and 2 threads differ`).toBe(true);
}

describe('cpu backend: Conv against the reference', () => {
  it.each(convCases.map((c, i) => [i, c] as const))('case %i %j', async (i, c) => {
    const { weights, attrs } = convInputs(c, i);
    for (const relu of [false, true]) await check(oneNode('Conv', c.x, weights, attrs, relu), c.x, `conv ${i} relu=${relu}`);
  });
});

describe('cpu backend: fully connected layers against the reference', () => {
  for (const batch of [1, 3, 10]) {
    it(`Gemm (transB, bias, alpha, beta) and MatMul at batch ${batch}`, async () => {
      const [k, n] = [37, 29];
      const gemm = oneNode('Gemm', [batch, k], { w: new Tensor('float32', randomFloats(n * k, 3), [n, k]), c: new Tensor('float32', randomFloats(n, 4), [n]) },
        { transB: { type: 'int', value: 1 }, alpha: { type: 'float', value: 0.5 }, beta: { type: 'float', value: 2 } }, true);
      await check(gemm, [batch, k], `Gemm batch ${batch}`);
      const matmul = oneNode('MatMul', [batch, k], { w: new Tensor('float32', randomFloats(n * k, 5), [k, n]) }, {}, false);
      await check(matmul, [batch, k], `MatMul batch ${batch}`);
    });
  }
});

describe('cpu backend: the plain SIMD build (for runtimes without relaxed SIMD)', () => {
  it.each(convCases.map((c, i) => [i, c] as const))('Conv case %i, and Gemm at batch 1 and 3', async (i, c) => {
    const simd128 = { name: 'cpu (simd128)', unsupported: cpuBackend.unsupported, prepare: (g: Graph, o: BackendOptions) => prepareCpu(g, o, 'simd128') };
    const { weights, attrs } = convInputs(c, i);
    const x = new Tensor('float32', randomFloats(c.x.reduce((a, b) => a * b, 1), 99), c.x);
    const conv = oneNode('Conv', c.x, weights, attrs, true);
    const want = await runOn(conv, x, referenceBackend, 1);
    expect(relativeError((await runOn(conv, x, simd128, 2)).data as Float32Array, want.data as Float32Array), `conv ${i}`).toBeLessThanOrEqual(1e-5);
    for (const batch of [1, 3]) {
      const gemm = oneNode('Gemm', [batch, 37], { w: new Tensor('float32', randomFloats(29 * 37, i), [29, 37]) }, { transB: { type: 'int', value: 1 } }, false);
      const input = new Tensor('float32', randomFloats(batch * 37, i + 1), [batch, 37]);
      const expected = await runOn(gemm, input, referenceBackend, 1);
      expect(relativeError((await runOn(gemm, input, simd128, 2)).data as Float32Array, expected.data as Float32Array), `gemm batch ${batch}`).toBeLessThanOrEqual(1e-5);
    }
  });
});

describe('cpu backend: the GEMV that reads float16 weights', () => {
  it.each([[1, 3], [5, 3], [37, 29], [64, 8], [263, 77]])('k %i, n %i: against the reference on the same fp16 weights', async (k, n) => {
    for (const transB of [0, 1]) {
      const w = new Tensor('float32', randomFloats(n * k, k + n), transB ? [n, k] : [k, n]);
      const graph = withInferredTypes(weightsToFp16(oneNode('Gemm', [1, k], { w, c: new Tensor('float32', randomFloats(n, 3), [n]) }, { transB: { type: 'int', value: transB } }, true)));
      const x = new Tensor('float32', randomFloats(k, 9), [1, k]);
      const want = await runOn(graph, x, referenceBackend, 1);
      const prepared = await cpuBackend.prepare(graph, { precision: 'fp16', threads: 2, profile: true });
      try {
        const got = (await prepared.run(new Map([['x', x]]))).get('y')!;
        expect(relativeError(got.data as Float32Array, want.data as Float32Array), `k ${k} n ${n} transB ${transB}`).toBeLessThanOrEqual(1e-5);
        expect([...prepared.profile!().keys()]).toEqual(['f16_gemv_4x4']);
      } finally {
        await prepared.dispose();
      }
    }
  });
});

describe('cpu backend: Clip fused as the epilogue', () => {
  const clipped = (op: string, x: number[], weights: Record<string, Tensor>, attrs: Record<string, Attribute>, opset: number): Graph => {
    const inputs = opset >= 11 ? ['pre', 'lo', 'hi'] : ['pre'];
    const clipAttrs: Record<string, Attribute> = opset >= 11 ? {} : { min: { type: 'float', value: -0.5 }, max: { type: 'float', value: 1.5 } };
    return withInferredTypes(makeGraph({
      inputs: [{ name: 'x', dtype: 'float32', shape: x }],
      outputs: [{ name: 'y', dtype: 'float32', shape: undefined }],
      nodes: [
        { name: 'n0', op, domain: '', inputs: ['x', ...Object.keys(weights)], outputs: ['pre'], attrs },
        { name: 'clip', op: 'Clip', domain: '', inputs, outputs: ['y'], attrs: clipAttrs },
      ],
      initializers: new Map([...Object.entries(weights), ['lo', new Tensor('float32', Float32Array.of(-0.5), [])], ['hi', new Tensor('float32', Float32Array.of(1.5), [])]]),
      opsets: new Map([['', opset]]),
    }));
  };
  it.each(convCases.slice(0, 6).map((c, i) => [i, c] as const))('Conv case %i, and Gemm at batch 1 and 4', async (i, c) => {
    const { weights, attrs } = convInputs(c, i);
    await check(clipped('Conv', c.x, weights, attrs, 13), c.x, `conv ${i} + clip`);
    for (const batch of [1, 4]) {
      const w = { w: new Tensor('float32', randomFloats(23 * 37, i), [23, 37]) };
      await check(clipped('Gemm', [batch, 37], w, { transB: { type: 'int', value: 1 } }, 13), [batch, 37], `gemm batch ${batch} + clip`);
      // Clip's bounds as attributes (before opset 11), after a MatMul.
      const wt = { w: new Tensor('float32', randomFloats(37 * 23, i + 1), [37, 23]) };
      await check(clipped('MatMul', [batch, 37], wt, {}, 6), [batch, 37], `matmul batch ${batch} + clip (opset 6)`);
    }
  });

  it('leaves no Clip step behind', async () => {
    const graph = clipped('Gemm', [1, 37], { w: new Tensor('float32', randomFloats(23 * 37, 1), [23, 37]) }, { transB: { type: 'int', value: 1 } }, 13);
    const prepared = await cpuBackend.prepare(graph, { precision: 'fp32', threads: 1, profile: true });
    try {
      await prepared.run(new Map([['x', new Tensor('float32', randomFloats(37, 2), [1, 37])]]));
      expect([...prepared.profile!().keys()]).toEqual(['f32_gemv_4x4']);
    } finally {
      await prepared.dispose();
    }
  });
});
