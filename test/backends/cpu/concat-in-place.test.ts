/**
 * Concat without copies on the cpu backend: convolutions whose outputs only a channel Concat reads write
 * their slices of its output directly, whichever algorithm runs them (GEMM, Winograd, FFT, space-to-depth),
 * at batch 2 so that the slices' images are strided. Checked against the reference backend, on 1 and 2
 * threads with identical results, and by the kernels the run dispatches: no f32_concat. A Concat whose
 * input is also read elsewhere still copies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { prepareCpu } from '../../../src/backends/cpu/prepared.js';
import { forcedConvAlgorithm } from '../../../src/backends/cpu/tune.js';
import { referenceBackend } from '../../../src/backends/reference/index.js';
import { Tensor } from '../../../src/core/tensor.js';
import { int, ints } from '../../../src/ir/builder.js';
import { type Graph, type Node, makeGraph } from '../../../src/ir/graph.js';
import { withInferredTypes } from '../../../src/ir/infer.js';
import { relativeError } from '../../helpers/compare.js';
import { randomFloats } from '../../helpers/random.js';

const x = [2, 6, 15, 13];

/** Four convolutions of x (1x1, 3x3, 5x5, and 7x7 stride 2 over a larger input) concatenated along the channels. */
function concatGraph(alsoOutput: boolean): Graph {
  const initializers = new Map<string, Tensor>();
  const nodes: Node[] = [];
  const conv = (name: string, input: string, channels: number, out: number, k: number, pad: number, stride: number, relu: boolean): string => {
    initializers.set(`${name}_w`, new Tensor('float32', randomFloats(out * channels * k * k, nodes.length + 3), [out, channels, k, k]));
    initializers.set(`${name}_b`, new Tensor('float32', randomFloats(out, nodes.length + 40), [out]));
    const y = relu ? `${name}_pre` : name;
    nodes.push({ name, op: 'Conv', domain: '', inputs: [input, `${name}_w`, `${name}_b`], outputs: [y], attrs: { kernel_shape: ints([k, k]), pads: ints([pad, pad, pad, pad]), strides: ints([stride, stride]) } });
    if (relu) nodes.push({ name: `${name}_relu`, op: 'Relu', domain: '', inputs: [y], outputs: [name], attrs: {} });
    return name;
  };
  const parts = [conv('a', 'x', 6, 4, 1, 0, 1, true), conv('b', 'x', 6, 5, 3, 1, 1, true), conv('c', 'x', 6, 3, 5, 2, 1, false), conv('d', 'big', 3, 7, 7, 3, 2, true)];
  nodes.push({ name: 'concat', op: 'Concat', domain: '', inputs: parts, outputs: ['y'], attrs: { axis: int(1) } });
  return withInferredTypes(makeGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: x }, { name: 'big', dtype: 'float32', shape: [2, 3, 30, 26] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: undefined }, ...(alsoOutput ? [{ name: 'b', dtype: 'float32' as const, shape: undefined }] : [])],
    nodes,
    initializers,
  }));
}

const feeds = new Map([
  ['x', new Tensor('float32', randomFloats(x.reduce((a, b) => a * b, 1), 5), x)],
  ['big', new Tensor('float32', randomFloats(2 * 3 * 30 * 26, 6), [2, 3, 30, 26])],
]);

async function run(graph: Graph, threads: number): Promise<{ y: Float32Array; kernels: string[] }> {
  const prepared = await prepareCpu(graph, { precision: 'fp32', threads, profile: true });
  try {
    const y = (await prepared.run(feeds)).get('y')!.data as Float32Array;
    return { y, kernels: [...prepared.profile!().keys()] };
  } finally {
    await prepared.dispose();
  }
}

afterEach(() => {
  forcedConvAlgorithm.name = undefined;
});

describe('cpu backend: Concat written in place by its producers', () => {
  const algorithms = [
    ['gemm im2col 6x8', 'f32_conv_gemm_6x8'],
    ['winograd F(4x4,3x3)', 'f32_winograd_output__simd128'],
    ['winograd F(2x2,5x5)', 'f32_space_to_depth'],
    ['fft 16x16', 'f32_fft_output__simd128'],
  ] as const;
  it.each(algorithms)('with %s where it applies', async (name, kernel) => {
    const graph = concatGraph(false);
    const want = (await (await referenceBackend.prepare(graph, { precision: 'fp32', threads: 1 })).run(feeds)).get('y')!.data as Float32Array;
    forcedConvAlgorithm.name = name;
    const one = await run(graph, 1);
    const two = await run(graph, 2);
    expect(one.kernels).not.toContain('f32_concat');
    expect(one.kernels).toContain(kernel);
    expect(relativeError(one.y, want)).toBeLessThanOrEqual(1e-5);
    expect(Buffer.from(two.y.buffer).equals(Buffer.from(one.y.buffer)), '1 and 2 threads differ').toBe(true);
  });

  it('copies when an input is read elsewhere too', async () => {
    const graph = concatGraph(true);
    const want = (await (await referenceBackend.prepare(graph, { precision: 'fp32', threads: 1 })).run(feeds)).get('y')!.data as Float32Array;
    const got = await run(graph, 2);
    expect(got.kernels).toContain('f32_concat');
    expect(relativeError(got.y, want)).toBeLessThanOrEqual(1e-5);
  });
});
