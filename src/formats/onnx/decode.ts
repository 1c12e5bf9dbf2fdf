import { readOrFail } from '../read-file.js';
import { siblingPath } from '../../platform/host.js';
import { dtypeFromOnnx, onnxTypeName } from '../../core/dtype.js';
import { JouleError, fail } from '../../core/errors.js';
import type { Dim } from '../../core/shape.js';
import type { Tensor } from '../../core/tensor.js';
import { type Attribute, type Graph, type Model, type Node, type ValueInfo, type ValueType, isDefaultDomain, makeGraph } from '../../ir/graph.js';
import {
  AttrType,
  type AttributeMsg,
  type GraphProtoMsg,
  type ModelProtoMsg,
  type NodeMsg,
  type TensorProtoMsg,
  type TensorShapeMsg,
  type TypeProtoMsg,
  hasField,
  onnxTypes,
} from './schema.js';
import {
  type ExternalDataReader,
  checkExternalLocation,
  externalDataOf,
  int64ToNumber,
  tensorFromProto,
} from './tensor-proto.js';

export interface DecodeOptions {
  /** Returns the bytes of an external data file, by its location relative to the model file. */
  readonly externalData?: ExternalDataReader;
}

/**
 * Subgraphs nest no deeper than this. Each level costs three message levels (graph, node, attribute) and
 * protobufjs stops at 100 both when decoding and encoding, so a decoded model always encodes again.
 */
export const MAX_GRAPH_DEPTH = 16;

interface Scope {
  readonly opsets: ReadonlyMap<string, number>;
  readonly readExternal: ExternalDataReader | undefined;
}

/** Decodes protobuf bytes as `type`; any wire-level failure becomes MODEL_DECODE. */
function parseMessage<T>(type: 'ModelProto' | 'TensorProto', bytes: Uint8Array, what: string): T {
  if (!(bytes instanceof Uint8Array)) fail('BAD_ARGUMENT', `${what} must be given as bytes (a Uint8Array)`);
  if (bytes.byteLength === 0) fail('MODEL_DECODE', `not a valid ${what}: the file is empty`);
  // Through a Buffer (no copy) where there is one, so that strings decode with Node's UTF-8 decoder, which
  // replaces invalid sequences by U+FFFD instead of leaving lone surrogates that could not be written back.
  const input = typeof Buffer === 'undefined' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return onnxTypes()[type].decode(input) as unknown as T;
  } catch (e) {
    const reason = e instanceof RangeError && /call stack/i.test(e.message) ? 'nested too deeply' : e instanceof Error ? e.message : String(e);
    throw new JouleError('MODEL_DECODE', `not a valid ${what}: ${reason}`);
  }
}

function parseModel(bytes: Uint8Array): ModelProtoMsg {
  const m = parseMessage<ModelProtoMsg>('ModelProto', bytes, 'ONNX model');
  if (m.graph === null || m.graph === undefined) fail('MODEL_DECODE', 'not a valid ONNX model: it has no graph');
  return m;
}

/** Decodes an ONNX model (ModelProto bytes) into joule's IR. */
export function decodeOnnx(bytes: Uint8Array, options: DecodeOptions = {}): Model {
  return modelFromProto(parseModel(bytes), options.externalData);
}

/** Decodes a serialized TensorProto, as the ONNX node tests store their inputs and outputs. */
export function decodeTensorProto(bytes: Uint8Array): { name: string; tensor: Tensor } {
  const t = parseMessage<TensorProtoMsg>('TensorProto', bytes, 'ONNX tensor');
  const name = t.name;
  return { name, tensor: tensorFromProto(t, name === '' ? 'tensor' : `tensor '${name}'`) };
}

/** Reads an ONNX model file, with any external data files it names (relative to the model's directory). */
export async function loadOnnxFile(path: string): Promise<Model> {
  const bytes = await readOrFail(path, 'ONNX model');
  const proto = parseModel(bytes);
  const files = new Map<string, Uint8Array>();
  for (const [location, what] of externalLocations(proto.graph!, 0)) {
    checkExternalLocation(location, what);
    if (!files.has(location)) files.set(location, await readOrFail(siblingPath(path, location), `external data of ${what}`));
  }
  return modelFromProto(proto, (location) => files.get(location) ?? fail('INTERNAL', `external data '${location}' was not loaded`));
}


/** External data locations named anywhere in a graph (initializers and tensor attributes, subgraphs included). */
function externalLocations(g: GraphProtoMsg, depth: number): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (t: TensorProtoMsg | null, what: string): void => {
    const location = t === null ? undefined : externalDataOf(t)?.get('location');
    if (location !== undefined && !out.has(location)) out.set(location, what);
  };
  for (const t of g.initializer) visit(t, `initializer '${t.name}'`);
  if (depth > MAX_GRAPH_DEPTH) return out;
  for (const n of g.node) {
    for (const a of n.attribute) {
      visit(a.t, `attribute '${a.name}' of node '${n.name}'`);
      if (a.g !== null) for (const [k, v] of externalLocations(a.g, depth + 1)) if (!out.has(k)) out.set(k, v);
    }
  }
  return out;
}

function modelFromProto(m: ModelProtoMsg, readExternal: ExternalDataReader | undefined): Model {
  const opsets = new Map<string, number>();
  for (const o of m.opset_import) {
    const domain = isDefaultDomain(o.domain) ? '' : o.domain;
    const version = int64ToNumber(o.version);
    if (!Number.isSafeInteger(version) || version < 1) {
      fail('MODEL_INVALID', `opset_import for domain '${domain}' has version ${version}`);
    }
    opsets.set(domain, version);
  }
  const graph = graphFromProto(m.graph!, { opsets, readExternal }, 0);
  const metadata = Object.fromEntries(m.metadata_props.map((e) => [e.key, e.value]));
  return { graph, producer: m.producer_name, metadata };
}

function graphFromProto(g: GraphProtoMsg, scope: Scope, depth: number): Graph {
  if (depth > MAX_GRAPH_DEPTH) fail('MODEL_INVALID', `subgraphs are nested more than ${MAX_GRAPH_DEPTH} deep`);
  const where = g.name === '' ? 'graph' : `graph '${g.name}'`;
  if (g.sparse_initializer.length > 0) fail('UNSUPPORTED_DTYPE', `${where} has sparse initializers, which joule does not hold`);

  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer) {
    if (t.name === '') fail('MODEL_INVALID', `${where} has an initializer without a name`);
    if (initializers.has(t.name)) fail('MODEL_INVALID', `${where} has two initializers named '${t.name}'`);
    initializers.set(t.name, tensorFromProto(t, `initializer '${t.name}'`, scope.readExternal));
  }
  // Before IR version 4 every initializer was also listed as a graph input; joule lists only the inputs fed by callers.
  const role = depth === 0 ? 'graph' : `sub${where}`;
  const inputs = g.input.filter((v) => !initializers.has(v.name)).map((v) => valueInfoFromProto(v.name, v.type, `${role} input`));
  const outputs = g.output.map((v) => valueInfoFromProto(v.name, v.type, `${role} output`));

  const valueTypes = new Map<string, ValueType>();
  for (const v of g.value_info) {
    const type = tensorTypeOf(v.name, v.type);
    if (type !== undefined) valueTypes.set(v.name, type);
  }

  // Node names are optional and, in some exporters' files, repeated: give every node a unique one.
  const taken = new Set<string>();
  const nodes = g.node.map((n, index) => {
    const base = n.name !== '' ? n.name : `${n.op_type}_${index}`;
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return nodeFromProto(n, name, scope, depth);
  });

  return makeGraph({ name: g.name, inputs, outputs, nodes, initializers, opsets: scope.opsets, valueTypes });
}

/** The tensor type a TypeProto describes, or undefined when it is absent, not a tensor, or of a dtype joule does not hold. */
function tensorTypeOf(name: string, type: TypeProtoMsg | null): ValueType | undefined {
  const tt = type?.tensor_type;
  if (tt === null || tt === undefined) return undefined;
  const dtype = dtypeFromOnnx(tt.elem_type);
  if (dtype === undefined) return undefined;
  return { dtype, shape: shapeFromProto(tt.shape, name) };
}

function shapeFromProto(shape: TensorShapeMsg | null, name: string): Dim[] | undefined {
  if (shape === null || shape === undefined) return undefined;
  return shape.dim.map((d, i): Dim => {
    if (hasField(d, 'dim_value')) {
      const n = int64ToNumber(d.dim_value);
      // Some exporters write -1 for an unknown size.
      if (n < 0) return '?';
      if (!Number.isSafeInteger(n)) fail('MODEL_INVALID', `dimension ${i} of '${name}' is ${n}, not a valid size`);
      return n;
    }
    return hasField(d, 'dim_param') && d.dim_param !== '' ? d.dim_param : '?';
  });
}

const otherKinds = {
  sequence_type: 'a sequence',
  map_type: 'a map',
  optional_type: 'an optional',
  sparse_tensor_type: 'a sparse tensor',
  opaque_type: 'an opaque value',
} as const;

function valueInfoFromProto(name: string, type: TypeProtoMsg | null, role: string): ValueInfo {
  if (name === '') fail('MODEL_INVALID', `a ${role} has no name`);
  if (type === null || type === undefined) fail('MODEL_INVALID', `${role} '${name}' has no type`);
  const tt = type.tensor_type;
  if (tt === null || tt === undefined) {
    const kind = (Object.keys(otherKinds) as (keyof typeof otherKinds)[]).find((k) => type[k] !== null && type[k] !== undefined);
    if (kind === undefined) fail('MODEL_INVALID', `${role} '${name}' has no type`);
    fail('UNSUPPORTED_DTYPE', `${role} '${name}' is ${otherKinds[kind]}; joule holds only dense tensors`);
  }
  const dtype = dtypeFromOnnx(tt.elem_type);
  if (dtype === undefined) {
    fail('UNSUPPORTED_DTYPE', `${role} '${name}' has element type ${onnxTypeName(tt.elem_type)}, which joule does not hold`);
  }
  return { name, dtype, shape: shapeFromProto(tt.shape, name) };
}

function nodeFromProto(n: NodeMsg, name: string, scope: Scope, depth: number): Node {
  if (n.op_type === '') fail('MODEL_INVALID', `node '${name}' has no op_type`);
  const attrs = new Map<string, Attribute>();
  for (const a of n.attribute) {
    const what = `attribute '${a.name}' of ${n.op_type} node '${name}'`;
    if (a.name === '') fail('MODEL_INVALID', `${n.op_type} node '${name}' has an attribute without a name`);
    if (attrs.has(a.name)) fail('MODEL_INVALID', `${n.op_type} node '${name}' has two attributes named '${a.name}'`);
    attrs.set(a.name, attributeFromProto(a, what, scope, depth));
  }
  return {
    name,
    op: n.op_type,
    domain: isDefaultDomain(n.domain) ? '' : n.domain,
    inputs: [...n.input],
    outputs: [...n.output],
    attrs: Object.fromEntries(attrs),
  };
}

/** The attribute type, inferred from the field in use when an old file leaves `type` out. */
function attributeType(a: AttributeMsg): number {
  if (a.type !== AttrType.UNDEFINED) return a.type;
  if (hasField(a, 'f')) return AttrType.FLOAT;
  if (hasField(a, 'i')) return AttrType.INT;
  if (hasField(a, 's')) return AttrType.STRING;
  if (a.t !== null) return AttrType.TENSOR;
  if (a.g !== null) return AttrType.GRAPH;
  if (a.floats.length > 0) return AttrType.FLOATS;
  if (a.ints.length > 0) return AttrType.INTS;
  if (a.strings.length > 0) return AttrType.STRINGS;
  if (a.tensors.length > 0) return AttrType.TENSORS;
  if (a.graphs.length > 0) return AttrType.GRAPHS;
  if (a.sparse_tensor !== null) return AttrType.SPARSE_TENSOR;
  return AttrType.UNDEFINED;
}

const utf8 = new TextDecoder('utf-8');
/** A bytes field as text; an absent field reads as protobufjs's default, which is not a Uint8Array. */
const text = (b: Uint8Array): string => (b instanceof Uint8Array ? utf8.decode(b) : '');

function attributeFromProto(a: AttributeMsg, what: string, scope: Scope, depth: number): Attribute {
  if (a.ref_attr_name !== '') fail('MODEL_INVALID', `${what} refers to a function attribute, which is only valid inside functions`);
  const type = attributeType(a);
  switch (type) {
    case AttrType.FLOAT:
      return { type: 'float', value: a.f };
    case AttrType.INT:
      return { type: 'int', value: int64ToNumber(a.i) };
    case AttrType.STRING:
      return { type: 'string', value: text(a.s) };
    case AttrType.TENSOR:
      if (a.t === null) fail('MODEL_INVALID', `${what} is a tensor attribute without a tensor`);
      return { type: 'tensor', value: tensorFromProto(a.t, what, scope.readExternal) };
    case AttrType.GRAPH:
      if (a.g === null) fail('MODEL_INVALID', `${what} is a graph attribute without a graph`);
      return { type: 'graph', value: graphFromProto(a.g, scope, depth + 1) };
    case AttrType.FLOATS:
      return { type: 'floats', value: [...a.floats] };
    case AttrType.INTS:
      return { type: 'ints', value: a.ints.map(int64ToNumber) };
    case AttrType.STRINGS:
      return { type: 'strings', value: a.strings.map(text) };
    case AttrType.TENSORS:
      return fail('UNSUPPORTED_DTYPE', `${what} is a list of tensors, which joule does not hold`);
    case AttrType.SPARSE_TENSOR:
    case AttrType.SPARSE_TENSORS:
      return fail('UNSUPPORTED_DTYPE', `${what} holds sparse tensors, which joule does not hold`);
    case AttrType.GRAPHS:
      return fail('MODEL_INVALID', `${what} is a list of graphs, which no op joule knows takes`);
    case AttrType.TYPE_PROTO:
    case AttrType.TYPE_PROTOS:
      return fail('MODEL_INVALID', `${what} holds type descriptions, which no op joule knows takes`);
    case AttrType.UNDEFINED:
      return fail('MODEL_INVALID', `${what} has no value`);
    default:
      return fail('MODEL_INVALID', `${what} has unknown attribute type ${type}`);
  }
}
