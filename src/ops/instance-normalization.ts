import { formatShape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { standardizeRows } from './layer-normalization.js';
import { Attrs, type OpDef, checkDType, describeType, floatTypes, nodeError, requireInputs } from './op.js';

/**
 * InstanceNormalization: standardizes each (n, c) plane of X [N, C, spatial...] over its spatial
 * elements, then y = scale[c] * x̂ + B[c] (epsilon defaults to 1e-5).
 */
export const instanceNormalization: OpDef = {
  type: 'InstanceNormalization',
  infer(ctx) {
    const [x, scale, bias] = requireInputs(ctx, 3);
    checkDType(ctx.node, 'input X', x.dtype, floatTypes);
    if (x.shape !== undefined && x.shape.length < 3) throw nodeError(ctx.node, `input X ${formatShape(x.shape)} must be [N, C, spatial...]`);
    const channels = x.shape?.[1];
    for (const [what, t] of [['scale', scale], ['B', bias]] as const) {
      if (t.dtype !== x.dtype) throw nodeError(ctx.node, `input ${what} is ${describeType(t)} but X is ${describeType(x)}`, 'UNSUPPORTED_DTYPE');
      if (t.shape === undefined) continue;
      const ok = t.shape.length === 1 && (typeof t.shape[0] !== 'number' || typeof channels !== 'number' || t.shape[0] === channels);
      if (!ok) throw nodeError(ctx.node, `input ${what} ${formatShape(t.shape)} must be a vector of the ${channels} channels of X ${formatShape(x.shape)}`);
    }
    return [x];
  },
  reference(ctx, [x, scale, bias]) {
    const out = ctx.outputs[0];
    const [batch, channels] = x!.shape;
    const plane = batch * channels === 0 ? 0 : x!.size / (batch * channels);
    const v = x!.toFloat64();
    standardizeRows(v, batch * channels, plane, new Attrs(ctx.node).float('epsilon', 1e-5));
    const [s, b] = [scale!.toFloat64(), bias!.toFloat64()];
    for (let i = 0; i < v.length; i++) {
      const c = Math.floor(i / plane) % channels;
      v[i] = v[i] * s[c] + b[c];
    }
    return [Tensor.from(out.dtype, v, out.shape)];
  },
};
