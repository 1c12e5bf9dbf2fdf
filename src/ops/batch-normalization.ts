import { type Dim, formatShape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import type { Node } from '../ir/graph.js';
import { Attrs, type OpDef, checkDType, floatTypes, nodeError, requireInputs } from './op.js';

const paramNames = ['scale', 'B', 'input_mean', 'input_var'] as const;

/**
 * BatchNormalization in inference mode: y = scale * (x - mean) / sqrt(var + epsilon) + B per channel of
 * X [N, C, ...]. Training mode (training_mode = 1 from opset 14, or asking for the statistics outputs in
 * any opset) is not supported. Before opset 9, spatial = 0 takes per-activation parameters [C, ...].
 */
export const batchNormalization: OpDef = {
  type: 'BatchNormalization',
  infer(ctx) {
    const { node } = ctx;
    const inputs = requireInputs(ctx, 5);
    const x = inputs[0];
    checkDType(node, 'input X', x.dtype, floatTypes);
    inputs.slice(1).forEach((t, i) => checkDType(node, `input ${paramNames[i]}`, t.dtype, floatTypes));
    if (ctx.opset >= 14 && new Attrs(node).int('training_mode', 0) !== 0) {
      throw nodeError(node, 'training_mode = 1 is not supported: joule runs inference only', 'UNSUPPORTED_OPS');
    }
    if (node.outputs.slice(1).some((o) => o !== '')) {
      throw nodeError(node, 'the running/saved statistics outputs exist only in training mode, which joule does not run', 'UNSUPPORTED_OPS');
    }
    if (x.shape === undefined) return [x];
    if (x.shape.length < 2) throw nodeError(node, `input X ${formatShape(x.shape)} must be [N, C, ...]`);
    const expected: readonly Dim[] = perActivation(ctx.node, ctx.opset) ? x.shape.slice(1) : [x.shape[1]];
    inputs.slice(1).forEach((t, i) => {
      if (t.shape === undefined) return;
      const ok = t.shape.length === expected.length && t.shape.every((d, k) => typeof d !== 'number' || typeof expected[k] !== 'number' || d === expected[k]);
      if (!ok) throw nodeError(node, `input ${paramNames[i]} ${formatShape(t.shape)} must have shape ${formatShape(expected)} for X ${formatShape(x.shape)}`);
    });
    return [x];
  },
  reference(ctx, [x, scale, bias, mean, variance]) {
    const epsilon = new Attrs(ctx.node).float('epsilon', 1e-5);
    const out = ctx.outputs[0];
    const [batch, channels] = x!.shape;
    const plane = x!.size / (batch * channels);
    const [s, b, m, v] = [scale!, bias!, mean!, variance!].map((t) => t.toFloat64());
    // Parameter p of element (n, c, i): index c, or c * plane + i when parameters are per activation.
    const perElement = perActivation(ctx.node, ctx.opset);
    const xv = x!.toFloat64();
    const y = new Float64Array(xv.length);
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        for (let i = 0; i < plane; i++) {
          const p = perElement ? c * plane + i : c;
          const at = (n * channels + c) * plane + i;
          y[at] = (s[p] * (xv[at] - m[p])) / Math.sqrt(v[p] + epsilon) + b[p];
        }
      }
    }
    return [Tensor.from(out.dtype, y, out.shape)];
  },
};

function perActivation(node: Node, opset: number): boolean {
  return opset < 9 && new Attrs(node).int('spatial', 1) === 0;
}
