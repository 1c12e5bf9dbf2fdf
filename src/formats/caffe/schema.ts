import protobuf from 'protobufjs';
import type { Int64 } from '../onnx/schema.js';
import { CAFFE_PROTO } from './proto.js';

export { hasField } from '../onnx/schema.js';

// The decoded messages, in the fields joule reads. As protobufjs gives them: absent scalar fields read
// as their (proto2) defaults, absent message fields as null, absent repeated fields as [].

export interface BlobShapeMsg {
  dim: Int64[];
}

export interface NetStateRuleMsg {
  phase: number;
  min_level: number;
  max_level: number;
  stage: string[];
  not_stage: string[];
}

/** A layer in either format; the V1 format's `type` is a LayerType number, the current one's a string. */
export interface LayerMsg {
  name: string;
  type: string | number;
  bottom: string[];
  top: string[];
  include: NetStateRuleMsg[];
  exclude: NetStateRuleMsg[];
  /** BlobProto messages (a prototxt), or their encoded bytes (a .caffemodel, see `caffeTypes().Weights`). */
  blobs: unknown[];
  /** The parameter message `<kind>_param` (null or undefined when absent). */
  [param: `${string}_param`]: object | null | undefined;
  layer?: object | null;
}

export interface NetParameterMsg {
  name: string;
  input: string[];
  input_shape: BlobShapeMsg[];
  input_dim: number[];
  state: { phase: number; level: number; stage: string[] } | null;
  layer: LayerMsg[];
  layers: LayerMsg[];
}

export interface CaffeTypes {
  readonly root: protobuf.Root;
  readonly NetParameter: protobuf.Type;
  readonly BlobShape: protobuf.Type;
  /**
   * NetParameter with the layers' `blobs` read as bytes: weights files hold nearly all their bytes in
   * blobs, which joule decodes itself straight into Float32Arrays (see blob.ts).
   */
  readonly Weights: protobuf.Type;
  /** V1LayerParameter.LayerType: values by name. */
  readonly v1LayerTypes: Readonly<Record<string, number>>;
}

let types: CaffeTypes | undefined;

/** The protobufjs types, parsed from CAFFE_PROTO on first use. */
export function caffeTypes(): CaffeTypes {
  if (types === undefined) {
    const root = protobuf.parse(CAFFE_PROTO, { keepCase: true }).root;
    root.resolveAll();
    const weightsRoot = protobuf.parse(CAFFE_PROTO, { keepCase: true }).root;
    for (const [layer, id] of [['LayerParameter', 7], ['V1LayerParameter', 6]] as const) {
      const t = weightsRoot.lookupType(`caffe.${layer}`);
      t.remove(t.fields.blobs);
      t.add(new protobuf.Field('blobs', id, 'bytes', 'repeated'));
    }
    weightsRoot.resolveAll();
    const v1 = root.lookupType('caffe.V1LayerParameter').lookupEnum('LayerType');
    types = {
      root,
      NetParameter: root.lookupType('caffe.NetParameter'),
      BlobShape: root.lookupType('caffe.BlobShape'),
      Weights: weightsRoot.lookupType('caffe.NetParameter'),
      v1LayerTypes: v1.values,
    };
  }
  return types;
}
