// Pixels to input tensors, without decoding: shared by the server (images decoded with sharp) and the
// browser page (images decoded by the browser), so that both preprocess alike.

import { Tensor } from '../core/tensor.js';
import type { Preprocessing } from '../zoo/index.js';

/** Why an image was refused; the HTTP layer answers 400, 413 or 415. */
export class ImageError extends Error {
  constructor(readonly code: 'EMPTY_IMAGE' | 'UNSUPPORTED_IMAGE_TYPE' | 'BAD_IMAGE' | 'IMAGE_TOO_LARGE', message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

/** Caffe's transform of a width x height image: the size its shorter side is resized to, and the centre crop in it. */
export function resizeAndCrop(width: number, height: number, pre: Pick<Preprocessing, 'size' | 'resize'>): {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly top: number;
} {
  const scale = Math.max(pre.resize, pre.size) / Math.min(width, height);
  const rw = Math.max(pre.size, Math.round(width * scale));
  const rh = Math.max(pre.size, Math.round(height * scale));
  return { width: rw, height: rh, left: Math.floor((rw - pre.size) / 2), top: Math.floor((rh - pre.size) / 2) };
}

/** Interleaved RGB bytes (size x size) to a [1, 3, size, size] tensor in the model's channel order. */
export function pixelsToTensor(rgb: Uint8Array, pre: Preprocessing): Tensor<'float32'> {
  const plane = pre.size * pre.size;
  if (rgb.length !== plane * 3) throw new ImageError('BAD_IMAGE', `expected ${plane * 3} RGB bytes, got ${rgb.length}`);
  const data = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const source = pre.channelOrder === 'BGR' ? 2 - c : c;
    const mean = pre.mean[c];
    for (let i = 0; i < plane; i++) data[c * plane + i] = (rgb[i * 3 + source] - mean) * pre.scale;
  }
  return new Tensor('float32', data, [1, 3, pre.size, pre.size]);
}
