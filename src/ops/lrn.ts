import { formatShape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { Attrs, type OpDef, checkDType, floatTypes, nodeError, requireInputs } from './op.js';

/**
 * LRN, across channels: y = x / (bias + alpha / size * square_sum)^beta, where square_sum at channel c
 * sums x^2 over channels c - floor((size - 1) / 2) .. c + ceil((size - 1) / 2) that exist.
 */
export const lrn: OpDef = {
  type: 'LRN',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    checkDType(ctx.node, 'input X', x.dtype, floatTypes);
    const a = new Attrs(ctx.node);
    const size = a.required('size', a.int('size'));
    if (size < 1) throw nodeError(ctx.node, `attribute 'size' is ${size}; it must be at least 1`, 'MODEL_INVALID');
    if (x.shape !== undefined && x.shape.length < 3) {
      throw nodeError(ctx.node, `input X ${formatShape(x.shape)} must be [N, C, spatial...] (rank 3 or more)`);
    }
    return [x];
  },
  reference(ctx, [x]) {
    const a = new Attrs(ctx.node);
    const size = a.int('size', 1);
    const alpha = a.float('alpha', 1e-4);
    const beta = a.float('beta', 0.75);
    const bias = a.float('bias', 1);
    const out = ctx.outputs[0];
    const [batch, channels] = x!.shape;
    const plane = x!.size / (batch * channels);
    const below = Math.floor((size - 1) / 2);
    const above = Math.ceil((size - 1) / 2);
    const v = x!.toFloat64();
    const y = new Float64Array(v.length);
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        const from = Math.max(0, c - below);
        const to = Math.min(channels - 1, c + above);
        for (let s = 0; s < plane; s++) {
          let squares = 0;
          for (let k = from; k <= to; k++) {
            const value = v[(n * channels + k) * plane + s];
            squares += value * value;
          }
          const i = (n * channels + c) * plane + s;
          y[i] = v[i] / Math.pow(bias + (alpha / size) * squares, beta);
        }
      }
    }
    return [Tensor.from(out.dtype, y, out.shape)];
  },
};
