import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JouleError, type ErrorCode } from '../../src/core/errors.js';
import type { Tensor } from '../../src/core/tensor.js';
import { MAX_GRAPH_DEPTH, decodeOnnx, decodeTensorProto, loadOnnxFile } from '../../src/formats/onnx/decode.js';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { int64ToWire } from '../../src/formats/onnx/tensor-proto.js';
import type { Graph } from '../../src/ir/graph.js';
import { encodeModelProto, modelAround, mulberry32, nodeTestFile, tensorValueInfo } from './onnx-fixtures.js';

const FLOAT = 1;
const INT64 = 7;
const utf8 = (s: string) => new TextEncoder().encode(s);

function decodeError(bytes: Uint8Array, options?: Parameters<typeof decodeOnnx>[1]): JouleError {
  try {
    decodeOnnx(bytes, options);
  } catch (e) {
    if (e instanceof JouleError) return e;
    throw e;
  }
  throw new Error('decoding succeeded');
}

function expectCode(bytes: Uint8Array, code: ErrorCode, message?: RegExp): void {
  const e = decodeError(bytes);
  expect(e.code, e.message).toBe(code);
  if (message) expect(e.message).toMatch(message);
}

/** A model of If nodes nested `levels` deep, written field by field (protobufjs refuses to encode past 100 levels). */
function nestedIfs(levels: number): Uint8Array {
  const varint = (n: number): number[] => (n < 128 ? [n] : [(n & 127) | 128, ...varint(n >>> 7)]);
  const field = (no: number, ...parts: Uint8Array[]): Uint8Array => {
    const payload = Uint8Array.from(parts.flatMap((p) => [...p]));
    return Uint8Array.from([...varint((no << 3) | 2), ...varint(payload.length), ...payload]);
  };
  const join = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
  let graph = field(2, utf8('leaf'));
  for (let k = 0; k < levels; k++) {
    const attr = join(field(1, utf8('then_branch')), Uint8Array.of(0xa0, 0x01, 5), field(6, graph)); // type (field 20) = GRAPH
    const node = join(field(1, utf8('c')), field(2, utf8(`o${k}`)), field(4, utf8('If')), field(5, attr));
    graph = join(field(1, node), field(2, utf8(`g${k}`)));
  }
  return join(field(7, graph), field(8, Uint8Array.of(0x10, 17)));
}

function floats(t: Tensor | undefined): number[] {
  return Array.from(t!.data as Float32Array);
}

/** A one-node graph (Identity from input x) with the given initializers and inputs. */
function graphWith(parts: Record<string, unknown>): Uint8Array {
  return encodeModelProto(
    modelAround({
      name: 'g',
      node: [{ op_type: 'Identity', input: ['x'], output: ['y'] }],
      input: [tensorValueInfo('x', FLOAT, [2])],
      output: [tensorValueInfo('y', FLOAT, [2])],
      ...parts,
    }),
  );
}

describe('decodeOnnx on ONNX node-test models', () => {
  it('decodes test_add and its data: sum = x + y', () => {
    const m = decodeOnnx(nodeTestFile('test_add', 'model.onnx'));
    expect(m.producer).toBe('backend-test');
    expect([...m.graph.opsets]).toEqual([['', 14]]);
    expect(m.graph.inputs).toEqual([
      { name: 'x', dtype: 'float32', shape: [3, 4, 5] },
      { name: 'y', dtype: 'float32', shape: [3, 4, 5] },
    ]);
    expect(m.graph.outputs).toEqual([{ name: 'sum', dtype: 'float32', shape: [3, 4, 5] }]);
    expect(m.graph.nodes).toEqual([{ name: 'Add_0', op: 'Add', domain: '', inputs: ['x', 'y'], outputs: ['sum'], attrs: {} }]);

    const x = decodeTensorProto(nodeTestFile('test_add', 'test_data_set_0/input_0.pb'));
    const y = decodeTensorProto(nodeTestFile('test_add', 'test_data_set_0/input_1.pb'));
    const sum = decodeTensorProto(nodeTestFile('test_add', 'test_data_set_0/output_0.pb'));
    expect(x.name).toBe('x');
    expect(x.tensor.shape).toEqual([3, 4, 5]);
    expect(x.tensor.get(0)).toBeCloseTo(1.7640524, 6); // numpy.random.seed(0) randn, as the test generator uses
    for (let i = 0; i < 60; i++) expect(sum.tensor.get(i)).toBeCloseTo(x.tensor.get(i) + y.tensor.get(i), 5);
  });

  it('decodes If branches as subgraphs that inherit the opsets', () => {
    const m = decodeOnnx(nodeTestFile('test_if', 'model.onnx'));
    const node = m.graph.nodes[0];
    expect(node.op).toBe('If');
    const thenBranch = node.attrs.then_branch;
    expect(thenBranch.type).toBe('graph');
    const sub = (thenBranch as { value: Graph }).value;
    expect(sub.opsets).toEqual(m.graph.opsets);
    expect(sub.nodes[0].op).toBe('Constant');
    expect(sub.outputs[0].dtype).toBe('float32');
    const res = decodeTensorProto(nodeTestFile('test_if', 'test_data_set_0/output_0.pb'));
    expect(floats(res.tensor)).toEqual([1, 2, 3, 4, 5]);
  });

  it('decodes tensor and int attributes (Constant, Cast, Conv)', () => {
    const c = decodeOnnx(nodeTestFile('test_constant', 'model.onnx')).graph.nodes[0];
    expect(c.attrs.value.type).toBe('tensor');
    expect((c.attrs.value.value as Tensor).shape).toEqual([5, 5]);
    const cast = decodeOnnx(nodeTestFile('test_cast_FLOAT_to_FLOAT16', 'model.onnx')).graph.nodes[0];
    expect(cast.attrs.to).toEqual({ type: 'int', value: 10 });
    const conv = decodeOnnx(nodeTestFile('test_conv_with_strides_padding', 'model.onnx')).graph.nodes[0];
    expect(conv.attrs).toEqual({
      kernel_shape: { type: 'ints', value: [3, 3] },
      pads: { type: 'ints', value: [1, 1, 1, 1] },
      strides: { type: 'ints', value: [2, 2] },
    });
  });

  it('rejects a double-typed node test with UNSUPPORTED_DTYPE naming the value', () => {
    expectCode(nodeTestFile('test_cast_DOUBLE_to_FLOAT', 'model.onnx'), 'UNSUPPORTED_DTYPE', /'input'.*double/);
  });

  it('gives MODEL_DECODE for a truncated model file, random garbage and empty bytes', () => {
    const bytes = nodeTestFile('test_conv_with_strides_padding', 'model.onnx');
    expectCode(bytes.subarray(0, bytes.length - 7), 'MODEL_DECODE', /not a valid ONNX model/);
    const rand = mulberry32(7);
    const garbage = Uint8Array.from({ length: 4096 }, () => Math.floor(rand() * 256));
    expectCode(garbage, 'MODEL_DECODE', /not a valid ONNX model/);
    expectCode(new Uint8Array(0), 'MODEL_DECODE', /empty/);
    expectCode(encodeModelProto({ ir_version: 8, producer_name: 'x' }), 'MODEL_DECODE', /no graph/);
  });
});

describe('decodeOnnx on hand-written models', () => {
  it('reads initializers from typed fields, drops old-IR initializer inputs, keeps symbolic dims', () => {
    const bytes = encodeModelProto({
      ir_version: 3,
      opset_import: [{ domain: 'ai.onnx', version: 9 }, { domain: 'com.example', version: 1 }],
      producer_name: 'hand',
      metadata_props: [{ key: 'k', value: 'v' }, { key: '__proto__', value: 'p' }],
      graph: {
        name: 'typed',
        node: [
          { op_type: 'Identity', input: ['f32'], output: ['y'], domain: 'ai.onnx' },
          { op_type: 'Custom', input: ['x', ''], output: ['z'], domain: 'com.example', name: 'Identity_1' },
          { op_type: 'Identity', input: ['x'], output: ['w'] },
        ],
        initializer: [
          { name: 'f32', data_type: 1, dims: [2, 2], float_data: [1, -2, 3.5, 0] },
          { name: 'f16', data_type: 10, dims: [3], int32_data: [0x3c00, 0xc000, 0x7c00] },
          { name: 'u8', data_type: 2, dims: [2], int32_data: [0, 255] },
          { name: 'bool', data_type: 9, dims: [3], int32_data: [1, 0, 1] },
          { name: 'i32', data_type: 6, dims: [2], int32_data: [-7, 2147483647] },
          { name: 'i64', data_type: 7, dims: [3], int64_data: [int64ToWire(-5), int64ToWire(2n ** 40n + 3n), int64ToWire(2n ** 63n - 1n)] },
          { name: 'scalar', data_type: 1, float_data: [42] },
          { name: 'empty', data_type: 1, dims: [0, 3] },
          { name: 'raw16', data_type: 10, dims: [2], raw_data: Uint8Array.of(0x00, 0x3c, 0x00, 0xbc) },
        ],
        input: [tensorValueInfo('f32', FLOAT, [2, 2]), tensorValueInfo('f16', 10, [3]), tensorValueInfo('x', FLOAT, ['N', 3, null])],
        output: [tensorValueInfo('y', FLOAT, [2, 2]), tensorValueInfo('z', FLOAT), tensorValueInfo('w', FLOAT, [])],
        value_info: [tensorValueInfo('z', FLOAT, ['N', -1]), tensorValueInfo('seq', 11, [1])],
      },
    });
    const m = decodeOnnx(bytes);
    const g = m.graph;
    expect(m.producer).toBe('hand');
    expect(Object.keys(m.metadata)).toEqual(['k', '__proto__']);
    expect(m.metadata.k).toBe('v');
    expect([...g.opsets]).toEqual([['', 9], ['com.example', 1]]);
    expect(g.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['N', 3, '?'] }]);
    expect(g.outputs.map((o) => o.shape)).toEqual([[2, 2], undefined, []]);
    expect([...g.valueTypes]).toEqual([['z', { dtype: 'float32', shape: ['N', '?'] }]]);
    expect(g.nodes.map((n) => [n.name, n.domain])).toEqual([['Identity_0', ''], ['Identity_1', 'com.example'], ['Identity_2', '']]);
    expect(g.nodes[1].inputs).toEqual(['x', '']);

    const init = (name: string) => g.initializers.get(name)!;
    expect(floats(init('f32'))).toEqual([1, -2, 3.5, 0]);
    expect(init('f32').shape).toEqual([2, 2]);
    expect(init('f16').dtype).toBe('float16');
    expect(init('f16').toNumbers()).toEqual([1, -2, Infinity]);
    expect(Array.from(init('u8').data as Uint8Array)).toEqual([0, 255]);
    expect(Array.from(init('bool').data as Uint8Array)).toEqual([1, 0, 1]);
    expect(Array.from(init('i32').data as Int32Array)).toEqual([-7, 2147483647]);
    expect(Array.from(init('i64').data as BigInt64Array)).toEqual([-5n, 2n ** 40n + 3n, 2n ** 63n - 1n]);
    expect(init('scalar').shape).toEqual([]);
    expect(floats(init('scalar'))).toEqual([42]);
    expect(init('empty').shape).toEqual([0, 3]);
    expect(init('raw16').toNumbers()).toEqual([1, -1]);
  });

  it('infers the type of attributes that old files leave untyped', () => {
    const m = decodeOnnx(
      graphWith({
        node: [
          {
            op_type: 'Identity',
            input: ['x'],
            output: ['y'],
            attribute: [
              { name: 'alpha', f: 0.5 },
              { name: 'axis', i: -1 },
              { name: 'zero', i: 0 },
              { name: 'mode', s: utf8('reflect') },
              { name: 'pads', ints: [1, 2] },
              { name: 'scales', floats: [1.5] },
              { name: 'names', strings: [utf8('a'), utf8('b')] },
              { name: 'value', t: { data_type: INT64, dims: [1], int64_data: [3] } },
              { name: 'typed', type: 7, ints: [] },
            ],
          },
        ],
      }),
    );
    const a = m.graph.nodes[0].attrs;
    expect(a.alpha).toEqual({ type: 'float', value: 0.5 });
    expect(a.axis).toEqual({ type: 'int', value: -1 });
    expect(a.zero).toEqual({ type: 'int', value: 0 });
    expect(a.mode).toEqual({ type: 'string', value: 'reflect' });
    expect(a.pads).toEqual({ type: 'ints', value: [1, 2] });
    expect(a.scales).toEqual({ type: 'floats', value: [1.5] });
    expect(a.names).toEqual({ type: 'strings', value: ['a', 'b'] });
    expect(a.value.type).toBe('tensor');
    expect(a.typed).toEqual({ type: 'ints', value: [] });
  });

  it('rejects element types joule does not hold, naming the value and the type', () => {
    expectCode(graphWith({ initializer: [{ name: 'w64', data_type: 11, dims: [1], double_data: [1] }] }), 'UNSUPPORTED_DTYPE', /'w64'.*double/);
    expectCode(graphWith({ input: [tensorValueInfo('x', 3, [2])] }), 'UNSUPPORTED_DTYPE', /'x'.*int8/);
    expectCode(graphWith({ output: [tensorValueInfo('y', 8, [2])] }), 'UNSUPPORTED_DTYPE', /'y'.*string/);
    const constant = { op_type: 'Constant', output: ['c'], attribute: [{ name: 'value', type: 4, t: { data_type: 8, dims: [1], string_data: [utf8('s')] } }] };
    expectCode(graphWith({ node: [constant] }), 'UNSUPPORTED_DTYPE', /'value' of Constant node 'Constant_0'.*string/);
    const seq = { name: 'x', type: { sequence_type: { elem_type: { tensor_type: { elem_type: FLOAT } } } } };
    expectCode(graphWith({ input: [seq] }), 'UNSUPPORTED_DTYPE', /'x' is a sequence/);
    expectCode(graphWith({ sparse_initializer: [{ dims: [2] }] }), 'UNSUPPORTED_DTYPE', /sparse/);
  });

  it("leaves Cast's `to` an int even when it names a type joule does not hold", () => {
    const casts = [
      { op_type: 'Cast', input: ['x'], output: ['d'], attribute: [{ name: 'to', type: 2, i: 11 }] },
      { op_type: 'Cast', input: ['d'], output: ['y'], attribute: [{ name: 'to', type: 2, i: 1 }] },
    ];
    expect(decodeOnnx(graphWith({ node: casts })).graph.nodes[0].attrs.to).toEqual({ type: 'int', value: 11 });
  });

  it('rejects attribute kinds joule does not hold', () => {
    const withAttr = (attr: Record<string, unknown>) =>
      graphWith({ node: [{ op_type: 'Identity', input: ['x'], output: ['y'], attribute: [{ name: 'a', ...attr }] }] });
    expectCode(withAttr({ type: 10, graphs: [{ name: 'g' }] }), 'MODEL_INVALID', /list of graphs/);
    expectCode(withAttr({ type: 9, tensors: [{ data_type: 1, dims: [1], float_data: [1] }] }), 'UNSUPPORTED_DTYPE', /list of tensors/);
    expectCode(withAttr({ type: 11, sparse_tensor: { dims: [1] } }), 'UNSUPPORTED_DTYPE', /sparse/);
    expectCode(withAttr({ type: 5 }), 'MODEL_INVALID', /without a graph/);
    expectCode(withAttr({}), 'MODEL_INVALID', /no value/);
  });

  it('rejects tensors whose data does not match their dims, before allocating', () => {
    const w = (t: Record<string, unknown>) => graphWith({ initializer: [{ name: 'w', data_type: FLOAT, ...t }] });
    expectCode(w({ dims: [3], raw_data: new Uint8Array(8) }), 'MODEL_INVALID', /8 bytes of float32 data, dims \[3\] need 12/);
    expectCode(w({ dims: [1_000_000, 1_000_000], raw_data: new Uint8Array(4) }), 'MODEL_INVALID', /need 4000000000000/);
    expectCode(w({ dims: [int64ToWire(2n ** 60n), int64ToWire(2n ** 60n)], raw_data: new Uint8Array(4) }), 'MODEL_INVALID');
    expectCode(w({ dims: [int64ToWire(-2), 2], raw_data: new Uint8Array(16) }), 'MODEL_INVALID', /-2, not a valid size/);
    expectCode(w({ dims: [3], float_data: [1, 2] }), 'MODEL_INVALID', /float_data holds 2 values/);
    expectCode(w({ dims: [2], data_type: INT64, int32_data: [1, 2] }), 'MODEL_INVALID', /int64_data holds 0 values/);
    expectCode(w({ dims: [2], segment: { begin: 0, end: 1 }, float_data: [1, 2] }), 'MODEL_INVALID', /segments/);
    const twice = [{ name: 'w', data_type: FLOAT, dims: [1], float_data: [1] }, { name: 'w', data_type: FLOAT, dims: [1], float_data: [2] }];
    expectCode(graphWith({ initializer: twice }), 'MODEL_INVALID', /two initializers named 'w'/);
  });
});

describe('nesting', () => {
  it('decodes subgraphs nested up to MAX_GRAPH_DEPTH and rejects deeper ones', () => {
    let g: Graph = decodeOnnx(nestedIfs(MAX_GRAPH_DEPTH)).graph;
    let depth = 0;
    while (g.nodes.length > 0) {
      g = (g.nodes[0].attrs.then_branch as { value: Graph }).value;
      depth++;
    }
    expect([depth, g.name]).toEqual([MAX_GRAPH_DEPTH, 'leaf']);
    expect(decodeOnnx(encodeOnnx(decodeOnnx(nestedIfs(MAX_GRAPH_DEPTH)))).graph.nodes[0].op).toBe('If');
    expectCode(nestedIfs(MAX_GRAPH_DEPTH + 1), 'MODEL_INVALID', /nested more than/);
    expectCode(nestedIfs(40), 'MODEL_DECODE', /nest/);
  });
});

describe('external data', () => {
  let dir: string;
  const external = (location: string, offset?: number, length?: number) => ({
    name: 'w',
    data_type: FLOAT,
    dims: [2, 2],
    data_location: 1,
    external_data: [
      { key: 'location', value: location },
      ...(offset === undefined ? [] : [{ key: 'offset', value: String(offset) }]),
      ...(length === undefined ? [] : [{ key: 'length', value: String(length) }]),
    ],
  });
  const values = new Float32Array([1.5, -2, 3, 4.25]);
  const valueBytes = new Uint8Array(values.buffer);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'joule-onnx-'));
    // A 3-byte prefix makes the data misaligned, so the decoder must copy it.
    await writeFile(join(dir, 'weights.bin'), Uint8Array.from([9, 9, 9, ...valueBytes, 7]));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'bias.bin'), valueBytes);
    const thenBranch = {
      name: 'then',
      node: [{ op_type: 'Constant', output: ['c'], attribute: [{ name: 'value', type: 4, t: { ...external('sub/bias.bin'), name: '' } }] }],
      output: [tensorValueInfo('c', FLOAT, [2, 2])],
    };
    const model = graphWith({
      initializer: [external('weights.bin', 3, 16)],
      node: [{ op_type: 'If', input: ['x'], output: ['y'], attribute: [{ name: 'then_branch', type: 5, g: thenBranch }] }],
    });
    await writeFile(join(dir, 'model.onnx'), model);
    await writeFile(join(dir, 'missing.onnx'), graphWith({ initializer: [external('nowhere.bin')] }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loadOnnxFile reads external files relative to the model, in subgraphs too', async () => {
    const m = await loadOnnxFile(join(dir, 'model.onnx'));
    expect(floats(m.graph.initializers.get('w'))).toEqual(Array.from(values));
    const sub = (m.graph.nodes[0].attrs.then_branch as { value: Graph }).value;
    expect(floats(sub.nodes[0].attrs.value.value as Tensor)).toEqual(Array.from(values));
  });

  it('decodeOnnx reads external data through the callback', () => {
    const file = Uint8Array.from([0, ...valueBytes]);
    const m = decodeOnnx(graphWith({ initializer: [external('w.bin', 1)] }), { externalData: () => file });
    expect(floats(m.graph.initializers.get('w'))).toEqual(Array.from(values));
  });

  it('rejects locations outside the model directory, missing readers and short files', async () => {
    const read = () => new Uint8Array(64);
    expect(decodeError(graphWith({ initializer: [external('../w.bin')] }), { externalData: read }).message).toMatch(/leaves the model's directory/);
    expect(decodeError(graphWith({ initializer: [external('a/../../w.bin')] }), { externalData: read }).code).toBe('MODEL_INVALID');
    expect(decodeError(graphWith({ initializer: [external('/etc/passwd')] }), { externalData: read }).message).toMatch(/not a relative path/);
    expect(decodeError(graphWith({ initializer: [external('C:\\w.bin')] }), { externalData: read }).code).toBe('MODEL_INVALID');
    expect(decodeError(graphWith({ initializer: [external('w.bin')] })).message).toMatch(/no external data was provided/);
    expect(decodeError(graphWith({ initializer: [external('w.bin', 60, 16)] }), { externalData: read }).message).toMatch(/runs past the end/);
    expect(decodeError(graphWith({ initializer: [external('w.bin', 0, 8)] }), { externalData: read }).message).toMatch(/8 bytes/);
    await expect(loadOnnxFile(join(dir, 'missing.onnx'))).rejects.toMatchObject({ code: 'IO' });
    await expect(loadOnnxFile(join(dir, 'no-such-model.onnx'))).rejects.toMatchObject({ code: 'IO' });
  });
});
