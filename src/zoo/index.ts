// The model zoo: the networks of NVIDIA's 2015 inference study, built as IR graphs with seeded weights,
// with the input preprocessing and class labels that go with them.

import { fail } from '../core/errors.js';
import type { Model } from '../ir/graph.js';
import { type BuiltNet, buildCaffeNet } from './caffenet.js';
import { buildGoogLeNet } from './googlenet.js';
import { imagenetLabels } from './labels.js';
import { defaultSeed } from './weights.js';

export { imagenetLabels } from './labels.js';
export { defaultSeed } from './weights.js';

/** How an image becomes the network's input tensor: Caffe's transform, pixel values 0..255. */
export interface Preprocessing {
  readonly inputName: string;
  /** Height and width of the input (a centre crop). */
  readonly size: number;
  /** The shorter side is resized to this before the centre crop (Caffe's 256x256 training images). */
  readonly resize: number;
  readonly channelOrder: 'BGR' | 'RGB';
  /** Per-channel mean subtracted from pixel values 0..255, in `channelOrder`. */
  readonly mean: readonly [number, number, number];
  /** Multiplies (pixel - mean). */
  readonly scale: number;
  readonly layout: 'NCHW';
}

export interface ZooBuildOptions {
  /** Seed of the synthetic weights (default `defaultSeed`). */
  readonly seed?: number;
  /** Input height and width; smaller than the real size gives the same architecture on a smaller image. */
  readonly inputSize?: number;
}

export interface ZooEntry {
  readonly name: string;
  readonly description: string;
  readonly preprocessing: Preprocessing;
  readonly labels: readonly string[];
  /** Builds the network with deterministic synthetic weights. */
  build(options?: ZooBuildOptions): Model;
}

/**
 * The mean of Caffe's ILSVRC-2012 mean image (ilsvrc_2012_mean.npy) per channel, BGR: what the
 * CaffeNet and AlexNet deploy models subtract.
 */
const ilsvrcMeanBGR = [104.0069879317889, 116.66876761696767, 122.6789143406786] as const;
/** The rounded mean_value that BVLC GoogLeNet's definition subtracts, BGR. */
const googlenetMeanBGR = [104, 117, 123] as const;

const caffePreprocessing = (size: number, mean: readonly [number, number, number]): Preprocessing =>
  Object.freeze({ inputName: 'data', size, resize: 256, channelOrder: 'BGR', mean, scale: 1, layout: 'NCHW' });

function entry(
  name: string,
  description: string,
  preprocessing: Preprocessing,
  build: (options: { seed: number; inputSize: number }) => BuiltNet,
): ZooEntry {
  return Object.freeze({
    name,
    description,
    preprocessing,
    labels: imagenetLabels,
    build(options: ZooBuildOptions = {}): Model {
      const seed = options.seed ?? defaultSeed;
      const inputSize = options.inputSize ?? preprocessing.size;
      if (!Number.isInteger(seed)) fail('BAD_ARGUMENT', `${name}: seed must be an integer, got ${seed}`);
      if (!Number.isInteger(inputSize) || inputSize < 1) {
        fail('BAD_ARGUMENT', `${name}: input size must be a positive integer, got ${inputSize}`);
      }
      const { graph, parameters } = build({ seed, inputSize });
      return {
        graph,
        producer: 'joule',
        metadata: {
          'joule.zoo': name,
          'joule.weights': `synthetic, seed ${seed}`,
          'joule.parameters': String(parameters),
          'joule.preprocessing': JSON.stringify({ ...preprocessing, size: inputSize }),
          'joule.labels': 'imagenet-1k',
        },
      };
    },
  });
}

/** Every network of the zoo, by name. */
export const zoo: Readonly<Record<string, ZooEntry>> = Object.freeze({
  caffenet: entry(
    'caffenet',
    'BVLC reference CaffeNet: AlexNet with pooling before LRN; 5 conv + 3 fc layers, 61 M parameters, 724 M MAC at 227x227',
    caffePreprocessing(227, ilsvrcMeanBGR),
    (o) => buildCaffeNet('caffenet', o),
  ),
  alexnet: entry(
    'alexnet',
    'BVLC AlexNet (Krizhevsky et al. 2012): 5 conv + 3 fc layers, LRN before pooling, 61 M parameters at 227x227',
    caffePreprocessing(227, ilsvrcMeanBGR),
    (o) => buildCaffeNet('alexnet', o),
  ),
  googlenet: entry(
    'googlenet',
    'BVLC GoogLeNet (Szegedy et al. 2014), deploy version: 9 inception modules, 7.0 M parameters, 1.58 G MAC at 224x224',
    caffePreprocessing(224, googlenetMeanBGR),
    (o) => buildGoogLeNet(o),
  ),
});

/** The zoo entry of a name; fails listing the known names. */
export function zooEntry(name: string): ZooEntry {
  if (!Object.prototype.hasOwnProperty.call(zoo, name)) {
    fail('BAD_ARGUMENT', `unknown zoo model '${name}'; known models: ${Object.keys(zoo).join(', ')}`);
  }
  return zoo[name];
}

/** The preprocessing recorded in a model's metadata by the zoo, if any. */
export function preprocessingOf(model: Pick<Model, 'metadata'>): Preprocessing | undefined {
  const json = model.metadata['joule.preprocessing'];
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json) as Preprocessing;
  } catch {
    return undefined;
  }
}
