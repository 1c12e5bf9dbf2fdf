import { type Dim, dimProduct, formatShape, shapeSize, stridesOf } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import type { Node } from '../ir/graph.js';
import { Attrs, type OpDef, nodeError, requireInputs } from './op.js';
import { checkConvOperands } from './conv.js';
import { type WindowAttrs, readWindowAttrs } from './sliding-window.js';

/** The geometry of one ConvTranspose node over concrete spatial input sizes. */
interface Geometry {
  readonly window: WindowAttrs;
  readonly padBegin: number[];
  readonly output: number[];
}

function transposeWindow(node: Node, wShape: readonly Dim[]): WindowAttrs {
  const attr = new Attrs(node).ints('kernel_shape');
  const fromW = wShape.slice(2);
  if (attr === undefined && !fromW.every((k): k is number => typeof k === 'number')) {
    throw nodeError(node, `weights W ${formatShape(wShape)} have symbolic kernel dims and there is no kernel_shape attribute`);
  }
  return readWindowAttrs(node, attr ?? (fromW as number[]));
}

/**
 * Output sizes and begin pads, as ONNX's reference computes them: with explicit (or no) pads the output
 * is stride * (in - 1) + output_padding + span - pads, unless output_shape fixes it (the extra rows
 * then lie at the end); SAME_UPPER / SAME_LOWER derive the pads from output_shape, or from in * stride.
 */
function geometry(node: Node, window: WindowAttrs, input: readonly number[]): Geometry {
  const a = new Attrs(node);
  const rank = input.length;
  const outputPadding = a.ints('output_padding', new Array<number>(rank).fill(0));
  const outputShape = a.ints('output_shape');
  if (outputPadding.length !== rank) throw nodeError(node, `output_padding [${outputPadding.join(', ')}] needs ${rank} values`, 'MODEL_INVALID');
  if (outputShape !== undefined && outputShape.length !== rank) {
    throw nodeError(node, `output_shape [${outputShape.join(', ')}] needs one value per spatial axis (${rank})`, 'MODEL_INVALID');
  }
  const { strides, dilations, kernel, pads, autoPad } = window;
  const full = (i: number) => strides[i] * (input[i] - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const output = input.map((d, i) => outputShape?.[i] ?? d * strides[i]);
    const padBegin = output.map((o, i) => {
      const total = full(i) - o;
      return autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
    });
    return { window, padBegin, output };
  }
  const explicit = autoPad === 'VALID' ? new Array<number>(2 * rank).fill(0) : pads;
  const padBegin = explicit.slice(0, rank);
  const output = input.map((_, i) => outputShape?.[i] ?? full(i) - explicit[i] - explicit[i + rank]);
  return { window, padBegin, output };
}

/**
 * ConvTranspose: the gradient of Conv with respect to its input. Each input element X[n, c, i] scatters
 * X * W[c, m] into Y[n, m] at i * stride + k * dilation - pad for every kernel tap k, for the output
 * channels m of c's group; W is [C, M / group, kernel...] and Y has M channels.
 */
export const convTranspose: OpDef = {
  type: 'ConvTranspose',
  infer(ctx) {
    const { node } = ctx;
    const [x, w] = requireInputs(ctx, 2);
    const b = ctx.inputs[2];
    const group = checkConvOperands(node, x, w, b);
    if (x.shape === undefined || w.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
    const shapes = `X ${formatShape(x.shape)}, W ${formatShape(w.shape)}`;
    if (x.shape.length < 3 || w.shape.length !== x.shape.length) {
      throw nodeError(node, `X must be [N, C, spatial...] and W [C, M/group, kernel...] of the same rank; got ${shapes}`);
    }
    const [channels, groupOut] = [x.shape[1], w.shape[0]];
    if (typeof channels === 'number' && typeof groupOut === 'number' && channels !== groupOut) {
      throw nodeError(node, `X has ${channels} channels but W is laid out for ${groupOut} (${shapes})`);
    }
    if (typeof channels === 'number' && channels % group !== 0) throw nodeError(node, `${group} groups do not divide the ${channels} channels of X`);
    const outChannels = typeof w.shape[1] === 'number' ? w.shape[1] * group : '?';
    if (b?.shape !== undefined && (b.shape.length !== 1 || (typeof b.shape[0] === 'number' && typeof outChannels === 'number' && b.shape[0] !== outChannels))) {
      throw nodeError(node, `bias B ${formatShape(b.shape)} must be a vector of the ${outChannels} output channels`);
    }
    const window = transposeWindow(node, w.shape);
    const spatial = x.shape.slice(2);
    if (window.kernel.length !== spatial.length) throw nodeError(node, `kernel_shape ${formatShape(window.kernel)} does not match ${shapes}`);
    // Axes are sized independently: a symbolic one is known only through output_shape or SAME padding.
    const { output } = geometry(node, window, spatial.map((d) => (typeof d === 'number' ? d : 1)));
    const fixed = new Attrs(node).ints('output_shape');
    const same = window.autoPad === 'SAME_UPPER' || window.autoPad === 'SAME_LOWER';
    const dims = spatial.map((d, i): Dim => {
      if (typeof d === 'number') return output[i];
      return fixed?.[i] ?? (same ? dimProduct([d, window.strides[i]]) : '?');
    });
    if (dims.some((o) => typeof o === 'number' && o < 1)) throw nodeError(node, `the output would have spatial shape ${formatShape(dims)} (${shapes})`);
    return [{ dtype: x.dtype, shape: [x.shape[0], outChannels, ...dims] }];
  },
  reference(ctx, [x, w, b]) {
    const xt = x!;
    const wt = w!;
    const out = ctx.outputs[0];
    const group = new Attrs(ctx.node).int('group', 1);
    const input = xt.shape.slice(2);
    const { window, padBegin, output } = geometry(ctx.node, transposeWindow(ctx.node, wt.shape), input);
    const [batch, channels] = xt.shape;
    const groupIn = channels / group;
    const groupOut = wt.shape[1];
    const outChannels = groupOut * group;
    const [inPlane, outPlane, kernelSize] = [shapeSize(input), shapeSize(output), shapeSize(window.kernel)];
    const outStrides = stridesOf(output);
    // For every input position and kernel tap, the output offset it lands on (-1 outside the output).
    const target = new Int32Array(inPlane * kernelSize);
    const rank = input.length;
    const ic = new Array<number>(rank).fill(0);
    for (let i = 0; i < inPlane; i++) {
      const kc = new Array<number>(rank).fill(0);
      for (let k = 0; k < kernelSize; k++) {
        let offset = 0;
        for (let a = 0; a < rank && offset >= 0; a++) {
          const o = ic[a] * window.strides[a] + kc[a] * window.dilations[a] - padBegin[a];
          offset = o < 0 || o >= output[a] ? -1 : offset + o * outStrides[a];
        }
        target[i * kernelSize + k] = offset;
        step(kc, window.kernel);
      }
      step(ic, input);
    }
    const xv = xt.toFloat64();
    const wv = wt.toFloat64();
    const bias = b?.toFloat64();
    const y = new Float64Array(batch * outChannels * outPlane);
    for (let n = 0; n < batch; n++) {
      for (let m = 0; m < outChannels; m++) y.fill(bias?.[m] ?? 0, (n * outChannels + m) * outPlane, (n * outChannels + m + 1) * outPlane);
      for (let c = 0; c < channels; c++) {
        const g = Math.floor(c / groupIn);
        const xBase = (n * channels + c) * inPlane;
        for (let mg = 0; mg < groupOut; mg++) {
          const yBase = (n * outChannels + g * groupOut + mg) * outPlane;
          const wBase = (c * groupOut + mg) * kernelSize;
          for (let i = 0; i < inPlane; i++) {
            const xi = xv[xBase + i];
            for (let k = 0; k < kernelSize; k++) {
              const o = target[i * kernelSize + k];
              if (o >= 0) y[yBase + o] += xi * wv[wBase + k];
            }
          }
        }
      }
    }
    return [Tensor.from(out.dtype, y, out.shape)];
  },
  macs(_node, inputs) {
    const [x, w] = inputs;
    return x === undefined || w === undefined ? 0 : shapeSize(x) * (shapeSize(w) / w[0]);
  },
};

/** Advances a row-major multi-index within `sizes`. */
function step(coord: number[], sizes: readonly number[]): void {
  for (let i = coord.length - 1; i >= 0; i--) {
    if (++coord[i] < sizes[i]) return;
    coord[i] = 0;
  }
}
