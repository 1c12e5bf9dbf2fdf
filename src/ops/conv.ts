import { type Dim, formatShape, shapeSize } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import type { Node, ValueType } from '../ir/graph.js';
import { Attrs, type OpDef, checkDType, describeType, floatTypes, nodeError, requireInputs } from './op.js';
import { type WindowAttrs, gatherTable, readWindowAttrs, windowOutputDims } from './sliding-window.js';

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
    checkDType(node, 'input X', x.dtype, floatTypes);
    for (const [what, t] of [['weights W', w], ['bias B', b]] as const) {
      if (t !== undefined && t.dtype !== x.dtype) throw nodeError(node, `${what} is ${describeType(t)} but X is ${describeType(x)}`, 'UNSUPPORTED_DTYPE');
    }
    const group = new Attrs(node).int('group', 1);
    if (!Number.isInteger(group) || group < 1) throw nodeError(node, `attribute 'group' is ${group}; it must be a positive integer`, 'MODEL_INVALID');
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
    const table = gatherTable(convWindow(ctx.node, wt.shape), xt.shape.slice(2), out.shape.slice(2));
    const [batch, channels] = xt.shape;
    const [outChannels, groupChannels] = wt.shape;
    const groupOutChannels = outChannels / group;
    const kernelSize = wt.size / (outChannels * groupChannels);
    const { begin, input, kernel, length, step, inputPlane, outputPlane } = table;
    const xv = xt.toFloat64();
    const wv = wt.toFloat64();
    const bias = b?.toFloat64();
    const y = new Float64Array(batch * outChannels * outputPlane);
    for (let n = 0; n < batch; n++) {
      for (let m = 0; m < outChannels; m++) {
        const firstChannel = Math.floor(m / groupOutChannels) * groupChannels;
        const yBase = (n * outChannels + m) * outputPlane;
        for (let o = 0; o < outputPlane; o++) {
          const runsEnd = begin[o + 1];
          let acc = bias === undefined ? 0 : bias[m];
          for (let c = 0; c < groupChannels; c++) {
            const xBase = (n * channels + firstChannel + c) * inputPlane;
            const wBase = (m * groupChannels + c) * kernelSize;
            for (let r = begin[o]; r < runsEnd; r++) {
              const wi = wBase + kernel[r];
              const wEnd = wi + length[r];
              for (let xi = xBase + input[r], wk = wi; wk < wEnd; xi += step, wk++) acc += xv[xi] * wv[wk];
            }
          }
          y[yBase + o] = acc;
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
