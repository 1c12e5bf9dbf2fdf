import { JouleError } from '../core/errors.js';
import { decodeOnnx, loadOnnxFile } from '../formats/onnx/decode.js';
import type { Model } from '../ir/graph.js';
import { zooEntry } from '../zoo/index.js';

/** Where a model comes from: a file path, 'zoo:<name>' for a built-in network, or the bytes of an ONNX file. */
export type ModelSource = string | Uint8Array;

export async function loadModel(source: ModelSource): Promise<Model> {
  if (source instanceof Uint8Array) return decodeOnnx(source);
  if (typeof source !== 'string') throw new JouleError('BAD_ARGUMENT', 'a model source is a file path, zoo:<name> or a Uint8Array');
  if (source.startsWith('zoo:')) return zooEntry(source.slice(4)).build();
  return loadOnnxFile(source);
}
