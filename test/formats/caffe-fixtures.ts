// Caffe files written by the tests themselves: a protobuf text-format writer for net definitions, the
// zoo's networks as BVLC writes their deploy.prototxt files, and .caffemodel files encoded with
// protobufjs (layers in the current or the V1 format, blobs with `shape` or legacy 4D dimensions).

import protobuf from 'protobufjs';
import { Tensor } from '../../src/core/tensor.js';
import { caffeTypes } from '../../src/formats/caffe/schema.js';
import type { Model } from '../../src/ir/graph.js';
import { inferGraph } from '../../src/ir/infer.js';
import { concat } from '../helpers/mutate.js';

/** An enum value, written bare (MAX) rather than quoted. */
export class Ident {
  constructor(readonly name: string) {}
}

export type TextValue = number | boolean | string | Ident | TextMessage | readonly TextValue[];
export interface TextMessage {
  readonly [field: string]: TextValue | undefined;
}

/** Writes a message in protobuf text format, repeated fields as repeated entries, two-space indents. */
export function toPrototxt(msg: TextMessage, indent = ''): string {
  const lines: string[] = [];
  const write = (field: string, v: TextValue): void => {
    if (Array.isArray(v)) {
      for (const item of v as TextValue[]) write(field, item);
    } else if (v instanceof Ident) {
      lines.push(`${indent}${field}: ${v.name}`);
    } else if (typeof v === 'string') {
      lines.push(`${indent}${field}: ${JSON.stringify(v)}`);
    } else if (typeof v === 'number' || typeof v === 'boolean') {
      lines.push(`${indent}${field}: ${String(v)}`);
    } else {
      lines.push(`${indent}${field} {`, toPrototxt(v as TextMessage, `${indent}  `), `${indent}}`);
    }
  };
  for (const [field, v] of Object.entries(msg)) if (v !== undefined) write(field, v);
  return lines.filter((l) => l !== '').join('\n');
}

const MAX = new Ident('MAX');
const AVE = new Ident('AVE');

/** A layer as the BVLC files write it, with the training-only `param` and filler fields they carry. */
function layer(name: string, type: string, bottom: string | string[], top: string, extra: TextMessage = {}): TextMessage {
  return { name, type, bottom, top, ...extra };
}

const learned = { param: [{ lr_mult: 1, decay_mult: 1 }, { lr_mult: 2, decay_mult: 0 }] };

function conv(name: string, bottom: string, out: number, kernel: number, opts: { stride?: number; pad?: number; group?: number; top?: string } = {}): TextMessage {
  const p: Record<string, TextValue> = { num_output: out };
  if (opts.pad !== undefined) p.pad = opts.pad;
  p.kernel_size = kernel;
  if (opts.stride !== undefined) p.stride = opts.stride;
  if (opts.group !== undefined) p.group = opts.group;
  p.weight_filler = { type: 'xavier', std: 0.1 };
  p.bias_filler = { type: 'constant', value: 0.2 };
  return layer(name, 'Convolution', bottom, opts.top ?? name, { ...learned, convolution_param: p });
}

const relu = (name: string, blob: string): TextMessage => layer(name, 'ReLU', blob, blob);
const pool = (name: string, bottom: string, method: Ident, kernel: number, stride: number, pad?: number): TextMessage =>
  layer(name, 'Pooling', bottom, name, { pooling_param: { pool: method, kernel_size: kernel, stride, ...(pad === undefined ? {} : { pad }) } });
const lrn = (name: string, bottom: string): TextMessage => layer(name, 'LRN', bottom, name, { lrn_param: { local_size: 5, alpha: 0.0001, beta: 0.75 } });
const fc = (name: string, bottom: string, out: number): TextMessage =>
  layer(name, 'InnerProduct', bottom, name, { ...learned, inner_product_param: { num_output: out, weight_filler: { type: 'gaussian', std: 0.005 } } });
const dropout = (name: string, blob: string, ratio: number): TextMessage => layer(name, 'Dropout', blob, blob, { dropout_param: { dropout_ratio: ratio } });

/**
 * CaffeNet or AlexNet as in BVLC's deploy.prototxt: in-place ReLU and Dropout. CaffeNet declares its
 * input the old way (input + four input_dim), AlexNet with an Input layer.
 */
export function caffeNetPrototxt(variant: 'caffenet' | 'alexnet', inputSize: number): string {
  const layers: TextMessage[] = [];
  let header: TextMessage;
  if (variant === 'caffenet') {
    header = { name: 'CaffeNet', input: 'data', input_dim: [10, 3, inputSize, inputSize] };
  } else {
    header = { name: 'AlexNet' };
    layers.push({ name: 'data', type: 'Input', top: 'data', input_param: { shape: { dim: [10, 3, inputSize, inputSize] } } });
  }
  const stage = (n: number, bottom: string, c: TextMessage): string => {
    layers.push(c, relu(`relu${n}`, `conv${n}`));
    if (variant === 'alexnet') layers.push(lrn(`norm${n}`, `conv${n}`), pool(`pool${n}`, `norm${n}`, MAX, 3, 2));
    else layers.push(pool(`pool${n}`, `conv${n}`, MAX, 3, 2), lrn(`norm${n}`, `pool${n}`));
    return variant === 'alexnet' ? `pool${n}` : `norm${n}`;
  };
  let x = stage(1, 'data', conv('conv1', 'data', 96, 11, { stride: 4 }));
  x = stage(2, x, conv('conv2', x, 256, 5, { pad: 2, group: 2 }));
  layers.push(conv('conv3', x, 384, 3, { pad: 1 }), relu('relu3', 'conv3'));
  layers.push(conv('conv4', 'conv3', 384, 3, { pad: 1, group: 2 }), relu('relu4', 'conv4'));
  layers.push(conv('conv5', 'conv4', 256, 3, { pad: 1, group: 2 }), relu('relu5', 'conv5'));
  layers.push(pool('pool5', 'conv5', MAX, 3, 2));
  layers.push(fc('fc6', 'pool5', 4096), relu('relu6', 'fc6'), dropout('drop6', 'fc6', 0.5));
  layers.push(fc('fc7', 'fc6', 4096), relu('relu7', 'fc7'), dropout('drop7', 'fc7', 0.5));
  layers.push(fc('fc8', 'fc7', 1000), layer('prob', 'Softmax', 'fc8', 'prob'));
  return `${toPrototxt(header)}\n${toPrototxt({ layer: layers })}\n`;
}

const inceptionWidths: Readonly<Record<string, readonly number[]>> = {
  '3a': [64, 96, 128, 16, 32, 32],
  '3b': [128, 128, 192, 32, 96, 64],
  '4a': [192, 96, 208, 16, 48, 64],
  '4b': [160, 112, 224, 24, 64, 64],
  '4c': [128, 128, 256, 24, 64, 64],
  '4d': [112, 144, 288, 32, 64, 64],
  '4e': [256, 160, 320, 32, 128, 128],
  '5a': [256, 160, 320, 32, 128, 128],
  '5b': [384, 192, 384, 48, 128, 128],
};

/** GoogLeNet as BVLC's deploy.prototxt writes it; `finalPool` is pool5's window (7 at 224 pixels). */
export function googLeNetPrototxt(inputSize: number, finalPool: number): string {
  const layers: TextMessage[] = [{ name: 'data', type: 'Input', top: 'data', input_param: { shape: { dim: [10, 3, inputSize, inputSize] } } }];
  const convRelu = (name: string, reluName: string, bottom: string, out: number, kernel: number, stride?: number, pad?: number): string => {
    layers.push(conv(name, bottom, out, kernel, { stride, pad }), relu(reluName, name));
    return name;
  };
  const inception = (id: string, x: string): string => {
    const m = `inception_${id}`;
    const [n1, r3, n3, r5, n5, proj] = inceptionWidths[id];
    const b1 = convRelu(`${m}/1x1`, `${m}/relu_1x1`, x, n1, 1);
    const a3 = convRelu(`${m}/3x3_reduce`, `${m}/relu_3x3_reduce`, x, r3, 1);
    const b3 = convRelu(`${m}/3x3`, `${m}/relu_3x3`, a3, n3, 3, undefined, 1);
    const a5 = convRelu(`${m}/5x5_reduce`, `${m}/relu_5x5_reduce`, x, r5, 1);
    const b5 = convRelu(`${m}/5x5`, `${m}/relu_5x5`, a5, n5, 5, undefined, 2);
    layers.push(pool(`${m}/pool`, x, MAX, 3, 1, 1));
    const bp = convRelu(`${m}/pool_proj`, `${m}/relu_pool_proj`, `${m}/pool`, proj, 1);
    layers.push(layer(`${m}/output`, 'Concat', [b1, b3, b5, bp], `${m}/output`));
    return `${m}/output`;
  };
  let x = convRelu('conv1/7x7_s2', 'conv1/relu_7x7', 'data', 64, 7, 2, 3);
  layers.push(pool('pool1/3x3_s2', x, MAX, 3, 2), lrn('pool1/norm1', 'pool1/3x3_s2'));
  x = convRelu('conv2/3x3_reduce', 'conv2/relu_3x3_reduce', 'pool1/norm1', 64, 1);
  x = convRelu('conv2/3x3', 'conv2/relu_3x3', x, 192, 3, undefined, 1);
  layers.push(lrn('conv2/norm2', x), pool('pool2/3x3_s2', 'conv2/norm2', MAX, 3, 2));
  x = inception('3b', inception('3a', 'pool2/3x3_s2'));
  layers.push(pool('pool3/3x3_s2', x, MAX, 3, 2));
  x = 'pool3/3x3_s2';
  for (const id of ['4a', '4b', '4c', '4d', '4e']) x = inception(id, x);
  layers.push(pool('pool4/3x3_s2', x, MAX, 3, 2));
  x = inception('5b', inception('5a', 'pool4/3x3_s2'));
  layers.push(pool('pool5/7x7_s1', x, AVE, finalPool, 1), dropout('pool5/drop_7x7_s1', 'pool5/7x7_s1', 0.4));
  layers.push(fc('loss3/classifier', 'pool5/7x7_s1', 1000), layer('prob', 'Softmax', 'loss3/classifier', 'prob'));
  return `${toPrototxt({ name: 'GoogleNet' })}\n${toPrototxt({ layer: layers })}\n`;
}

/** pool5's window in the zoo's GoogLeNet at this input size (whatever is left of the spatial size). */
export function googLeNetFinalPool(model: Model): number {
  return inferGraph(model.graph).types.get('inception_5b/output')!.shape![2] as number;
}

/** One layer of a weights file: its blobs, and its type for the V1 format's enum. */
export interface WeightsLayer {
  readonly name: string;
  readonly type: string;
  readonly blobs: readonly Tensor[];
  readonly bottom?: readonly string[];
  readonly top?: readonly string[];
}

const v1Types: Readonly<Record<string, string>> = {
  Convolution: 'CONVOLUTION', InnerProduct: 'INNER_PRODUCT', Data: 'DATA', SoftmaxWithLoss: 'SOFTMAX_LOSS', Accuracy: 'ACCURACY', ReLU: 'RELU',
};

/** An encoded BlobProto: `shape`, or the legacy num/channels/height/width (leading 1s); data packed. */
export function encodeBlob(t: Tensor, legacy = false): Uint8Array {
  const w = protobuf.Writer.create();
  if (legacy) {
    const dims = [...new Array<number>(4 - t.shape.length).fill(1), ...t.shape];
    dims.forEach((d, i) => w.uint32(((i + 1) << 3) | 0).int32(d));
  } else {
    w.uint32((7 << 3) | 2).bytes(caffeTypes().BlobShape.encode({ dim: [...t.shape] }).finish());
  }
  const data = t.data as Float32Array;
  return w.uint32((5 << 3) | 2).bytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).finish();
}

/**
 * A .caffemodel: a binary NetParameter whose layers carry their blobs, in the current format (`layer`)
 * or the V1 format (`layers`, as the 2014 BVLC models are stored).
 */
export function encodeCaffemodel(layers: readonly WeightsLayer[], options: { v1?: boolean; legacyBlobs?: boolean } = {}): Uint8Array {
  const { root } = caffeTypes();
  const type = root.lookupType(options.v1 ? 'caffe.V1LayerParameter' : 'caffe.LayerParameter');
  const blobField = options.v1 ? 6 : 7;
  const net = protobuf.Writer.create();
  net.uint32((1 << 3) | 2).string('trained');
  for (const l of layers) {
    const fields = { name: l.name, type: options.v1 ? v1Types[l.type] : l.type, bottom: l.bottom ?? [], top: l.top ?? [] };
    // The layer's own fields, then its blobs appended as fields of the same message.
    const parts = [type.encode(type.fromObject(fields)).finish()];
    for (const b of l.blobs) parts.push(protobuf.Writer.create().uint32((blobField << 3) | 2).bytes(encodeBlob(b, options.legacyBlobs)).finish());
    net.uint32(((options.v1 ? 2 : 100) << 3) | 2).bytes(concat(...parts));
  }
  return net.finish();
}

/** The trained blobs of a zoo network (its Conv and Gemm nodes' `<layer>_w` and `<layer>_b`) as layers of a weights file. */
export function zooWeights(model: Model): WeightsLayer[] {
  const init = model.graph.initializers;
  return model.graph.nodes
    .filter((n) => n.op === 'Conv' || n.op === 'Gemm')
    .map((n) => ({ name: n.name, type: n.op === 'Conv' ? 'Convolution' : 'InnerProduct', blobs: [init.get(`${n.name}_w`)!, init.get(`${n.name}_b`)!] }));
}

const seq = (shape: number[]): Tensor<'float32'> => {
  const n = shape.reduce((a, b) => a * b, 1);
  return Tensor.from('float32', Array.from({ length: n }, (_, i) => Math.sin(i + shape.length)), shape);
};

/**
 * A small net with most layer kinds (grouped Convolution, BatchNorm + Scale, ReLU, AVE pooling with
 * padding, LRN within channels, InnerProduct, Softmax), its weights and a 3-channel mean image.
 */
export function smallNet(): { prototxt: string; weights: WeightsLayer[]; mean: Tensor<'float32'> } {
  const prototxt = toPrototxt({
    name: 'small',
    layer: [
      { name: 'data', type: 'Input', top: 'data', input_param: { shape: { dim: [1, 3, 6, 6] } } },
      { name: 'conv', type: 'Convolution', bottom: 'data', top: 'conv', convolution_param: { num_output: 4, kernel_size: 3, pad: 1 } },
      { name: 'bn', type: 'BatchNorm', bottom: 'conv', top: 'conv' },
      { name: 'scale', type: 'Scale', bottom: 'conv', top: 'conv', scale_param: { bias_term: true } },
      { name: 'relu', type: 'ReLU', bottom: 'conv', top: 'conv' },
      { name: 'pool', type: 'Pooling', bottom: 'conv', top: 'pool', pooling_param: { pool: new Ident('AVE'), kernel_size: 3, stride: 2, pad: 1 } },
      { name: 'norm', type: 'LRN', bottom: 'pool', top: 'norm', lrn_param: { local_size: 3, norm_region: new Ident('WITHIN_CHANNEL') } },
      { name: 'fc', type: 'InnerProduct', bottom: 'norm', top: 'fc', inner_product_param: { num_output: 3 } },
      { name: 'prob', type: 'Softmax', bottom: 'fc', top: 'prob' },
    ],
  });
  const weights: WeightsLayer[] = [
    { name: 'conv', type: 'Convolution', blobs: [seq([4, 3, 3, 3]), seq([4])] },
    { name: 'bn', type: 'BatchNorm', blobs: [seq([4]), Tensor.from('float32', [1, 2, 3, 4], [4]), Tensor.from('float32', [0.5], [1])] },
    { name: 'scale', type: 'Scale', blobs: [seq([4]), seq([4])] },
    { name: 'fc', type: 'InnerProduct', blobs: [seq([3, 64]), seq([3])] },
  ];
  const mean = Tensor.from('float32', Array.from({ length: 3 * 4 * 4 }, (_, i) => 100 + 10 * Math.floor(i / 16) + (i % 2)), [1, 3, 4, 4]);
  return { prototxt, weights, mean };
}
