import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { GraphBuilder, int } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { Session } from '../../src/runtime/session.js';
import { expectJouleError } from '../helpers/errors.js';
import { gpuMissing } from '../backends/webgpu/gpu.js';

function bytesOf(graph: Graph): Uint8Array {
  return encodeOnnx({ graph, producer: 'test', metadata: {} });
}

/** y = softmax(x W + b) over a symbolic batch, plus a second input z[N, 2] added to nothing but checked. */
function smallClassifier(): Graph {
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', ['N', 3]);
  b.input('z', 'float32', ['N', 2]);
  const w = b.initializer('w', Tensor.from('float32', [1, 0, 0, 1, 1, 1, 0, 2], [2, 4]).reshape([2, 4]));
  const proj = b.initializer('proj', Tensor.from('float32', [1, 0, 0, 1, 1, 1], [3, 2]));
  const h = b.op('MatMul', [x, proj]);
  const logits = b.op('MatMul', [h, w]);
  const y = b.op('Softmax', [logits], { axis: int(1) }, 'prob');
  b.output(y, 'float32', ['N', 4]);
  return b.build();
}

describe('Session', () => {
  it('runs a model from bytes and reports symbolic inputs', async () => {
    const session = await Session.load(bytesOf(smallClassifier()), { backend: 'reference' });
    expect(session.inputs.map((v) => [v.name, v.dtype, v.shape])).toEqual([
      ['x', 'float32', ['N', 3]],
      ['z', 'float32', ['N', 2]],
    ]);
    const out = await session.run({ x: Tensor.from('float32', [1, 2, 3, 0, 0, 0], [2, 3]), z: Tensor.zeros('float32', [2, 2]) });
    expect(out.prob.shape).toEqual([2, 4]);
    const p = out.prob.data as Float32Array;
    expect(p[4] + p[5] + p[6] + p[7]).toBeCloseTo(1, 6);
    expect(p[4]).toBeCloseTo(0.25, 6);
    await session.dispose();
    await expectJouleError(session.run({}), 'BAD_ARGUMENT', 'disposed');
  });

  it('names the input, what was expected and what was given for a bad feed', async () => {
    const session = await Session.load(bytesOf(smallClassifier()));
    const x = Tensor.zeros('float32', [2, 3]);
    const z = Tensor.zeros('float32', [2, 2]);
    await expectJouleError(session.run({ x, z, extra: x }), 'BAD_FEED', "unknown input 'extra'", 'x (float32 [N, 3])');
    await expectJouleError(session.run({ x }), 'BAD_FEED', 'missing input z');
    await expectJouleError(session.run({ x: Tensor.zeros('int32', [2, 3]), z }), 'BAD_FEED', "'x'", 'float32', 'int32');
    await expectJouleError(session.run({ x: Tensor.zeros('float32', [6]), z }), 'BAD_FEED', "'x'", 'rank 2', 'rank 1');
    await expectJouleError(session.run({ x: Tensor.zeros('float32', [2, 4]), z }), 'BAD_FEED', "'x'", '[N, 3]', '[2, 4]');
    await expectJouleError(session.run({ x, z: Tensor.zeros('float32', [3, 2]) }), 'BAD_FEED', "'N'", '2', '3');
    await session.dispose();
  });

  it('lists every unsupported op at load, with name, op type and domain', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [1, 4]);
    const a = b.op('Relu', [x]);
    const c = b.node('Frobnicate', [a], {}, { name: 'frob', domain: 'com.example' })[0];
    const d = b.op('TfIdfVectorizer', [c], {}, 'tfidf');
    b.output(d, 'float32', undefined);
    await expectJouleError(Session.load(bytesOf(b.build())), 'UNSUPPORTED_OPS', "'frob' (op Frobnicate, domain 'com.example')", "'tfidf' (op TfIdfVectorizer");
  });

  it('rejects a node that reads a missing initializer', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [1, 4]);
    const y = b.op('MatMul', [x, 'weights_that_are_not_there']);
    b.output(y, 'float32', [1, 4]);
    await expectJouleError(Session.load(bytesOf(b.build())), 'MODEL_INVALID', 'weights_that_are_not_there');
  });

  it('rejects truncated and corrupt model bytes', async () => {
    const bytes = bytesOf(smallClassifier());
    await expectJouleError(Session.load(bytes.subarray(0, Math.floor(bytes.length * 0.6))), 'MODEL_DECODE');
    await expectJouleError(Session.load(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3])), 'MODEL_DECODE');
    await expectJouleError(Session.load('does/not/exist.onnx'), 'IO', 'does/not/exist.onnx');
  });

  it('validates options', async () => {
    const bytes = bytesOf(smallClassifier());
    await expectJouleError(Session.load(bytes, { backend: 'gpu' as 'reference' }), 'BAD_ARGUMENT', "'gpu'", 'reference');
    await expectJouleError(Session.load(bytes, { precision: 'fp8' as 'fp16' }), 'BAD_ARGUMENT', 'fp8');
    await expectJouleError(Session.load(bytes, { threads: 0 }), 'BAD_ARGUMENT', 'threads');
  });

  it('fp16 precision stores weights in float16 and agrees with fp32', async () => {
    const bytes = bytesOf(smallClassifier());
    const fp32 = await Session.load(bytes);
    const fp16 = await Session.load(bytes, { precision: 'fp16' });
    expect([...fp16.graph.initializers.values()].map((t) => t.dtype)).toContain('float16');
    const feeds = { x: Tensor.from('float32', [0.1, 0.7, -0.3], [1, 3]), z: Tensor.zeros('float32', [1, 2]) };
    const a = (await fp32.run(feeds)).prob.data as Float32Array;
    const h = (await fp16.run(feeds)).prob.data as Float32Array;
    for (let i = 0; i < 4; i++) expect(Math.abs(a[i] - h[i])).toBeLessThan(1e-3);
  });
});

describe('Session limits', () => {
  it('a model that asks for a tensor larger than memory fails with OUT_OF_MEMORY naming it', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [1]);
    const big = b.op('ConstantOfShape', [b.initializer('shape', Tensor.from('int64', [1e6, 1e6]))], {}, 'huge');
    const y = b.op('Add', [big, x]);
    b.output(y, 'float32', undefined);
    await expectJouleError(
      Session.load(bytesOf(b.build())).then((s) => s.run({ x: Tensor.zeros('float32', [1]) })),
      'OUT_OF_MEMORY',
      '[1000000, 1000000]',
    );
  });
});

describe('Session on the cpu backend: plans of several batch sizes', () => {
  it('share one memory, evict the oldest past maxPlans, and keep giving the reference\'s results', async () => {
    const bytes = bytesOf(smallClassifier());
    const cpu = await Session.load(bytes, { backend: 'cpu', threads: 2, maxPlans: 2, precision: 'fp16' });
    const reference = await Session.load(bytes, { backend: 'reference', precision: 'fp16' });
    try {
      for (const batch of [1, 3, 9, 1, 3, 2, 9]) {
        const x = Tensor.from('float32', Array.from({ length: batch * 3 }, (_, i) => Math.sin(i + batch)), [batch, 3]);
        const feeds = { x, z: Tensor.zeros('float32', [batch, 2]) };
        const got = (await cpu.run(feeds)).prob.data as Float32Array;
        const want = (await reference.run(feeds)).prob.data as Float32Array;
        expect(got.length).toBe(batch * 4);
        got.forEach((v, i) => expect(v, `batch ${batch}, value ${i}`).toBeCloseTo(want[i], 5));
      }
    } finally {
      await cpu.dispose();
      await reference.dispose();
    }
    await expectJouleError(cpu.run({ x: Tensor.zeros('float32', [1, 3]), z: Tensor.zeros('float32', [1, 2]) }), 'BAD_ARGUMENT', 'disposed');
  });
});

// A plan evicted by another run's new shape is released only when the runs holding it end (webgpu's
// runs await the GPU between their steps).
describe.each<'cpu' | 'webgpu'>(['cpu', ...(gpuMissing === undefined ? ['webgpu' as const] : [])])('Session on %s: runs of more shapes than maxPlans at once', (backend) => {
  it('all complete, with the right results', async () => {
    const session = await Session.load(bytesOf(smallClassifier()), { backend, maxPlans: 1 });
    try {
      const runs = [1, 2, 3, 1, 4, 2, 5].map((batch) => session.run({ x: Tensor.zeros('float32', [batch, 3]), z: Tensor.zeros('float32', [batch, 2]) }));
      const results = await Promise.all(runs);
      expect(results.map((r) => r.prob.shape[0])).toEqual([1, 2, 3, 1, 4, 2, 5]);
      for (const r of results) for (const v of r.prob.data as Float32Array) expect(v).toBeCloseTo(0.25, 6);
    } finally {
      await session.dispose();
    }
  });
});
