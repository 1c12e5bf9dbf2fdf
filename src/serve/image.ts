// Images to input tensors: decoded, oriented, resized and centre-cropped with sharp, then preprocessed
// as the model's metadata says (channel order, mean, scale).

import sharp, { type Metadata } from 'sharp';
import type { Tensor } from '../core/tensor.js';
import type { Preprocessing } from '../zoo/index.js';
import { ImageError, pixelsToTensor, resizeAndCrop } from './pixels.js';

export { ImageError, pixelsToTensor } from './pixels.js';

export const imageFormats = ['jpeg', 'png', 'webp'] as const;

export interface DecodeOptions {
  /** Most pixels (width x height) an image may declare; larger ones are refused before decoding. */
  readonly maxPixels: number;
}

/** A [1, 3, size, size] float32 tensor of the image, preprocessed for the model. */
export async function imageToTensor(bytes: Uint8Array, pre: Preprocessing, options: DecodeOptions): Promise<Tensor<'float32'>> {
  if (bytes.byteLength === 0) throw new ImageError('EMPTY_IMAGE', 'the request has no image (empty body)');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new ImageError('UNSUPPORTED_IMAGE_TYPE', `the body is not a JPEG, PNG or WebP image (${describeStart(bytes)})`);
  }
  if (!(imageFormats as readonly string[]).includes(meta.format ?? '')) {
    throw new ImageError('UNSUPPORTED_IMAGE_TYPE', `images must be JPEG, PNG or WebP; this one is ${meta.format ?? 'of an unknown format'}`);
  }
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  if (width < 1 || height < 1) throw new ImageError('BAD_IMAGE', `the ${meta.format} image has no size`);
  if (width * height > options.maxPixels) {
    throw new ImageError('IMAGE_TOO_LARGE', `the ${meta.format} image is ${width}x${height} pixels; at most ${options.maxPixels} pixels are accepted`);
  }
  // The shorter side becomes `resize`, then the centre `size` x `size` is cut out (Caffe's transform).
  const { width: rw, height: rh, left, top } = resizeAndCrop(width, height, pre);
  let pixels: Buffer;
  try {
    pixels = await sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error', sequentialRead: true })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .resize(rw, rh, { fit: 'fill' })
      .extract({ left, top, width: pre.size, height: pre.size })
      .raw()
      .toBuffer();
  } catch (e) {
    throw new ImageError('BAD_IMAGE', `the ${meta.format} image cannot be decoded: ${(e as Error).message}`);
  }
  return pixelsToTensor(pixels, pre);
}

function describeStart(bytes: Uint8Array): string {
  const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `${bytes.byteLength} bytes starting ${head}`;
}
