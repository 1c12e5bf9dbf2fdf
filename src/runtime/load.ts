import { JouleError, fail } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { decodeCaffe, decodeCaffeMean } from '../formats/caffe/index.js';
import { readOrFail } from '../formats/read-file.js';
import { decodeOnnx, loadOnnxFile } from '../formats/onnx/decode.js';
import type { Model } from '../ir/graph.js';
import { type Preprocessing, zooEntry } from '../zoo/index.js';

/**
 * Where a model comes from: a file path (.onnx, or a Caffe .prototxt), 'zoo:<name>' for a built-in
 * network, the bytes of an ONNX file, or `{ prototxt }` holding a Caffe net definition itself (its text
 * or the bytes of its file, not a path).
 */
export type ModelSource = string | Uint8Array | { readonly prototxt: string | Uint8Array };

/** What a model is loaded with besides its source. */
export interface LoadOptions {
  /** A Caffe model's trained weights: the path or bytes of its .caffemodel. */
  readonly weights?: string | Uint8Array;
  /**
   * What Caffe layers without trained weights get: 'error' (the default) or 'zeros', which loads a
   * definition without weights to inspect its shapes (its outputs mean nothing).
   */
  readonly missingWeights?: 'error' | 'zeros';
  /**
   * A mean file (.binaryproto, the path or bytes): its per-channel mean becomes the model's
   * preprocessing metadata (BGR pixel values 0..255 minus the mean), as the zoo's models carry.
   */
  readonly mean?: string | Uint8Array;
}

/** Whether a source is a Caffe net definition. */
export function isCaffeSource(source: ModelSource): boolean {
  if (typeof source === 'string') return /\.prototxt$/i.test(source);
  return typeof source === 'object' && source !== null && !(source instanceof Uint8Array) && 'prototxt' in source;
}

export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<Model> {
  let model: Model;
  if (isCaffeSource(source)) {
    const path = typeof source === 'string' ? source : undefined;
    const prototxt = path !== undefined ? await readOrFail(path, 'Caffe net definition') : (source as { prototxt: string | Uint8Array }).prototxt;
    if (path === undefined && typeof prototxt === 'string' && /^[^\n{:]*\.prototxt$/i.test(prototxt.trim())) {
      fail('BAD_ARGUMENT', `{ prototxt } holds the definition itself; '${prototxt.trim()}' looks like a path: pass the path as the source`);
    }
    const weights = typeof options.weights === 'string' ? await readOrFail(options.weights, 'Caffe weights') : options.weights;
    model = decodeCaffe(prototxt, {
      weights,
      missingWeights: options.missingWeights,
      file: path?.split(/[/\\]/).pop(),
      weightsFile: typeof options.weights === 'string' ? options.weights.split(/[/\\]/).pop() : undefined,
    });
  } else {
    if (options.weights !== undefined || options.missingWeights !== undefined) {
      fail('BAD_ARGUMENT', 'weights and missingWeights apply to Caffe models (a .prototxt path or { prototxt })');
    }
    model = await loadOther(source);
  }
  if (options.mean === undefined) return model;
  const mean = typeof options.mean === 'string' ? await readOrFail(options.mean, 'mean file') : options.mean;
  const file = typeof options.mean === 'string' ? options.mean.split(/[/\\]/).pop() : undefined;
  return withMean(model, decodeCaffeMean(mean, file));
}

async function loadOther(source: ModelSource): Promise<Model> {
  if (source instanceof Uint8Array) return decodeOnnx(source);
  if (typeof source !== 'string') throw new JouleError('BAD_ARGUMENT', 'a model source is a file path, zoo:<name>, a Uint8Array or { prototxt }');
  if (source.startsWith('zoo:')) return zooEntry(source.slice(4)).build();
  return loadOnnxFile(source);
}

/**
 * Records Caffe's preprocessing with the per-channel mean of a mean image ([..., 3, H, W], BGR, pixel
 * values 0..255): images are resized to the mean image's shorter side, centre-cropped to the input size.
 */
export function withMean(model: Model, image: Tensor<'float32'>): Model {
  const input = model.graph.inputs.find((v) => v.shape?.length === 4);
  if (input === undefined) fail('BAD_ARGUMENT', 'a mean applies to a model with an image input (N, C, H, W); this model has none');
  const rank = image.shape.length;
  if (rank < 3 || image.shape[rank - 3] !== 3) {
    fail('BAD_ARGUMENT', `a mean image is [..., 3, H, W] (BGR); this one has shape [${image.shape.join(', ')}]`);
  }
  if (input.shape![1] !== 3) fail('BAD_ARGUMENT', `input '${input.name}' has ${String(input.shape![1])} channels; the mean image has 3`);
  const [h, w] = [image.shape[rank - 2], image.shape[rank - 1]];
  const plane = h * w;
  const sums = [0, 0, 0];
  for (let i = 0; i < image.size; i++) sums[Math.floor(i / plane) % 3] += image.data[i];
  const perChannel = image.size / 3;
  const size = input.shape![2];
  const preprocessing: Preprocessing = {
    inputName: input.name,
    size: typeof size === 'number' ? size : Math.min(h, w),
    resize: Math.min(h, w),
    channelOrder: 'BGR',
    mean: [sums[0] / perChannel, sums[1] / perChannel, sums[2] / perChannel],
    scale: 1,
    layout: 'NCHW',
  };
  return { ...model, metadata: { ...model.metadata, 'joule.preprocessing': JSON.stringify(preprocessing) } };
}
