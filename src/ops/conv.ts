import { type Dim, formatShape, shapeSize } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import type { Node, ValueType } from '../ir/graph.js';
import { Attrs, type OpDef, checkDType, describeType, floatTypes, nodeError, requireInputs } from './op.js';
import { type WindowAttrs, readWindowAttrs, tapTable, windowOutputDims } from './sliding-window.js';

/**
 * Conv: Y[n, m] = B[m] + sum over the channels c of m's group and the kernel taps k of X[n, c] * W[m, c]
 * for X [N, C, spatial...] and W [M, C / group, kernel...]; group = C is depthwise convolution.
 * Any number of spatial axes; kernel_shape defaults to W's spatial dims.
 */
export const conv: OpDef = {
  type: 'Conv',
  infer(ctx) {
    const { node } = ctx;
    const [x, w] = requireInputs(ctx, 2);
    const b = ctx.inputs[2];
    const group = checkConvOperands(node, x, w, b);
    if (x.shape === undefined || w.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
    const shapes = `X ${formatShape(x.shape)}, W ${formatShape(w.shape)}`;
    if (x.shape.length < 3 || w.shape.length !== x.shape.length) {
      throw nodeError(node, `X must be [N, C, spatial...] and W [M, C/group, kernel...] of the same rank; got ${shapes}`);
    }
    const [outChannels, groupChannels] = w.shape;
    const channels = x.shape[1];
    if (typeof channels === 'number' && typeof groupChannels === 'number' && channels !== groupChannels * group) {
      throw nodeError(node, `X has ${channels} channels but W expects ${groupChannels} per group x ${group} groups (${shapes})`);
    }
    if (typeof outChannels === 'number' && outChannels % group !== 0) {
      throw nodeError(node, `W has ${outChannels} output channels, which ${group} groups do not divide (${shapes})`);
    }
    checkBias(node, b, outChannels);
    const window = convWindow(node, w.shape);
    const spatial = windowOutputDims(node, window, x.shape.slice(2));
    return [{ dtype: x.dtype, shape: [x.shape[0], outChannels, ...spatial] }];
  },
  reference(ctx, [x, w, b]) {
    const xt = x!;
    const wt = w!;
    const out = ctx.outputs[0];
    const group = new Attrs(ctx.node).int('group', 1);
    const [batch, channels] = xt.shape;
    const [outChannels, groupChannels] = wt.shape;
    const groupOutChannels = outChannels / group;
    const { offsets, kernelSize, inputPlane, outputPlane } = tapTable(convWindow(ctx.node, wt.shape), xt.shape.slice(2), out.shape.slice(2));
    const xv = xt.toFloat64();
    const wv = wt.toFloat64();
    const wStep = groupChannels * kernelSize; // from W[m, c, k] to W[m + 1, c, k]
    const bias = b?.toFloat64();
    const y = new Float64Array(batch * outChannels * outputPlane);
    if (bias !== undefined) for (let p = 0; p < batch * outChannels; p++) y.fill(bias[p % outChannels], p * outputPlane, (p + 1) * outputPlane);
    // One input plane at a time: its column holds at [k * outputPlane + o] the element that kernel tap
    // k reads for output o (zero in the padding), and every output channel m of the plane's group adds
    // W[m, c, k] times row k of the column to its output plane. Each output element thus sums its taps
    // in (c, k) order, in float64.
    const column = new Float64Array(kernelSize * outputPlane);
    for (let n = 0; n < batch; n++) {
      for (let xc = 0; xc < channels; xc++) {
        const xBase = (n * channels + xc) * inputPlane;
        for (let i = 0; i < column.length; i++) column[i] = offsets[i] < 0 ? 0 : xv[xBase + offsets[i]];
        const g = Math.floor(xc / groupChannels); // xc is channel c of group g, as W numbers it
        const c = xc - g * groupChannels;
        const groupEnd = (g + 1) * groupOutChannels;
        let m = g * groupOutChannels;
        // Four output channels at a time, so that each column element is loaded once for all four.
        for (; m + 4 <= groupEnd; m += 4) {
          const y0 = (n * outChannels + m) * outputPlane;
          const [y1, y2, y3] = [y0 + outputPlane, y0 + 2 * outputPlane, y0 + 3 * outputPlane];
          for (let k = 0, wk = (m * groupChannels + c) * kernelSize; k < kernelSize; k++, wk++) {
            const [w0, w1, w2, w3] = [wv[wk], wv[wk + wStep], wv[wk + 2 * wStep], wv[wk + 3 * wStep]];
            for (let o = 0, i = k * outputPlane; o < outputPlane; o++, i++) {
              const v = column[i];
              y[y0 + o] += w0 * v;
              y[y1 + o] += w1 * v;
              y[y2 + o] += w2 * v;
              y[y3 + o] += w3 * v;
            }
          }
        }
        // The rest one at a time (depthwise convolution has a single output channel per group).
        for (; m < groupEnd; m++) {
          const y0 = (n * outChannels + m) * outputPlane;
          for (let k = 0, wk = (m * groupChannels + c) * kernelSize; k < kernelSize; k++, wk++) {
            const w0 = wv[wk];
            for (let o = 0, i = k * outputPlane; o < outputPlane; o++, i++) y[y0 + o] += w0 * column[i];
          }
        }
      }
    }
    return [Tensor.from(out.dtype, y, out.shape)];
  },
  macs(_node, inputs, outputs) {
    const w = inputs[1];
    return w === undefined || w[0] === 0 ? 0 : (shapeSize(outputs[0]) * shapeSize(w)) / w[0];
  },
};

/** The window of a Conv node: kernel_shape if given (it must match W), else W's spatial dims. */
function convWindow(node: Node, wShape: readonly Dim[]): WindowAttrs {
  const fromW = wShape.slice(2);
  const attr = new Attrs(node).ints('kernel_shape');
  if (attr !== undefined) {
    if (attr.length !== fromW.length || attr.some((k, i) => typeof fromW[i] === 'number' && fromW[i] !== k)) {
      throw nodeError(node, `kernel_shape ${formatShape(attr)} does not match weights W ${formatShape(wShape)}`);
    }
    return readWindowAttrs(node, attr);
  }
  if (!fromW.every((k): k is number => typeof k === 'number')) {
    throw nodeError(node, `weights W ${formatShape(wShape)} have symbolic kernel dims and there is no kernel_shape attribute`);
  }
  return readWindowAttrs(node, fromW);
}

function checkBias(node: Node, b: ValueType | undefined, outChannels: Dim): void {
  if (b?.shape === undefined) return;
  const ok = b.shape.length === 1 && (typeof b.shape[0] !== 'number' || typeof outChannels !== 'number' || b.shape[0] === outChannels);
  if (!ok) throw nodeError(node, `bias B ${formatShape(b.shape)} must be a vector of the ${outChannels} output channels`);
}

/** Checks Conv and ConvTranspose operand dtypes and returns the validated `group` attribute. */
export function checkConvOperands(node: Node, x: ValueType, w: ValueType, b: ValueType | undefined): number {
  checkDType(node, 'input X', x.dtype, floatTypes);
  for (const [what, t] of [['weights W', w], ['bias B', b]] as const) {
    if (t !== undefined && t.dtype !== x.dtype) throw nodeError(node, `${what} is ${describeType(t)} but X is ${describeType(x)}`, 'UNSUPPORTED_DTYPE');
  }
  const group = new Attrs(node).int('group', 1);
  if (!Number.isInteger(group) || group < 1) throw nodeError(node, `attribute 'group' is ${group}; it must be a positive integer`, 'MODEL_INVALID');
  return group;
}
