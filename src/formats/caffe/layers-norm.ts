// Caffe's normalisation layers (LRN, BatchNorm) and the layers that broadcast a parameter over a blob
// (Scale, Bias, PReLU), as ONNX-semantics IR nodes.

import type { Dim } from '../../core/shape.js';
import { Tensor } from '../../core/tensor.js';
import { float, int, ints } from '../../ir/builder.js';
import type { CaffeLayer } from './decode.js';
import { type LayerContext, type LayerConverter, canonicalAxis, scalar, shapeTensor } from './layer-context.js';

const ones = (n: number): number[] => new Array<number>(n).fill(1);

interface LRNParam {
  local_size: number;
  alpha: number;
  beta: number;
  norm_region: number;
  k: number;
}

/**
 * ACROSS_CHANNELS is ONNX LRN (bias k, alpha/size over a window of channels centred on each). WITHIN_CHANNEL
 * is what Caffe composes it from: x * (1 + alpha * avg)^-beta, where avg averages x^2 over a size x size
 * window padded with zeros, always divided by size^2 (with odd sizes and stride 1 no window leaves the padding).
 */
const lrn: LayerConverter = (ctx) => {
  ctx.arity(1, 1);
  const p = ctx.param<LRNParam>('lrn_param');
  if (ctx.shape(ctx.inputs[0]).length !== 4) ctx.fail('LRN takes 4-axis blobs (N, C, H, W)');
  if (p.local_size % 2 !== 1) ctx.fail(`local_size is ${p.local_size}; Caffe's LRN takes odd sizes only`);
  const [alpha, beta] = [Math.fround(p.alpha), Math.fround(p.beta)];
  const x = ctx.inputs[0];
  if (p.norm_region === 0) {
    return [ctx.op('LRN', [x], { size: int(p.local_size), alpha: float(alpha), beta: float(beta), bias: float(Math.fround(p.k)) })];
  }
  const pad = (p.local_size - 1) / 2;
  const square = ctx.op('Mul', [x, x], {}, 'square');
  const window = { kernel_shape: ints([p.local_size, p.local_size]), pads: ints([pad, pad, pad, pad]), count_include_pad: int(1) };
  const mean = ctx.op('AveragePool', [square], window, 'mean');
  const scaled = ctx.op('Mul', [mean, ctx.constant('alpha', scalar(alpha))], {}, 'scaled');
  const shifted = ctx.op('Add', [scaled, ctx.constant('one', scalar(1))], {}, 'shifted');
  const factor = ctx.op('Pow', [shifted, ctx.constant('power', scalar(-beta))], {}, 'factor');
  return [ctx.op('Mul', [x, factor])];
};

interface BatchNormParam {
  use_global_stats: boolean;
  eps: number;
}

interface ScaleParam {
  axis: number;
  num_axes: number;
  bias_term: boolean;
}

/** Whether BatchNorm uses its stored statistics: always at inference unless the file says otherwise. */
const globalStats = (ctx: Pick<LayerContext, 'has' | 'param'>, layer: CaffeLayer): boolean =>
  !ctx.has('batch_norm_param', 'use_global_stats', layer) || ctx.param<BatchNormParam>('batch_norm_param', layer).use_global_stats;

/** A Scale layer that BatchNorm can take into its own scale and bias: per channel, in place on its output. */
function foldableScale(ctx: LayerContext, rank: number): CaffeLayer | undefined {
  const next = ctx.peekNext();
  const top = ctx.layer.tops[0];
  if (next === undefined || next.type !== 'Scale' || next.bottoms.length !== 1 || next.bottoms[0] !== top) return undefined;
  if (next.tops.length !== 1 || next.tops[0] !== top) return undefined;
  const p = ctx.param<ScaleParam>('scale_param', next);
  const axis = p.axis < 0 ? p.axis + rank : p.axis;
  return axis === 1 && (p.num_axes === 1 || (p.num_axes === -1 && rank === 2)) ? next : undefined;
}

/**
 * BatchNorm: (x - mean) / sqrt(var + eps), with mean and var the stored sums divided by the stored
 * moving-average factor (a factor of 0 gives 0, as in Caffe). A Scale layer right after it, in place,
 * becomes the scale and bias of the one BatchNormalization node.
 */
const batchNorm: LayerConverter = (ctx) => {
  ctx.arity(1, 1);
  const p = ctx.param<BatchNormParam>('batch_norm_param');
  const shape = ctx.shape(ctx.inputs[0]);
  if (shape.length < 2) ctx.fail('BatchNorm needs a blob with a channel axis (N, C, ...)');
  const channels = ctx.size(shape[1], 'the channel count');
  const eps = Math.fround(p.eps);
  const scaleLayer = foldableScale(ctx, shape.length);
  let gamma = new Tensor('float32', new Float32Array(channels).fill(1), [channels]);
  let beta = Tensor.zeros('float32', [channels]);
  if (scaleLayer !== undefined) {
    const biased = ctx.param<ScaleParam>('scale_param', scaleLayer).bias_term;
    gamma = ctx.weight(0, biased ? 2 : 1, [channels], scaleLayer);
    if (biased) beta = ctx.weight(1, 2, [channels], scaleLayer);
    ctx.absorbNext();
  }
  if (!globalStats(ctx, ctx.layer)) return [batchStatistics(ctx, shape.length, eps, gamma, beta, scaleLayer !== undefined)];
  const factor = ctx.weight(2, 3, [1]).data[0];
  const scale = factor === 0 ? 0 : Math.fround(1 / factor);
  const mean = Float32Array.from(ctx.weight(0, 3, [channels]).data, (v) => v * scale);
  const variance = Float32Array.from(ctx.weight(1, 3, [channels]).data, (v) => v * scale);
  const inputs = [
    ctx.inputs[0],
    ctx.constant('scale', gamma),
    ctx.constant('bias', beta),
    ctx.constant('mean', new Tensor('float32', mean, [channels])),
    ctx.constant('var', new Tensor('float32', variance, [channels])),
  ];
  return [ctx.op('BatchNormalization', inputs, { epsilon: float(eps) })];
};

/** BatchNorm with use_global_stats false: the statistics of the batch itself, over N and the spatial axes. */
function batchStatistics(ctx: LayerContext, rank: number, eps: number, gamma: Tensor, beta: Tensor, scaled: boolean): string {
  const axes = { axes: ints([0, ...ones(rank - 2).map((_, i) => i + 2)]), keepdims: int(1) };
  const x = ctx.inputs[0];
  const mean = ctx.op('ReduceMean', [x], axes, 'batch_mean');
  const centered = ctx.op('Sub', [x, mean], {}, 'centered');
  const variance = ctx.op('ReduceMean', [ctx.op('Mul', [centered, centered], {}, 'square')], axes, 'batch_var');
  const std = ctx.op('Sqrt', [ctx.op('Add', [variance, ctx.constant('eps', scalar(eps))], {}, 'var_eps')], {}, 'std');
  if (!scaled) return ctx.op('Div', [centered, std]);
  const perChannel = (t: Tensor): Tensor => t.reshape([t.size, ...ones(rank - 2)]);
  const normalized = ctx.op('Div', [centered, std], {}, 'normalized');
  const y = ctx.op('Mul', [normalized, ctx.constant('scale', perChannel(gamma))], {}, 'scaled');
  return ctx.op('Add', [y, ctx.constant('bias', perChannel(beta))]);
}

/**
 * The operand of Scale or Bias, shaped to broadcast over the first bottom: the second bottom, or the
 * layer's first blob, covering axes [axis, axis + num_axes) of the first bottom. Returns the IR value and
 * the operand's shape (that of a bias blob that comes with it).
 */
function operand(ctx: LayerContext, axis: number, numAxes: number, blobs: number, suffix: string): { value: string; shape: readonly Dim[]; trailing: number } {
  const x = ctx.shape(ctx.inputs[0]);
  if (ctx.inputs.length === 2) {
    const other = ctx.shape(ctx.inputs[1]);
    if (other.length === 0) return { value: ctx.inputs[1], shape: [], trailing: 0 };
    const start = canonicalAxis(ctx, axis, x.length);
    if (start + other.length > x.length || other.some((d, i) => d !== x[start + i])) {
      ctx.fail(`the second bottom [${other.join(', ')}] does not match axes ${start}.. of the first [${x.join(', ')}]`);
    }
    const shape = other;
    const trailing = x.length - start - other.length;
    if (trailing === 0) return { value: ctx.inputs[1], shape, trailing };
    const reshaped = ctx.op('Reshape', [ctx.inputs[1], ctx.constant(`${suffix}_shape`, shapeTensor([...other.map(() => 0), ...ones(trailing)]))], {}, `${suffix}_reshape`);
    return { value: reshaped, shape, trailing };
  }
  const start = x.length === 0 ? 0 : canonicalAxis(ctx, axis, x.length);
  const count = numAxes === -1 ? x.length - start : numAxes;
  if (count < 0 || start + count > x.length) ctx.fail(`num_axes ${numAxes} from axis ${axis} runs past the ${x.length} axes of the bottom`);
  const shape = x.slice(start, start + count).map((d, i) => ctx.size(d, `dimension ${start + i}`));
  const trailing = x.length - start - count;
  return { value: ctx.constant(suffix, ctx.weight(0, blobs, shape).reshape([...shape, ...ones(trailing)])), shape, trailing };
}

/** Scale: y = x * s (+ b), s from the second bottom or a blob, broadcast over the axes it does not cover. */
const scaleLayer: LayerConverter = (ctx) => {
  ctx.arity([1, 2], 1);
  const p = ctx.param<ScaleParam>('scale_param');
  const learned = ctx.inputs.length === 1;
  const blobs = (learned ? 1 : 0) + (p.bias_term ? 1 : 0);
  const factor = operand(ctx, p.axis, p.num_axes, blobs, 'scale');
  if (!p.bias_term) return [ctx.op('Mul', [ctx.inputs[0], factor.value])];
  const y = ctx.op('Mul', [ctx.inputs[0], factor.value], {}, 'scaled');
  const shape = factor.shape.map((d, i) => ctx.size(d, `dimension ${i} of the scale (the bias has its shape)`));
  const bias = ctx.weight(learned ? 1 : 0, blobs, shape).reshape([...shape, ...ones(factor.trailing)]);
  return [ctx.op('Add', [y, ctx.constant('b', bias)])];
};

const biasLayer: LayerConverter = (ctx) => {
  ctx.arity([1, 2], 1);
  const p = ctx.param<{ axis: number; num_axes: number }>('bias_param');
  return [ctx.op('Add', [ctx.inputs[0], operand(ctx, p.axis, p.num_axes, 1, 'b').value])];
};

/** PReLU: one slope per channel (axis 1), or one for all with channel_shared. */
const prelu: LayerConverter = (ctx) => {
  ctx.arity(1, 1);
  const x = ctx.shape(ctx.inputs[0]);
  if (x.length < 2) ctx.fail('PReLU needs a blob with a channel axis (N, C, ...)');
  const shared = ctx.param<{ channel_shared: boolean }>('prelu_param').channel_shared;
  const channels = shared ? 1 : ctx.size(x[1], 'the channel count');
  const slope = ctx.weight(0, 1, shared ? [] : [channels]).reshape(shared ? [] : [channels, ...ones(x.length - 2)]);
  return [ctx.op('PRelu', [ctx.inputs[0], ctx.constant('slope', slope)])];
};

export const normLayers: Readonly<Record<string, LayerConverter>> = {
  BatchNorm: batchNorm,
  Bias: biasLayer,
  LRN: lrn,
  PReLU: prelu,
  Scale: scaleLayer,
};

/** Whether a layer has trained blobs that must come from a weights file. */
export function needsWeights(ctx: Pick<LayerContext, 'has' | 'param'>, layer: CaffeLayer): boolean {
  switch (layer.type) {
    case 'Convolution':
    case 'Deconvolution':
    case 'InnerProduct':
    case 'PReLU':
      return true;
    case 'Scale':
      return layer.bottoms.length === 1 || ctx.param<ScaleParam>('scale_param', layer).bias_term;
    case 'Bias':
      return layer.bottoms.length === 1;
    case 'BatchNorm':
      return globalStats(ctx, layer);
    default:
      return false;
  }
}
