/**
 * The plans of one session on the cpu backend share a thread pool, one WebAssembly memory and the packed
 * weights in it: a second batch size stores no second copy of a fully connected layer's weights (the GEMV
 * at batch 1 and the FC GEMM above read the same row-major matrix), the weights only losing candidates
 * read are let go, plans run correctly side by side in their own regions, and a disposed plan frees what
 * it held and refuses to run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tileRowsOf } from '../../../src/backends/cpu/jobs.js';
import { CpuMemory } from '../../../src/backends/cpu/memory.js';
import { prepareCpu } from '../../../src/backends/cpu/prepared.js';
import { forcedConvAlgorithm } from '../../../src/backends/cpu/tune.js';
import { weightsToFp16 } from '../../../src/passes/to-fp16.js';
import { referenceBackend } from '../../../src/backends/reference/index.js';
import type { PreparedGraph } from '../../../src/backends/backend.js';
import { Tensor } from '../../../src/core/tensor.js';
import { int, ints } from '../../../src/ir/builder.js';
import { type Graph, makeGraph } from '../../../src/ir/graph.js';
import { withInferredTypes } from '../../../src/ir/infer.js';
import { relativeError } from '../../helpers/compare.js';
import { randomFloats } from '../../helpers/random.js';

const [channels, side, features] = [16, 10, 300];
const fcWeightBytes = features * channels * side * side * 4;

// One set of weights for every batch size, as a session's plans share them.
const initializers = new Map<string, Tensor>([
  ['w', new Tensor('float32', randomFloats(channels * channels * 9, 1), [channels, channels, 3, 3])],
  ['b', new Tensor('float32', randomFloats(channels, 2), [channels])],
  ['fw', new Tensor('float32', randomFloats(features * channels * side * side, 3), [features, channels * side * side])],
  ['fb', new Tensor('float32', randomFloats(features, 4), [features])],
]);

/** Conv 3x3 (Winograd's candidates and the GEMM's) + Relu + Flatten + Gemm, at a batch size. */
function net(batch: number): Graph {
  return withInferredTypes(makeGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: [batch, channels, side, side] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: undefined }],
    nodes: [
      { name: 'conv', op: 'Conv', domain: '', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) } },
      { name: 'relu', op: 'Relu', domain: '', inputs: ['c'], outputs: ['r'], attrs: {} },
      { name: 'flat', op: 'Flatten', domain: '', inputs: ['r'], outputs: ['f'], attrs: { axis: int(1) } },
      { name: 'fc', op: 'Gemm', domain: '', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: int(1) } },
    ],
    initializers,
  }));
}

function feeds(batch: number): Map<string, Tensor> {
  const shape = [batch, channels, side, side];
  return new Map([['x', new Tensor('float32', randomFloats(shape.reduce((a, b) => a * b), 10 + batch), shape)]]);
}

async function check(plan: PreparedGraph, batch: number): Promise<Float32Array> {
  const want = (await (await referenceBackend.prepare(net(batch), { precision: 'fp32', threads: 1 })).run(feeds(batch))).get('y')!.data as Float32Array;
  const got = (await plan.run(feeds(batch))).get('y')!.data as Float32Array;
  expect(relativeError(got, want)).toBeLessThan(1e-5);
  return got;
}

const open: { memory?: CpuMemory } = {};
afterEach(async () => {
  forcedConvAlgorithm.name = undefined;
  await open.memory?.dispose();
  open.memory = undefined;
});

describe('cpu backend: plans sharing a memory', () => {
  it('store each fully connected layer once across batch sizes, free on dispose, and run side by side', async () => {
    const memory = (open.memory = await CpuMemory.create(2));
    const options = { precision: 'fp32' as const, threads: 2, tune: 'measure' as const };
    const one = await prepareCpu(net(1), options, undefined, memory);
    const afterOne = memory.weightBytes;
    expect(afterOne).toBeGreaterThanOrEqual(fcWeightBytes);
    const three = await prepareCpu(net(3), options, undefined, memory);
    // Only the convolution's pick at batch 3 may add weights; the Gemm's are the batch-1 plan's.
    expect(memory.weightBytes - afterOne).toBeLessThan(fcWeightBytes / 4);
    const first = await check(one, 1);
    await check(three, 3);
    // Runs of one plan leave the other's results alone.
    expect(Buffer.from((await one.run(feeds(1))).get('y')!.data.buffer).equals(Buffer.from(first.buffer))).toBe(true);

    await one.dispose();
    await expect(one.run(feeds(1))).rejects.toThrow(/disposed/);
    expect(memory.weightBytes).toBeGreaterThanOrEqual(fcWeightBytes);
    await check(three, 3);
    // A new plan takes the freed region and the stored weights.
    const bytes = memory.bytes;
    const again = await prepareCpu(net(1), options, undefined, memory);
    expect(memory.bytes).toBe(bytes);
    await check(again, 1);
    await again.dispose();
    await three.dispose();
    expect(memory.weightBytes).toBe(0);
  });

  it('store float16 weights as float16 for the GEMMs, with the reference\'s results on those weights', async () => {
    const memory = (open.memory = await CpuMemory.create(2));
    forcedConvAlgorithm.name = 'gemm im2col 6x8';
    const half = (batch: number): Graph => withInferredTypes(weightsToFp16(net(batch)));
    for (const batch of [1, 4]) {
      const plan = await prepareCpu(half(batch), { precision: 'fp16', threads: 2 }, undefined, memory);
      const rows = tileRowsOf(memory.build);
      expect(memory.weightBytes).toBe(fcWeightBytes / 2 + Math.ceil(channels / rows) * rows * channels * 9 * 2);
      const want = (await (await referenceBackend.prepare(half(batch), { precision: 'fp16', threads: 1 })).run(feeds(batch))).get('y')!.data as Float32Array;
      const got = (await plan.run(feeds(batch))).get('y')!.data as Float32Array;
      expect(relativeError(got, want)).toBeLessThan(1e-5);
      expect(plan.warnings).toEqual([]);
      await plan.dispose();
    }
  });

  it('fall back to a memory of their own where the session\'s cannot grow', async () => {
    const memory = (open.memory = await CpuMemory.create(2));
    // As a session's memory past WebAssembly's 4 GiB would answer.
    memory.allocate = () => undefined;
    const plan = await prepareCpu(net(2), { precision: 'fp32', threads: 2 }, undefined, memory);
    expect(memory.weightBytes).toBe(0);
    await check(plan, 2);
    await plan.dispose();
    await expect(plan.run(feeds(2))).rejects.toThrow(/disposed/);
  });

  it('keep only the chosen candidate\'s weights after measuring', async () => {
    const memory = (open.memory = await CpuMemory.create(1));
    const plan = await prepareCpu(net(2), { precision: 'fp32', threads: 1, tune: 'measure' }, undefined, memory);
    const algorithm = (plan.algorithms!()).get('conv')!;
    const convBytes = memory.weightBytes - fcWeightBytes;
    // The GEMM's packed weights (16 rows padded to the tile's, 144 columns) or one Winograd variant's, never several.
    const positions = algorithm.includes('F(4x4') ? 36 : algorithm.includes('F(2x2') ? 16 : 9;
    const rows = tileRowsOf(memory.build);
    const expected = positions * Math.ceil(channels / rows) * rows * channels * 4;
    expect(convBytes).toBeGreaterThanOrEqual(channels * channels * 9 * 4);
    expect(convBytes).toBeLessThanOrEqual(expected + 1024);
    await check(plan, 2);
    await plan.dispose();
  });
});
