import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { decodeOnnx } from '../../src/formats/onnx/decode.js';
import { encodeOnnx, irVersionForOpset } from '../../src/formats/onnx/encode.js';
import { type ModelProtoMsg, onnxTypes } from '../../src/formats/onnx/schema.js';
import { int64ToNumber } from '../../src/formats/onnx/tensor-proto.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph, Model } from '../../src/ir/graph.js';
import { demoModel, everyAttributeModel, nodeTestFile } from './onnx-fixtures.js';

function roundTrip(m: Model): Model {
  return decodeOnnx(encodeOnnx(m));
}

/** Every tensor of a graph (initializers and tensor attributes, subgraphs included) as raw bytes. */
function tensorBytes(g: Graph, out: Uint8Array[] = []): Uint8Array[] {
  const bytes = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  for (const t of g.initializers.values()) out.push(bytes(t));
  for (const n of g.nodes) {
    for (const a of Object.values(n.attrs)) {
      if (a.type === 'tensor') out.push(bytes(a.value));
      if (a.type === 'graph') tensorBytes(a.value, out);
    }
  }
  return out;
}

function rawModelProto(bytes: Uint8Array): ModelProtoMsg {
  return onnxTypes().ModelProto.decode(bytes) as unknown as ModelProtoMsg;
}

describe('encodeOnnx', () => {
  it('round-trips a model with every attribute kind, symbolic dims, custom domains and metadata', () => {
    const m = everyAttributeModel();
    const back = roundTrip(m);
    expect(back.producer).toBe('joule');
    expect(back.metadata).toEqual(m.metadata);
    expect(back.graph).toEqual(m.graph);
    expect(back.graph.nodes[0].attrs.s).toEqual({ type: 'string', value: 'héllo ✓' });
    expect(back.graph.nodes[0].attrs.big).toEqual({ type: 'int', value: 2 ** 40 + 3 });
  });

  it('round-trips initializers of every dtype bit for bit (NaN payloads, -0, int64 extremes)', () => {
    const g = new GraphBuilder('dtypes', 17);
    const x = g.input('x', 'float32', [1]);
    const f32 = new Float32Array([0, -0, 1.5, NaN, -Infinity]);
    new Uint32Array(f32.buffer)[3] = 0x7fc12345; // a NaN with a payload
    g.initializer('f32', new Tensor('float32', f32, [5]));
    g.initializer('f16', new Tensor('float16', Uint16Array.of(0x3c00, 0x8000, 0x7e01, 0x0001), [2, 2]));
    g.initializer('i64', new Tensor('int64', BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n, 0n), [3]));
    g.initializer('i32', Tensor.from('int32', [-(2 ** 31), 2 ** 31 - 1], [2]));
    g.initializer('u8', Tensor.from('uint8', [0, 128, 255], [3, 1]));
    g.initializer('bool', Tensor.from('bool', [1, 0], [2]));
    g.initializer('scalar', Tensor.scalar('float32', 7));
    g.initializer('empty', Tensor.zeros('int64', [0, 4]));
    g.output(g.op('Identity', [x]), 'float32', [1]);
    const m: Model = { graph: g.build(), producer: 'test', metadata: {} };
    const back = roundTrip(m);
    expect(back.graph.initializers).toEqual(m.graph.initializers);
    expect(tensorBytes(back.graph)).toEqual(tensorBytes(m.graph));
  });

  it('round-trips the demo model and node-test models exactly', () => {
    const demo = demoModel();
    expect(roundTrip(demo).graph).toEqual(demo.graph);
    for (const test of ['test_if', 'test_constant', 'test_conv_with_strides_padding', 'test_cast_FLOAT_to_FLOAT16']) {
      const m = decodeOnnx(nodeTestFile(test, 'model.onnx'));
      const back = roundTrip(m);
      expect(back.graph, test).toEqual(m.graph);
      expect(tensorBytes(back.graph), test).toEqual(tensorBytes(m.graph));
    }
  });

  it('writes producer, opsets and the IR version of the official release table', () => {
    expect([7, 8, 9, 10, 11, 12, 14, 15, 17, 18, 19, 20, 21, 22, 23].map(irVersionForOpset)).toEqual([
      3, 3, 4, 5, 6, 7, 7, 8, 8, 8, 9, 9, 10, 10, 11,
    ]);
    const m = everyAttributeModel();
    const raw = rawModelProto(encodeOnnx(m));
    expect(raw.producer_name).toBe('joule');
    expect(int64ToNumber(raw.ir_version)).toBe(7); // opset 13
    expect(raw.opset_import.map((o) => [o.domain, int64ToNumber(o.version)])).toEqual([['', 13], ['com.example', 2]]);
    expect(raw.graph!.value_info.map((v) => v.name)).toEqual(['unused_value']);
    expect(raw.graph!.initializer).toEqual([]);
    // Initializers are written as raw_data, never repeated as graph inputs.
    const demo = rawModelProto(encodeOnnx(demoModel()));
    expect(demo.graph!.input.map((v) => v.name)).toEqual(['x', 'cond']);
    expect(demo.graph!.initializer.map((t) => [t.name, t.raw_data.byteLength, t.float_data.length])).toEqual([['W', 24, 0], ['b', 8, 0]]);
  });
});

describe('encoded models in onnxruntime', () => {
  it('computes Relu(x·W + b) for a MatMul + Add + Relu graph', async () => {
    const g = new GraphBuilder('mlp', 17);
    const x = g.input('x', 'float32', ['N', 3]);
    const w = g.initializer('W', Tensor.from('float32', [1, -1, 2, 0.5, -3, 1], [3, 2]));
    const b = g.initializer('b', Tensor.from('float32', [0.5, -1], [2]));
    const [y] = g.node('Relu', [g.op('Add', [g.op('MatMul', [x, w]), b])], {}, { outputs: ['y'] });
    g.output(y, 'float32', ['N', 2]);
    const session = await ort.InferenceSession.create(encodeOnnx({ graph: g.build(), producer: 'test', metadata: {} }));
    const feed = new ort.Tensor('float32', Float32Array.from([1, 2, 3, -1, 0, 1]), [2, 3]);
    const out = await session.run({ x: feed });
    // Row 1: [1*1 + 2*2 + 3*-3, 1*-1 + 2*0.5 + 3*1] + b = [-4, 3] + [0.5, -1] -> relu [0, 2]
    // Row 2: [-1*1 + 0 + 1*-3, -1*-1 + 0 + 1*1] + b = [-4, 2] + [0.5, -1] -> relu [0, 1]
    expect(out.y.dims).toEqual([2, 2]);
    expect(Array.from(out.y.data as Float32Array)).toEqual([0, 2, 0, 1]);
  });

  it('runs the demo model with an If subgraph that reads an outer initializer', async () => {
    const session = await ort.InferenceSession.create(encodeOnnx(demoModel()));
    const x = new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [1, 3]);
    const run = async (cond: boolean) =>
      Array.from((await session.run({ x, cond: new ort.Tensor('bool', Uint8Array.of(cond ? 1 : 0), []) })).y.data as Float32Array);
    // Relu(x·W + b) = [0, 2]; the then branch adds [1, 2], the else branch b + b = [1, -2].
    expect(await run(true)).toEqual([1, 4]);
    expect(await run(false)).toEqual([1, 0]);
  });

  it('runs float16 and int64 initializers through Cast and Reshape', async () => {
    const g = new GraphBuilder('types', 17);
    const x = g.input('x', 'float16', [2, 2]);
    const bias = g.initializer('bias', new Tensor('float16', Uint16Array.of(0x3c00, 0x4000, 0xbc00, 0x3800), [2, 2])); // 1, 2, -1, 0.5
    const shape = g.initializer('shape', Tensor.from('int64', [4], [1]));
    const sum = g.op('Add', [x, bias]);
    const flat = g.op('Reshape', [sum, shape]);
    const [y] = g.node('Cast', [flat], { to: { type: 'int', value: 1 } }, { outputs: ['y'] });
    g.output(y, 'float32', [4]);
    const session = await ort.InferenceSession.create(encodeOnnx({ graph: g.build(), producer: 'test', metadata: {} }));
    const feed = new ort.Tensor('float16', Uint16Array.of(0x3c00, 0x3c00, 0x3c00, 0x3c00), [2, 2]);
    const out = await session.run({ x: feed });
    expect(Array.from(out.y.data as Float32Array)).toEqual([2, 3, 0, 1.5]);
  });
});
