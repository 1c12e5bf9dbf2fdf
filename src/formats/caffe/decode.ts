import { JouleError, fail } from '../../core/errors.js';
import { type Blob, type BlobProtoMsg, blobFromMessage, decodeBlob } from './blob.js';
import { type LayerMsg, type NetParameterMsg, type NetStateRuleMsg, caffeTypes, hasField } from './schema.js';
import { parseTextFormat } from './text-format.js';

/** One layer of a net definition, in the current format whichever format the file used. */
export interface CaffeLayer {
  readonly name: string;
  /** The layer type as the current format names it ('Convolution', 'ReLU', ...). */
  readonly type: string;
  readonly bottoms: readonly string[];
  readonly tops: readonly string[];
  /** The layer message, for its `<kind>_param` fields. */
  readonly msg: LayerMsg;
  /** Blobs written into the definition itself (rare); a weights file's blobs take precedence. */
  readonly blobs: readonly Blob[];
}

/** Type names of the V1 format's LayerType values (as Caffe's own upgrade_proto maps them). */
const v1TypeNames: Readonly<Record<string, string>> = {
  ABSVAL: 'AbsVal', ACCURACY: 'Accuracy', ARGMAX: 'ArgMax', BNLL: 'BNLL', CONCAT: 'Concat',
  CONTRASTIVE_LOSS: 'ContrastiveLoss', CONVOLUTION: 'Convolution', DATA: 'Data', DECONVOLUTION: 'Deconvolution',
  DROPOUT: 'Dropout', DUMMY_DATA: 'DummyData', EUCLIDEAN_LOSS: 'EuclideanLoss', ELTWISE: 'Eltwise', EXP: 'Exp',
  FLATTEN: 'Flatten', HDF5_DATA: 'HDF5Data', HDF5_OUTPUT: 'HDF5Output', HINGE_LOSS: 'HingeLoss', IM2COL: 'Im2col',
  IMAGE_DATA: 'ImageData', INFOGAIN_LOSS: 'InfogainLoss', INNER_PRODUCT: 'InnerProduct', LRN: 'LRN',
  MEMORY_DATA: 'MemoryData', MULTINOMIAL_LOGISTIC_LOSS: 'MultinomialLogisticLoss', MVN: 'MVN', POOLING: 'Pooling',
  POWER: 'Power', RELU: 'ReLU', SIGMOID: 'Sigmoid', SIGMOID_CROSS_ENTROPY_LOSS: 'SigmoidCrossEntropyLoss',
  SILENCE: 'Silence', SOFTMAX: 'Softmax', SOFTMAX_LOSS: 'SoftmaxWithLoss', SPLIT: 'Split', SLICE: 'Slice',
  TANH: 'TanH', WINDOW_DATA: 'WindowData', THRESHOLD: 'Threshold',
};

const utf8 = new TextDecoder('utf-8');

/** Parses a net definition in text format (a .prototxt), given as its text or the bytes of the file. */
export function parseNetText(source: string | Uint8Array, file: string): NetParameterMsg {
  const text = typeof source === 'string' ? source : utf8.decode(source);
  return parseTextFormat(text, caffeTypes().NetParameter, file) as unknown as NetParameterMsg;
}

/** Decodes binary NetParameter bytes (a .caffemodel) with blobs left encoded; wire failures are MODEL_DECODE. */
function parseNetBinary(bytes: Uint8Array, file: string): NetParameterMsg {
  if (!(bytes instanceof Uint8Array)) fail('BAD_ARGUMENT', `${file}: weights must be given as bytes (a Uint8Array)`);
  if (bytes.byteLength === 0) fail('MODEL_DECODE', `${file}: not a valid Caffe weights file: the file is empty`);
  const input = typeof Buffer === 'undefined' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return caffeTypes().Weights.decode(input) as unknown as NetParameterMsg;
  } catch (e) {
    const reason = e instanceof RangeError && /call stack/i.test(e.message) ? 'nested too deeply' : e instanceof Error ? e.message : String(e);
    throw new JouleError('MODEL_DECODE', `${file}: not a valid Caffe weights file: ${reason}`);
  }
}

/** A layer's trained blobs by layer name, each decoded on first use. */
export type WeightsByLayer = ReadonlyMap<string, () => Blob[]>;

/**
 * Reads a .caffemodel (a binary NetParameter, layers in either format). Layers are only indexed by name
 * here: the blobs of layers the definition does not use (data and loss layers of training) are never decoded.
 */
export function parseWeights(bytes: Uint8Array, file: string): WeightsByLayer {
  const net = parseNetBinary(bytes, file);
  const out = new Map<string, () => Blob[]>();
  for (const layer of [...net.layers, ...net.layer]) {
    if (layer.blobs.length === 0) continue;
    const encoded = layer.blobs as Uint8Array[];
    let decoded: Blob[] | undefined;
    out.set(layer.name, () => (decoded ??= encoded.map((b, i) => decodeBlob(b, `${file}: blob ${i} of layer '${layer.name}'`))));
  }
  if (out.size === 0 && net.layer.length + net.layers.length === 0) {
    fail('MODEL_DECODE', `${file}: not a Caffe weights file: it holds no layers`);
  }
  return out;
}

/** Caffe's StateMeetsRule for the inference state: phase TEST, the net's level and stages. */
function meetsRule(rule: NetStateRuleMsg, level: number, stages: readonly string[]): boolean {
  if (hasField(rule, 'phase') && rule.phase !== 1) return false;
  if (hasField(rule, 'min_level') && level < rule.min_level) return false;
  if (hasField(rule, 'max_level') && level > rule.max_level) return false;
  if (rule.stage.some((s) => !stages.includes(s))) return false;
  return !rule.not_stage.some((s) => stages.includes(s));
}

/**
 * The layers of a net that run at inference (TEST phase), in order, in the current format. Layers of
 * the V1 format (`layers`) get their type names; the V0 format is refused.
 */
export function netLayers(net: NetParameterMsg, file: string): CaffeLayer[] {
  if (net.layer.length > 0 && net.layers.length > 0) {
    fail('MODEL_INVALID', `${file}: the net mixes 'layer' and the deprecated 'layers'; use one of them`);
  }
  const level = net.state?.level ?? 0;
  const stages = net.state?.stage ?? [];
  const v1 = net.layers.length > 0;
  const names = new Map(Object.entries(caffeTypes().v1LayerTypes).map(([name, value]) => [value, name]));
  const out: CaffeLayer[] = [];
  (v1 ? net.layers : net.layer).forEach((msg, index) => {
    const label = msg.name !== '' ? `layer '${msg.name}'` : `layer ${index}`;
    let type: string;
    if (v1) {
      if (msg.type === 0 && msg.layer !== null && msg.layer !== undefined) {
        fail('MODEL_INVALID', `${file}: ${label} is in Caffe's V0 format; upgrade the file with Caffe's upgrade_net_proto_text`);
      }
      type = v1TypeNames[names.get(msg.type as number) ?? ''] ?? '';
    } else {
      type = msg.type as string;
    }
    if (type === '') fail('MODEL_INVALID', `${file}: ${label} has no type`);
    let included = msg.include.length === 0;
    if (msg.exclude.some((r) => meetsRule(r, level, stages))) included = false;
    if (msg.include.some((r) => meetsRule(r, level, stages))) included = true;
    if (!included) return;
    const blobs = (msg.blobs as BlobProtoMsg[]).map((b, i) => blobFromMessage(b, `${file}: blob ${i} of ${label}`));
    out.push({ name: msg.name !== '' ? msg.name : `${type.toLowerCase()}_${index}`, type, bottoms: msg.bottom, tops: msg.top, msg, blobs });
  });
  return out;
}

/** Decodes a mean file (.binaryproto: one BlobProto), as Caffe's tools write the training set's mean image. */
export function decodeMeanBlob(bytes: Uint8Array, file: string): Blob {
  if (!(bytes instanceof Uint8Array)) fail('BAD_ARGUMENT', `${file}: a mean file must be given as bytes (a Uint8Array)`);
  if (bytes.byteLength === 0) fail('MODEL_DECODE', `${file}: not a valid mean file: the file is empty`);
  const blob = decodeBlob(bytes, file);
  if (blob.data.length === 0) fail('MODEL_DECODE', `${file}: not a valid mean file: the blob holds no values`);
  return blob;
}
