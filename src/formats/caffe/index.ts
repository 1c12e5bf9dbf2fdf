import { JouleError } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import type { Model } from '../../ir/graph.js';
import { decodeMeanBlob, parseNetText, parseWeights } from './decode.js';
import { convertNet } from './net.js';

export interface CaffeDecodeOptions {
  /** The trained weights: the bytes of a .caffemodel (a binary NetParameter, layers in either format). */
  readonly weights?: Uint8Array;
  /** What layers without trained blobs get: 'error' (the default) or 'zeros', to inspect shapes without weights. */
  readonly missingWeights?: 'error' | 'zeros';
  /** Names for the definition and weights in error messages (default 'deploy.prototxt', 'weights'). */
  readonly file?: string;
  readonly weightsFile?: string;
}

/**
 * Decodes a Caffe network: a net definition in text format (deploy.prototxt, given as its text or its
 * bytes) and its trained weights, matched to the layers by name. Layers that do not run at inference
 * (TEST phase) are left out; the first dimension of every input becomes the symbolic batch 'N'.
 */
export function decodeCaffe(prototxt: string | Uint8Array, options: CaffeDecodeOptions = {}): Model {
  if (typeof prototxt !== 'string' && !(prototxt instanceof Uint8Array)) {
    throw new JouleError('BAD_ARGUMENT', 'a Caffe net definition is given as its text or the bytes of its file');
  }
  const file = options.file ?? 'deploy.prototxt';
  const weightsFile = options.weightsFile ?? 'weights';
  const missing = options.missingWeights ?? 'error';
  if (missing !== 'error' && missing !== 'zeros') throw new JouleError('BAD_ARGUMENT', `missingWeights is 'error' or 'zeros', got '${String(missing)}'`);
  const net = parseNetText(prototxt, file);
  const weights = options.weights === undefined ? undefined : parseWeights(options.weights, weightsFile);
  const { graph, zeroed } = convertNet(net, {
    file,
    weights,
    weightsFile: weights === undefined ? undefined : weightsFile,
    zeroMissingWeights: missing === 'zeros',
  });
  const metadata: Record<string, string> = { 'joule.source': 'caffe' };
  if (zeroed.length > 0) metadata['joule.weights'] = `zeros for the layers without trained weights: ${zeroed.join(', ')}`;
  return { graph, producer: 'caffe', metadata };
}

/** The mean image of a .binaryproto mean file as a tensor (Caffe writes it as 1 x C x H x W). */
export function decodeCaffeMean(bytes: Uint8Array, file = 'mean.binaryproto'): Tensor<'float32'> {
  const blob = decodeMeanBlob(bytes, file);
  return new Tensor('float32', blob.data, blob.shape);
}
