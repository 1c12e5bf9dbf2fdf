/**
 * MaxPool, AveragePool, LRN, Concat and Softmax on the cpu backend's wasm kernels against the reference backend over
 * a sweep of windows (kernels 1, 3, 5, 7; strides 1-3; symmetric and asymmetric pads; ceil_mode;
 * count_include_pad), prime sizes and batches 1-3, with results bit-identical on 1, 2 and 3 threads. Every
 * graph is also checked to run on the wasm kernels, not on reference kernels.
 */
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../../src/backends/cpu/index.js';
import { referenceBackend } from '../../../src/backends/reference/index.js';
import type { Backend } from '../../../src/backends/backend.js';
import { Tensor } from '../../../src/core/tensor.js';
import { type Attribute, type Graph, type Node, makeGraph } from '../../../src/ir/graph.js';
import { withInferredTypes } from '../../../src/ir/infer.js';
import { relativeError } from '../../helpers/compare.js';
import { int, ints } from '../../../src/ir/builder.js';
import { randomFloats } from '../../helpers/random.js';


/** A graph whose nodes each read some of the inputs and write one graph output. */
function graphOf(inputs: Record<string, number[]>, nodes: Omit<Node, 'name' | 'domain'>[]): Graph {
  return withInferredTypes(makeGraph({
    inputs: Object.entries(inputs).map(([name, shape]) => ({ name, dtype: 'float32', shape })),
    outputs: nodes.map((n) => ({ name: n.outputs[0], dtype: 'float32', shape: undefined })),
    nodes: nodes.map((n, i) => ({ ...n, name: `n${i}`, domain: '' })),
    initializers: new Map(),
  }));
}

async function runOn(graph: Graph, feeds: Map<string, Tensor>, backend: Backend, threads: number): Promise<{ outputs: Map<string, Tensor>; steps: string[] }> {
  const prepared = await backend.prepare(graph, { precision: 'fp32', threads, profile: backend === cpuBackend });
  try {
    const outputs = await prepared.run(feeds);
    return { outputs, steps: [...(prepared.profile?.() ?? new Map()).keys()] };
  } finally {
    await prepared.dispose();
  }
}

async function check(graph: Graph, kernels: string[], tolerance: number): Promise<void> {
  const feeds = new Map(graph.inputs.map((v, i) => {
    const shape = v.shape as number[];
    return [v.name, new Tensor('float32', randomFloats(shape.reduce((a, b) => a * b, 1), 17 + i), shape)] as const;
  }));
  const want = (await runOn(graph, feeds, referenceBackend, 1)).outputs;
  const one = await runOn(graph, feeds, cpuBackend, 1);
  expect(one.steps.sort(), 'steps run on wasm kernels').toEqual([...kernels].sort());
  const others = [await runOn(graph, feeds, cpuBackend, 2), await runOn(graph, feeds, cpuBackend, 3)];
  for (const node of graph.nodes) {
    const name = node.outputs[0];
    const label = `${node.op} ${JSON.stringify(node.attrs)} ${name}`;
    const got = one.outputs.get(name)!;
    expect(got.shape, label).toEqual(want.get(name)!.shape);
    expect(relativeError(got.data as Float32Array, want.get(name)!.data as Float32Array), label).toBeLessThanOrEqual(tolerance);
    for (const other of others) {
      const bytes = Buffer.from((other.outputs.get(name)!.data as Float32Array).buffer);
      expect(bytes.equals(Buffer.from((got.data as Float32Array).buffer)), `${label}: thread counts differ`).toBe(true);
    }
  }
}

/** Pad sets for a kernel: none, symmetric, and asymmetric ones (every pad below the kernel). */
function padSets(k: number): number[][] {
  if (k === 1) return [[0, 0, 0, 0]];
  const h = Math.floor(k / 2);
  return [[0, 0, 0, 0], [h, h, h, h], [k - 1, 0, 1, k - 1], [0, 1, h, 0]];
}

describe('cpu backend: MaxPool and AveragePool against the reference', () => {
  const cases = [1, 3, 5, 7].flatMap((kernel) => [1, 2, 3].map((stride) => [kernel, stride] as const));
  it.each(cases)('kernel %i, stride %i', async (kernel, stride) => {
    const batch = 1 + ((kernel + stride) % 3);
    const x = [batch, 3, 13, 23];
    const nodes: Omit<Node, 'name' | 'domain'>[] = [];
    for (const pads of padSets(kernel)) {
      for (const ceil of [0, 1]) {
        const window = { kernel_shape: ints([kernel, kernel]), strides: ints([stride, stride]), pads: ints(pads), ceil_mode: int(ceil) };
        nodes.push({ op: 'MaxPool', inputs: ['x'], outputs: [`max${nodes.length}`], attrs: window });
        for (const includePad of [0, 1]) {
          nodes.push({ op: 'AveragePool', inputs: ['x'], outputs: [`avg${nodes.length}`], attrs: { ...window, count_include_pad: int(includePad) } });
        }
      }
    }
    await check(graphOf({ x }, nodes), ['f32_maxpool2d__simd128', 'f32_avgpool2d__simd128'], 1e-5);
  });

  it('non-square windows and strides, auto_pad SAME_UPPER, and a 1x1 plane', async () => {
    const nodes: Omit<Node, 'name' | 'domain'>[] = [
      { op: 'MaxPool', inputs: ['x'], outputs: ['a'], attrs: { kernel_shape: ints([3, 2]), strides: ints([2, 3]), pads: ints([1, 0, 2, 1]), ceil_mode: int(1) } },
      { op: 'AveragePool', inputs: ['x'], outputs: ['b'], attrs: { kernel_shape: ints([2, 5]), strides: ints([1, 2]), auto_pad: { type: 'string', value: 'SAME_UPPER' } } },
      { op: 'MaxPool', inputs: ['p'], outputs: ['c'], attrs: { kernel_shape: ints([1, 1]) } },
    ];
    await check(graphOf({ x: [2, 5, 17, 19], p: [3, 2, 1, 1] }, nodes), ['f32_maxpool2d__simd128', 'f32_avgpool2d__simd128'], 1e-5);
  });

  it('leaves MaxPool with its Indices output and dilated pools on the reference kernels', async () => {
    const nodes: Omit<Node, 'name' | 'domain'>[] = [
      { op: 'MaxPool', inputs: ['x'], outputs: ['a', 'i'], attrs: { kernel_shape: ints([3, 3]) } },
      { op: 'MaxPool', inputs: ['x'], outputs: ['b'], attrs: { kernel_shape: ints([2, 2]), dilations: ints([2, 2]) } },
    ];
    const graph = graphOf({ x: [1, 2, 7, 7] }, nodes);
    const feeds = new Map([['x', new Tensor('float32', randomFloats(98, 3), [1, 2, 7, 7])]]);
    expect((await runOn(graph, feeds, cpuBackend, 2)).steps).toEqual(['MaxPool']);
  });
});

describe('cpu backend: LRN against the reference', () => {
  it.each([1, 3, 5])('size %i', async (size) => {
    const attrs = (beta: number): Record<string, Attribute> => ({
      size: int(size), alpha: { type: 'float', value: 1e-2 }, beta: { type: 'float', value: beta }, bias: { type: 'float', value: 1.5 },
    });
    const nodes: Omit<Node, 'name' | 'domain'>[] = [
      { op: 'LRN', inputs: ['x'], outputs: ['a'], attrs: attrs(0.75) },
      { op: 'LRN', inputs: ['x'], outputs: ['b'], attrs: attrs(0.6) },
      { op: 'LRN', inputs: ['z'], outputs: ['c'], attrs: attrs(0.75) },
    ];
    await check(graphOf({ x: [size, 7, 5, 3], z: [2, 11, 13] }, nodes), ['f32_lrn__simd128'], 1e-5);
  });
});

describe('cpu backend: Concat against the reference', () => {
  it.each([2, 3, 4])('%i inputs', async (count) => {
    const channels = [3, 16, 1, 7].slice(0, count);
    const inputs = Object.fromEntries(channels.map((c, i) => [`x${i}`, [count - 1, c, 5, 3]]));
    const names = Object.keys(inputs);
    const nodes: Omit<Node, 'name' | 'domain'>[] = [
      { op: 'Concat', inputs: names, outputs: ['y'], attrs: { axis: int(1) } },
      { op: 'Concat', inputs: [...names].reverse(), outputs: ['z'], attrs: { axis: int(-3) } },
    ];
    await check(graphOf(inputs, nodes), ['f32_concat'], 0);
  });
});

describe('cpu backend: Softmax against the reference', () => {
  it('normalises the last axis (opset 17), rows of 1 to 1000', async () => {
    const nodes: Omit<Node, 'name' | 'domain'>[] = [
      { op: 'Softmax', inputs: ['a'], outputs: ['ya'], attrs: {} },
      { op: 'Softmax', inputs: ['b'], outputs: ['yb'], attrs: { axis: int(3) } },
      { op: 'Softmax', inputs: ['c'], outputs: ['yc'], attrs: { axis: int(-1) } },
    ];
    await check(graphOf({ a: [3, 1000], b: [2, 3, 7, 5], c: [4, 1] }, nodes), ['f32_softmax'], 1e-6);
  });

  it('coerces to 2-D at the axis before opset 13, and leaves an inner axis of opset 13 to the reference kernel', async () => {
    const old = { ...graphOf({ a: [2, 3, 4, 5] }, [{ op: 'Softmax', inputs: ['a'], outputs: ['y'], attrs: { axis: int(1) } }]), opsets: new Map([['', 11]]) };
    await check(old, ['f32_softmax'], 1e-6);
    await check(graphOf({ a: [2, 5, 4] }, [{ op: 'Softmax', inputs: ['a'], outputs: ['y'], attrs: { axis: int(1) } }]), ['Softmax'], 1e-6);
  });
});

describe('cpu backend: views', () => {
  it('runs Flatten and Identity as views of their input buffer, graph outputs too', async () => {
    const nodes: Omit<Node, 'name' | 'domain'>[] = [
      { op: 'MaxPool', inputs: ['x'], outputs: ['p'], attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) } },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'], attrs: {} },
      { op: 'Identity', inputs: ['f'], outputs: ['i'], attrs: {} },
      { op: 'Softmax', inputs: ['i'], outputs: ['s'], attrs: {} },
    ];
    await check(graphOf({ x: [2, 3, 8, 8] }, nodes), ['f32_maxpool2d__simd128', 'f32_softmax'], 1e-6);
  });
});
