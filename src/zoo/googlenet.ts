// GoogLeNet as BVLC's deploy.prototxt defines it (models/bvlc_googlenet): the deploy version, without
// the two auxiliary classifiers of training. Layer, node and value names are Caffe's
// ('inception_3a/3x3_reduce', 'pool5/7x7_s1', 'loss3/classifier'); parameters are <layer>_w and <layer>_b.

import type { BuildOptions, BuiltNet } from './caffenet.js';
import { type Blob, NetBuilder } from './net.js';

/** Branch widths of an inception module: 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection. */
type InceptionWidths = readonly [number, number, number, number, number, number];

const inceptions: Readonly<Record<string, InceptionWidths>> = {
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

/**
 * See caffenet.ts: small biases, and a classifier scaled for a logit spread of about `logitStd` given
 * pool5's measured RMS (47 to 65 for inputs of RMS 46 to 91).
 */
const biasStd = 0.5;
const logitStd = 4;
const featureRms = 55;

export function buildGoogLeNet(options: BuildOptions): BuiltNet {
  const net = new NetBuilder('googlenet', { seed: options.seed, biasStd });
  const convRelu = (layer: string, relu: string, x: Blob, out: number, kernel: number, stride = 1, pad = 0): Blob =>
    net.relu(relu, net.conv(layer, x, { out, kernel, stride, pad }));

  const inception = (id: string, x: Blob): Blob => {
    const m = `inception_${id}`;
    const [n1x1, n3x3r, n3x3, n5x5r, n5x5, proj] = inceptions[id];
    const b1 = convRelu(`${m}/1x1`, `${m}/relu_1x1`, x, n1x1, 1);
    const r3 = convRelu(`${m}/3x3_reduce`, `${m}/relu_3x3_reduce`, x, n3x3r, 1);
    const b3 = convRelu(`${m}/3x3`, `${m}/relu_3x3`, r3, n3x3, 3, 1, 1);
    const r5 = convRelu(`${m}/5x5_reduce`, `${m}/relu_5x5_reduce`, x, n5x5r, 1);
    const b5 = convRelu(`${m}/5x5`, `${m}/relu_5x5`, r5, n5x5, 5, 1, 2);
    const pool = net.maxPool(`${m}/pool`, x, 3, 1, 1);
    const bp = convRelu(`${m}/pool_proj`, `${m}/relu_pool_proj`, pool, proj, 1);
    return net.concat(`${m}/output`, [b1, b3, b5, bp]);
  };

  let x = net.input('data', 3, options.inputSize);
  x = convRelu('conv1/7x7_s2', 'conv1/relu_7x7', x, 64, 7, 2, 3);
  x = net.lrn('pool1/norm1', net.maxPool('pool1/3x3_s2', x, 3, 2));
  x = convRelu('conv2/3x3_reduce', 'conv2/relu_3x3_reduce', x, 64, 1);
  x = convRelu('conv2/3x3', 'conv2/relu_3x3', x, 192, 3, 1, 1);
  x = net.maxPool('pool2/3x3_s2', net.lrn('conv2/norm2', x), 3, 2);
  x = inception('3b', inception('3a', x));
  x = net.maxPool('pool3/3x3_s2', x, 3, 2);
  for (const id of ['4a', '4b', '4c', '4d', '4e']) x = inception(id, x);
  x = net.maxPool('pool4/3x3_s2', x, 3, 2);
  x = inception('5b', inception('5a', x));

  // 7x7 at the real input size; global over whatever is left at a smaller one.
  x = net.averagePool('pool5/7x7_s1', x, x.dims[1], 1);
  x = net.dropout('pool5/drop_7x7_s1', x, 0.4);
  const classifierStd = logitStd / (Math.sqrt(1024) * featureRms);
  x = net.fullyConnected('loss3/classifier', x, 1000, classifierStd, 0.1 * logitStd);
  return net.finish(net.softmax('prob', x));
}
