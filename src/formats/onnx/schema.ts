import protobuf from 'protobufjs';

/**
 * The part of onnx.proto (ONNX IR version 11) that joule reads and writes. Field numbers are those of the
 * official schema; messages joule never looks into (FunctionProto, TrainingInfoProto, TensorAnnotation,
 * DeviceConfigurationProto) are left out, so their fields are skipped as unknown on decode.
 */
export const ONNX_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0;
    FLOAT = 1;
    INT = 2;
    STRING = 3;
    TENSOR = 4;
    GRAPH = 5;
    SPARSE_TENSOR = 11;
    TYPE_PROTO = 13;
    FLOATS = 6;
    INTS = 7;
    STRINGS = 8;
    TENSORS = 9;
    GRAPHS = 10;
    SPARSE_TENSORS = 12;
    TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  optional SparseTensorProto sparse_tensor = 22;
  optional TypeProto tp = 14;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  repeated SparseTensorProto sparse_tensors = 23;
  repeated TypeProto type_protos = 15;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
  repeated StringStringEntryProto metadata_props = 4;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  optional string overload = 8;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  repeated StringStringEntryProto metadata_props = 9;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated SparseTensorProto sparse_initializer = 15;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
  repeated StringStringEntryProto metadata_props = 16;
}

message TensorProto {
  enum DataLocation {
    DEFAULT = 0;
    EXTERNAL = 1;
  }
  message Segment {
    optional int64 begin = 1;
    optional int64 end = 2;
  }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional Segment segment = 3;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
  optional DataLocation data_location = 14;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  repeated StringStringEntryProto metadata_props = 16;
}

message SparseTensorProto {
  optional TensorProto values = 1;
  optional TensorProto indices = 2;
  repeated int64 dims = 3;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  message Sequence {
    optional TypeProto elem_type = 1;
  }
  message Map {
    optional int32 key_type = 1;
    optional TypeProto value_type = 2;
  }
  message Optional {
    optional TypeProto elem_type = 1;
  }
  message SparseTensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  message Opaque {
    optional string domain = 1;
    optional string name = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
    Sequence sequence_type = 4;
    Map map_type = 5;
    Optional optional_type = 9;
    SparseTensor sparse_tensor_type = 8;
    Opaque opaque_type = 7;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

/** An int64 as protobufjs hands it out: a Long (low and high 32-bit halves), or a number when Long is absent. */
export type Int64 = number | { readonly low: number; readonly high: number; readonly unsigned?: boolean };

export interface StringStringEntryMsg {
  key: string;
  value: string;
}

// The decoded messages, in the fields joule uses. Absent scalar fields read as their defaults, absent
// message fields as null, absent repeated fields as [].

export interface TensorProtoMsg {
  dims: Int64[];
  data_type: number;
  segment: { begin: Int64; end: Int64 } | null;
  float_data: number[];
  int32_data: number[];
  string_data: Uint8Array[];
  int64_data: Int64[];
  name: string;
  raw_data: Uint8Array;
  external_data: StringStringEntryMsg[];
  data_location: number;
  double_data: number[];
  uint64_data: Int64[];
}

export interface TensorShapeMsg {
  dim: { dim_value: Int64; dim_param: string }[];
}

export interface TypeProtoMsg {
  tensor_type: { elem_type: number; shape: TensorShapeMsg | null } | null;
  sequence_type: object | null;
  map_type: object | null;
  optional_type: object | null;
  sparse_tensor_type: object | null;
  opaque_type: object | null;
}

export interface ValueInfoMsg {
  name: string;
  type: TypeProtoMsg | null;
}

export interface AttributeMsg {
  name: string;
  ref_attr_name: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t: TensorProtoMsg | null;
  g: GraphProtoMsg | null;
  sparse_tensor: object | null;
  tp: object | null;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: TensorProtoMsg[];
  graphs: GraphProtoMsg[];
  sparse_tensors: object[];
  type_protos: object[];
}

export interface NodeMsg {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: AttributeMsg[];
}

export interface GraphProtoMsg {
  node: NodeMsg[];
  name: string;
  initializer: TensorProtoMsg[];
  sparse_initializer: object[];
  input: ValueInfoMsg[];
  output: ValueInfoMsg[];
  value_info: ValueInfoMsg[];
}

export interface ModelProtoMsg {
  ir_version: Int64;
  opset_import: { domain: string; version: Int64 }[];
  producer_name: string;
  graph: GraphProtoMsg | null;
  metadata_props: StringStringEntryMsg[];
}

/** AttributeProto.AttributeType values. */
export const AttrType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

/** TensorProto.DataLocation.EXTERNAL */
export const DATA_LOCATION_EXTERNAL = 1;

export interface OnnxTypes {
  readonly ModelProto: protobuf.Type;
  readonly TensorProto: protobuf.Type;
}

let types: OnnxTypes | undefined;

/** The protobufjs message types, parsed from ONNX_PROTO on first use. */
export function onnxTypes(): OnnxTypes {
  if (types === undefined) {
    const { root } = protobuf.parse(ONNX_PROTO, { keepCase: true });
    types = { ModelProto: root.lookupType('onnx.ModelProto'), TensorProto: root.lookupType('onnx.TensorProto') };
  }
  return types;
}

/** Whether a decoded message carries a field (protobufjs keeps defaults on the prototype). */
export function hasField(message: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, field);
}
