/**
 * GpuTensors: inputs read on the GPU and outputs left there, in f32 and f16 storage, with a host step
 * (ArgMax) between GPU steps and a non-float32 output; and the errors for misuse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Precision } from '../../../src/backends/backend.js';
import { acquireGpu, releaseGpu } from '../../../src/backends/webgpu/device.js';
import { GpuTensor } from '../../../src/core/gpu-tensor.js';
import { Tensor } from '../../../src/core/tensor.js';
import { encodeOnnx } from '../../../src/formats/onnx/encode.js';
import { ints } from '../../../src/ir/builder.js';
import { type Attribute, type Node, makeGraph } from '../../../src/ir/graph.js';
import { Session } from '../../../src/runtime/session.js';
import { loadBenchModel, loadRuntime } from '../../../src/bench/runtimes.js';
import { expectJouleError } from '../../helpers/errors.js';
import { randomFloats } from '../../helpers/random.js';
import { gpuMissing } from './gpu.js';

const node = (op: string, inputs: string[], outputs: string[], attrs: Record<string, Attribute> = {}): Node => ({ name: `${op}_${outputs[0]}`, op, domain: '', inputs, outputs, attrs });
const weight = (shape: number[], seed: number): Tensor => new Tensor('float32', randomFloats(shape.reduce((a, b) => a * b, 1), seed), shape);

/** x [N,3,8,8] -> Conv+Relu ('features') -> GlobalAveragePool -> Flatten -> Gemm -> Softmax ('prob'), and ArgMax of prob on the host ('top'). */
const model = encodeOnnx({
  producer: 'test',
  metadata: {},
  graph: makeGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3, 8, 8] }],
    outputs: [
      { name: 'features', dtype: 'float32', shape: ['N', 4, 8, 8] },
      { name: 'prob', dtype: 'float32', shape: ['N', 5] },
      { name: 'top', dtype: 'int64', shape: ['N', 1] },
    ],
    nodes: [
      node('Conv', ['x', 'w', 'b'], ['conv'], { pads: ints([1, 1, 1, 1]), kernel_shape: ints([3, 3]) }),
      node('Relu', ['conv'], ['features']),
      node('GlobalAveragePool', ['features'], ['pooled']),
      node('Flatten', ['pooled'], ['flat']),
      node('Gemm', ['flat', 'fw', 'fb'], ['logits'], { transB: { type: 'int', value: 1 } }),
      node('Softmax', ['logits'], ['prob']),
      node('ArgMax', ['prob'], ['top'], { axis: { type: 'int', value: 1 } }),
    ],
    initializers: new Map([
      ['w', weight([4, 3, 3, 3], 1)],
      ['b', weight([4], 2)],
      ['fw', weight([5, 4], 3)],
      ['fb', weight([5], 4)],
    ]),
    opsets: new Map([['', 17]]),
  }),
});

const input = new Tensor('float32', randomFloats(2 * 3 * 8 * 8, 5), [2, 3, 8, 8]);

describe.skipIf(gpuMissing !== undefined)('webgpu backend: GpuTensor inputs and outputs', () => {
  for (const precision of ['fp32', 'fp16'] as Precision[]) {
    it(`${precision}: every mix of host and GPU inputs and outputs gives the host run's values`, async () => {
      const session = await Session.load(model, { backend: 'webgpu', precision, tune: 'heuristic' });
      try {
        const want = await session.run({ x: input });
        const device = await session.gpuDevice();
        const x = GpuTensor.upload(device, input);

        const fromGpu = await session.run({ x });
        for (const name of ['features', 'prob', 'top']) expect(fromGpu[name].data, name).toEqual(want[name].data);

        for (const feed of [input, x]) {
          const out = await session.run({ x: feed }, { outputLocation: 'gpu' });
          const features = out.features as GpuTensor;
          const prob = out.prob as GpuTensor;
          expect(features).toBeInstanceOf(GpuTensor);
          expect(prob.shape).toEqual([2, 5]);
          expect((await features.download()).data).toEqual(want.features.data);
          expect((await prob.download()).data).toEqual(want.prob.data);
          // int64 stays on the host.
          expect(out.top).toBeInstanceOf(Tensor);
          expect((out.top as Tensor).data).toEqual(want.top.data);
          features.destroy();
          prob.destroy();
        }

        // A run returns once its work is queued: a write to its input made after that is ordered after it.
        const before = (await session.run({ x }, { outputLocation: 'gpu' })).prob as GpuTensor;
        const zeros = new Float32Array(input.size);
        device.queue.writeBuffer(x.buffer, 0, zeros);
        const after = (await session.run({ x }, { outputLocation: 'gpu' })).prob as GpuTensor;
        expect((await before.download()).data).toEqual(want.prob.data);
        expect((await after.download()).data).toEqual((await session.run({ x: new Tensor('float32', zeros, input.shape) })).prob.data);
        before.destroy();
        after.destroy();
        x.destroy();
      } finally {
        await session.dispose();
      }
    }, 120_000);
  }

  describe('misuse', () => {
    let session: Session;
    beforeAll(async () => {
      session = await Session.load(model, { backend: 'webgpu', tune: 'heuristic' });
    });
    afterAll(() => session.dispose());

    it('an input on another device, or one a copy cannot read, is refused by name', async () => {
      const other = await acquireGpu('low-power');
      try {
        const elsewhere = GpuTensor.upload(other.device, input);
        await expectJouleError(session.run({ x: elsewhere }), 'BAD_FEED', "input 'x' is a GpuTensor on another GPUDevice");
        elsewhere.destroy();
      } finally {
        await releaseGpu();
      }
      const device = await session.gpuDevice();
      const unreadable = device.createBuffer({ size: input.size * 4, usage: GPUBufferUsage.STORAGE });
      await expectJouleError(session.run({ x: new GpuTensor(device, unreadable, input.shape) }), 'BAD_FEED', 'lacks GPUBufferUsage.COPY_SRC');
      unreadable.destroy();
    });

    it('a destroyed buffer fails the run and the download, rather than giving stale values', async () => {
      const device = await session.gpuDevice();
      const x = GpuTensor.upload(device, input);
      x.destroy();
      await expectJouleError(session.run({ x }), 'BAD_FEED', 'GpuTensor input (its buffer destroyed?)');
      await expectJouleError(x.download(), 'BAD_ARGUMENT', 'this GpuTensor cannot be read');
      // The session still runs.
      expect((await session.run({ x: input })).prob.shape).toEqual([2, 5]);
    });

    it('shapes are checked as for host tensors, and a buffer too small for its shape is refused', async () => {
      const device = await session.gpuDevice();
      const x = GpuTensor.upload(device, input);
      await expectJouleError(session.run({ x: new GpuTensor(device, x.buffer, [2, 3, 4, 16]) }), 'BAD_FEED', "input 'x' expects shape");
      expect(() => new GpuTensor(device, x.buffer, [3, 3, 8, 8])).toThrow(/needs 2304 bytes; the GPUBuffer has 1536/);
      await expectJouleError(session.run({ x }, { outputLocation: 'disk' as 'gpu' }), 'BAD_ARGUMENT', "unknown outputLocation 'disk'");
      x.destroy();
    });
  });

  it('other backends download GpuTensor inputs, and refuse outputs on the GPU', async () => {
    const gpu = await Session.load(model, { backend: 'webgpu', tune: 'heuristic' });
    const cpu = await Session.load(model, { backend: 'cpu', threads: 1 });
    try {
      const x = GpuTensor.upload(await gpu.gpuDevice(), input);
      const want = await cpu.run({ x: input });
      expect((await cpu.run({ x })).prob.data).toEqual(want.prob.data);
      await expectJouleError(cpu.run({ x }, { outputLocation: 'gpu' }), 'BAD_ARGUMENT', "outputLocation 'gpu' needs the webgpu backend; this session runs on cpu");
      await expectJouleError(cpu.gpuDevice(), 'BAD_ARGUMENT', 'the cpu backend runs on no GPUDevice');
      x.destroy();
    } finally {
      await cpu.dispose();
      await gpu.dispose();
    }
  });

  it("joule bench's webgpu-resident runtime runs on inputs uploaded once and frees them", async () => {
    const model = await loadBenchModel('caffenet');
    const runtime = await loadRuntime({ runtime: 'joule', backend: 'webgpu-resident' }, model, 'fp32', 1);
    try {
      expect(runtime.id.backend).toBe('webgpu-resident');
      const target = await runtime.prepare(1);
      await target.run();
      await target.run();
      expect(await runtime.device?.()).toMatch(/\S/);
    } finally {
      await runtime.dispose();
    }
  }, 120_000);

  it('runs on a GPUDevice the caller gives, which stays open after the session', async () => {
    // A device joule did not open for this session stands for one the caller made.
    const own = await acquireGpu('low-power');
    try {
      const reference = await Session.load(model, { backend: 'reference' });
      const want = await reference.run({ x: input });
      for (const precision of ['fp32', 'fp16'] as Precision[]) {
        const session = await Session.load(model, { backend: 'webgpu', precision, gpuDevice: own.device, tune: 'heuristic' });
        expect(await session.gpuDevice()).toBe(own.device);
        const x = GpuTensor.upload(own.device, input);
        const prob = (await session.run({ x }, { outputLocation: 'gpu' })).prob as GpuTensor;
        const got = (await prob.download()).data;
        for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - (want.prob.data as Float32Array)[i])).toBeLessThan(precision === 'fp16' ? 1e-2 : 1e-5);
        prob.destroy();
        x.destroy();
        await session.dispose();
      }
      // Still open: joule did not destroy it.
      expect(own.lost).toBeUndefined();
      GpuTensor.upload(own.device, input).destroy();
      await expectJouleError(Session.load(model, { backend: 'cpu', gpuDevice: own.device }), 'BAD_ARGUMENT', 'gpuDevice is for the webgpu backend; this session runs on cpu');
      await expectJouleError(Session.load(model, { backend: 'webgpu', gpuDevice: {} as GPUDevice }), 'BAD_ARGUMENT', 'gpuDevice must be a GPUDevice');
      await reference.dispose();
    } finally {
      await releaseGpu();
    }
  }, 120_000);
});
