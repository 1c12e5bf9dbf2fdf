import sharp from 'sharp';
import { Tensor } from '../../src/core/tensor.js';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { GraphBuilder, int, ints } from '../../src/ir/builder.js';
import type { Preprocessing } from '../../src/zoo/index.js';

export const tinyPreprocessing: Preprocessing = { inputName: 'data', size: 8, resize: 10, channelOrder: 'BGR', mean: [100, 110, 120], scale: 1 / 64, layout: 'NCHW' };

const seeded = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);

/**
 * A small image classifier as ONNX bytes: data [N, 3, 8, 8] -> conv 3x3 (4) -> relu -> global average
 * pool -> flatten -> fc (5) -> softmax, carrying preprocessing metadata as zoo models do.
 */
export function tinyClassifier(): Uint8Array {
  const b = new GraphBuilder();
  const x = b.input('data', 'float32', ['N', 3, 8, 8]);
  const w = b.initializer('w', Tensor.from('float32', seeded(4 * 3 * 3 * 3, 1), [4, 3, 3, 3]));
  const c = b.op('Conv', [x, w], { pads: ints([1, 1, 1, 1]) }, 'conv');
  const r = b.op('Relu', [c]);
  const g = b.op('GlobalAveragePool', [r]);
  const f = b.op('Flatten', [g]);
  const fw = b.initializer('fw', Tensor.from('float32', seeded(5 * 4, 2).map((v) => v * 8), [5, 4]));
  const fb = b.initializer('fb', Tensor.from('float32', [0.1, -0.2, 0.3, 0, 0.05], [5]));
  const fc = b.op('Gemm', [f, fw, fb], { transB: int(1) }, 'fc');
  const prob = b.op('Softmax', [fc], { axis: int(1) }, 'prob');
  b.output(prob, 'float32', ['N', 5]);
  return encodeOnnx({ graph: b.build(), producer: 'test', metadata: { 'joule.preprocessing': JSON.stringify(tinyPreprocessing) } });
}

/** A PNG of a colour pattern that differs with `seed`. */
export async function patternPng(seed: number, width = 24, height = 16): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) pixels[i * 3 + c] = Math.round(127.5 + 127.5 * Math.sin(i / (7 + seed) + c * (seed + 1)));
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A few hundred bytes of PNG that declare width x height pixels: a decompression bomb's header. */
export function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', new Uint8Array(16)), chunk('IEND', new Uint8Array())]);
}
