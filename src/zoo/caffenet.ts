// CaffeNet and AlexNet as BVLC's deploy.prototxt files define them (models/bvlc_reference_caffenet,
// models/bvlc_alexnet). The two differ only in where LRN sits: CaffeNet pools then normalises,
// AlexNet normalises then pools. Layer, node and value names are Caffe's; parameters are <layer>_w
// and <layer>_b.

import type { Graph } from '../ir/graph.js';
import { type Blob, type ConvSpec, NetBuilder } from './net.js';

export interface BuildOptions {
  /** Seed of the synthetic weights. */
  readonly seed: number;
  /** Height and width of the input image (227 for the real network). */
  readonly inputSize: number;
}

/** What the builders return: the graph and how many parameters its initializers hold. */
export interface BuiltNet {
  readonly graph: Graph;
  readonly parameters: number;
}

/** Standard deviation of the biases: small next to activations in the tens for a 0..255 input. */
const biasStd = 0.5;

/**
 * The classifier (fc8) is scaled so its logits spread by about `logitStd` across classes, which makes
 * the softmax decisive without being one-hot (top-1 probability about 0.2 to 0.7). `featureRms` is
 * the root mean square of fc7's output as measured on preprocessed images: He scaling keeps
 * activations near the input's own scale, 57 to 75 here for inputs of RMS 46 (photo-like) to 91 (a
 * full-range pattern), the LRN layers damping the difference.
 */
const logitStd = 4;
const featureRms = { caffenet: 65, alexnet: 75 } as const;

export function buildCaffeNet(variant: 'caffenet' | 'alexnet', options: BuildOptions): BuiltNet {
  const net = new NetBuilder(variant, { seed: options.seed, biasStd });
  const normFirst = variant === 'alexnet';
  let x = net.input('data', 3, options.inputSize);

  // Stages 1 and 2: conv -> relu -> pool -> norm (CaffeNet) or conv -> relu -> norm -> pool (AlexNet).
  const stage = (n: number, input: Blob, conv: ConvSpec): Blob => {
    const y = net.relu(`relu${n}`, net.conv(`conv${n}`, input, conv));
    if (normFirst) return net.maxPool(`pool${n}`, net.lrn(`norm${n}`, y), 3, 2);
    return net.lrn(`norm${n}`, net.maxPool(`pool${n}`, y, 3, 2));
  };
  x = stage(1, x, { out: 96, kernel: 11, stride: 4 });
  x = stage(2, x, { out: 256, kernel: 5, pad: 2, group: 2 });

  x = net.relu('relu3', net.conv('conv3', x, { out: 384, kernel: 3, pad: 1 }));
  x = net.relu('relu4', net.conv('conv4', x, { out: 384, kernel: 3, pad: 1, group: 2 }));
  x = net.relu('relu5', net.conv('conv5', x, { out: 256, kernel: 3, pad: 1, group: 2 }));
  x = net.maxPool('pool5', x, 3, 2);

  x = net.dropout('drop6', net.relu('relu6', net.fullyConnected('fc6', x, 4096)), 0.5);
  x = net.dropout('drop7', net.relu('relu7', net.fullyConnected('fc7', x, 4096)), 0.5);
  const classifierStd = logitStd / (Math.sqrt(4096) * featureRms[variant]);
  x = net.fullyConnected('fc8', x, 1000, classifierStd, 0.1 * logitStd);
  return net.finish(net.softmax('prob', x));
}
