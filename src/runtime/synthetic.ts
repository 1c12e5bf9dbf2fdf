import { JouleError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import type { ValueInfo } from '../ir/graph.js';
import type { Preprocessing } from '../zoo/index.js';

/**
 * A deterministic input for a model without real data: for an image input with known preprocessing, a
 * smooth colour pattern (0..255) preprocessed like a photo; otherwise values in [-1, 1). Symbolic
 * dimensions take `batch`.
 */
export function syntheticInput(info: ValueInfo, batch: number, preprocessing?: Preprocessing): Tensor {
  if (info.shape === undefined) throw new JouleError('BAD_ARGUMENT', `input '${info.name}' has unknown rank; give it with --input`);
  const shape = info.shape.map((d) => (typeof d === 'number' ? d : batch));
  const t = Tensor.zeros(info.dtype, shape);
  const values = new Float64Array(t.size);
  if (preprocessing !== undefined && preprocessing.inputName === info.name && shape.length === 4) {
    const [n, c, h, w] = shape;
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const pixel = 127.5 + 127.5 * Math.sin((x * (ch + 1)) / 17 + (y * (b + 2)) / 23 + ch + b);
            values[((b * c + ch) * h + y) * w + x] = (pixel - preprocessing.mean[ch % 3]) * preprocessing.scale;
          }
        }
      }
    }
  } else {
    let s = 0x2545f491;
    for (let i = 0; i < values.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      values[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
    }
  }
  t.setNumbers(info.dtype === 'float32' || info.dtype === 'float16' ? values : values.map((v) => Math.floor((v + 1) * 2)));
  return t;
}
