import { dtypes } from '../../core/dtype.js';
import { JouleError, fail } from '../../core/errors.js';
import type { Dim } from '../../core/shape.js';
import type { Attribute, Graph, Model, Node, ValueType } from '../../ir/graph.js';
import { AttrType, onnxTypes } from './schema.js';
import { int64ToWire, tensorToProto } from './tensor-proto.js';

// Plain objects in the shape protobufjs encodes; only the fields joule writes.
type Msg = Record<string, unknown>;

/**
 * The IR version that goes with a default-domain opset, from the ONNX release table
 * (onnx.helper.VERSION_TABLE): the oldest IR version a runtime for that opset accepts.
 */
export function irVersionForOpset(opset: number): number {
  if (opset <= 8) return 3;
  if (opset === 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

/** Encodes a model as ONNX (ModelProto bytes): initializers as raw data, subgraphs inline, producer 'joule'. */
export function encodeOnnx(model: Model): Uint8Array {
  const { graph } = model;
  const opsetImport = [...graph.opsets].map(([domain, version]) => ({ domain, version: int64ToWire(version) }));
  const message: Msg = {
    ir_version: int64ToWire(irVersionForOpset(graph.opsets.get('') ?? graph.opsets.get('ai.onnx') ?? 1)),
    opset_import: opsetImport,
    producer_name: 'joule',
    graph: graphToProto(graph),
    metadata_props: Object.entries(model.metadata).map(([key, value]) => ({ key, value })),
  };
  let bytes: Uint8Array;
  try {
    bytes = onnxTypes().ModelProto.encode(message).finish();
  } catch (e) {
    throw new JouleError('BAD_ARGUMENT', `cannot encode the model as ONNX: ${e instanceof Error ? e.message : String(e)}`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function graphToProto(g: Graph): Msg {
  const declared = new Set([...g.inputs, ...g.outputs].map((v) => v.name));
  for (const name of g.initializers.keys()) declared.add(name);
  const valueInfo: Msg[] = [];
  for (const [name, type] of g.valueTypes) if (!declared.has(name)) valueInfo.push(valueInfoToProto(name, type));
  return {
    name: g.name,
    node: g.nodes.map(nodeToProto),
    initializer: [...g.initializers].map(([name, t]) => tensorToProto(name, t)),
    input: g.inputs.map((v) => valueInfoToProto(v.name, v)),
    output: g.outputs.map((v) => valueInfoToProto(v.name, v)),
    value_info: valueInfo,
  };
}

function valueInfoToProto(name: string, type: ValueType): Msg {
  const tensorType: Msg = { elem_type: dtypes[type.dtype].onnx };
  if (type.shape !== undefined) tensorType.shape = { dim: type.shape.map(dimToProto) };
  return { name, type: { tensor_type: tensorType } };
}

function dimToProto(d: Dim): Msg {
  if (typeof d === 'number') return { dim_value: int64ToWire(d) };
  return d === '?' ? {} : { dim_param: d };
}

function nodeToProto(n: Node): Msg {
  const msg: Msg = {
    input: [...n.inputs],
    output: [...n.outputs],
    name: n.name,
    op_type: n.op,
    attribute: Object.entries(n.attrs).map(([name, a]) => attributeToProto(name, a, n)),
  };
  if (n.domain !== '') msg.domain = n.domain;
  return msg;
}

const utf8 = new TextEncoder();

function attributeToProto(name: string, a: Attribute, node: Node): Msg {
  switch (a.type) {
    case 'int':
      return { name, type: AttrType.INT, i: int64ToWire(a.value) };
    case 'float':
      return { name, type: AttrType.FLOAT, f: a.value };
    case 'string':
      return { name, type: AttrType.STRING, s: utf8.encode(a.value) };
    case 'tensor':
      return { name, type: AttrType.TENSOR, t: tensorToProto('', a.value) };
    case 'graph':
      return { name, type: AttrType.GRAPH, g: graphToProto(a.value) };
    case 'ints':
      return { name, type: AttrType.INTS, ints: a.value.map((v) => int64ToWire(v)) };
    case 'floats':
      return { name, type: AttrType.FLOATS, floats: [...a.value] };
    case 'strings':
      return { name, type: AttrType.STRINGS, strings: a.value.map((s) => utf8.encode(s)) };
    default:
      return fail('INTERNAL', `${node.op} node '${node.name}': attribute '${name}' has unknown type ${(a as { type: string }).type}`);
  }
}
