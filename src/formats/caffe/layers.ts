// Caffe layers as ONNX-semantics IR nodes, one converter per layer type, each with Caffe's exact
// semantics (its parameter defaults, its checks, its pooling arithmetic). Normalisation layers and the
// layers that broadcast parameters live in layers-norm.ts.

import { type Dim, windowOutputSize } from '../../core/shape.js';
import { float, int, ints } from '../../ir/builder.js';
import { type LayerContext, type LayerConverter, canonicalAxis, scalar, shapeTensor } from './layer-context.js';
import { normLayers } from './layers-norm.js';
import { int64ToNumber } from '../onnx/tensor-proto.js';
import { shapeDims } from './blob.js';
import type { BlobShapeMsg } from './schema.js';

/** Shapes declared for inputs: the first dimension becomes the symbolic batch 'N', so any batch runs. */
export function batchShape(dims: readonly number[], what: string, fail: (message: string) => never): Dim[] {
  if (dims.length === 0) fail(`${what} has no dimensions`);
  dims.forEach((d, i) => {
    if (i > 0 && d < 1) fail(`${what} has dimension ${i} = ${d}; sizes must be at least 1`);
  });
  return ['N', ...dims.slice(1)];
}

interface ConvolutionParam {
  num_output: number;
  bias_term: boolean;
  pad: number[];
  kernel_size: number[];
  stride: number[];
  dilation: number[];
  pad_h: number;
  pad_w: number;
  kernel_h: number;
  kernel_w: number;
  stride_h: number;
  stride_w: number;
  group: number;
  axis: number;
}

/** One value for every spatial axis, or one per axis; `fallback` where none is given. */
function expand(ctx: LayerContext, list: readonly number[], name: string, spatial: number, fallback: number | undefined): number[] {
  if (list.length === 0) {
    if (fallback === undefined) ctx.fail(`${name} is required`);
    return new Array<number>(spatial).fill(fallback);
  }
  if (list.length !== 1 && list.length !== spatial) ctx.fail(`${name} has ${list.length} values; give 1 or ${spatial} (one per spatial axis)`);
  return list.length === 1 ? new Array<number>(spatial).fill(list[0]) : [...list];
}

/** A Convolution window parameter: its _h/_w pair (2D only) or its repeated form. */
function perAxis(ctx: LayerContext, p: ConvolutionParam, name: 'pad' | 'kernel' | 'stride', spatial: number, fallback: number | undefined): number[] {
  const [h, w] = [`${name}_h`, `${name}_w`] as const;
  const listName = name === 'kernel' ? 'kernel_size' : name;
  const list = name === 'kernel' ? p.kernel_size : p[name];
  const hasH = ctx.has('convolution_param', h);
  const hasW = ctx.has('convolution_param', w);
  if (!hasH && !hasW) return expand(ctx, list, listName, spatial, fallback);
  if (spatial !== 2) ctx.fail(`${h} and ${w} apply to 2D convolution only`);
  if (list.length > 0) ctx.fail(`give either ${listName} or ${h} and ${w}, not both`);
  if (name === 'kernel' && !(hasH && hasW)) ctx.fail('kernel_h and kernel_w must be given together');
  return [p[h], p[w]];
}

/**
 * Convolution (rounds down, as ONNX Conv) and Deconvolution (ONNX ConvTranspose: stride * (in - 1) +
 * dilated kernel - 2 * pad). Weights are [out, in/group, k...] and [in, out/group, k...], as Caffe stores them.
 */
const convolution: LayerConverter = (ctx) => {
  const transposed = ctx.layer.type === 'Deconvolution';
  ctx.arity(1, 1);
  const p = ctx.param<ConvolutionParam>('convolution_param');
  const x = ctx.shape(ctx.inputs[0]);
  if (canonicalAxis(ctx, p.axis, x.length) !== 1) ctx.fail(`convolution over axis ${p.axis} is not supported; only the channel axis 1`);
  const spatial = x.length - 2;
  if (spatial < 1) ctx.fail(`the input has ${x.length} axes; convolution needs N, C and at least one spatial axis`);
  const kernel = perAxis(ctx, p, 'kernel', spatial, undefined);
  const stride = perAxis(ctx, p, 'stride', spatial, 1);
  const pad = perAxis(ctx, p, 'pad', spatial, 0);
  const dilation = expand(ctx, p.dilation, 'dilation', spatial, 1);
  if (kernel.some((k) => k < 1) || stride.some((s) => s < 1) || dilation.some((d) => d < 1)) {
    ctx.fail('kernel sizes, strides and dilations must be at least 1');
  }
  const channels = ctx.size(x[1], 'the input channel count');
  if (p.num_output < 1) ctx.fail('num_output must be at least 1');
  if (p.group < 1 || channels % p.group !== 0 || p.num_output % p.group !== 0) {
    ctx.fail(`${channels} input and ${p.num_output} output channels do not split into ${p.group} groups`);
  }
  const blobs = p.bias_term ? 2 : 1;
  const weightShape = transposed ? [channels, p.num_output / p.group, ...kernel] : [p.num_output, channels / p.group, ...kernel];
  const inputs = [ctx.inputs[0], ctx.constant('w', ctx.weight(0, blobs, weightShape))];
  if (p.bias_term) inputs.push(ctx.constant('b', ctx.weight(1, blobs, [p.num_output])));
  const attrs = { kernel_shape: ints(kernel), strides: ints(stride), pads: ints([...pad, ...pad]), dilations: ints(dilation), group: int(p.group) };
  return [ctx.op(transposed ? 'ConvTranspose' : 'Conv', inputs, attrs)];
};

interface InnerProductParam {
  num_output: number;
  bias_term: boolean;
  axis: number;
  transpose: boolean;
}

/** Flatten(axis) + Gemm with weights as Caffe stores them: [out, in] (transB=1), or [in, out] with `transpose`. */
const innerProduct: LayerConverter = (ctx) => {
  ctx.arity(1, 1);
  const p = ctx.param<InnerProductParam>('inner_product_param');
  const x = ctx.shape(ctx.inputs[0]);
  const axis = canonicalAxis(ctx, p.axis, x.length);
  const fanIn = x.slice(axis).reduce((n: number, d) => n * ctx.size(d, `the input's dimensions from axis ${axis}`), 1);
  if (p.num_output < 1) ctx.fail('num_output must be at least 1');
  const blobs = p.bias_term ? 2 : 1;
  const weight = ctx.weight(0, blobs, p.transpose ? [fanIn, p.num_output] : [p.num_output, fanIn]);
  const inputs = [axis === 1 && x.length === 2 ? ctx.inputs[0] : ctx.op('Flatten', [ctx.inputs[0]], { axis: int(axis) }, 'flatten'), ctx.constant('w', weight)];
  if (p.bias_term) inputs.push(ctx.constant('b', ctx.weight(1, blobs, [p.num_output])));
  const attrs = { transB: int(p.transpose ? 0 : 1) };
  if (axis === 1) return [ctx.op('Gemm', inputs, attrs)];
  // Caffe keeps the axes before `axis`: [d0 .. d(axis-1), num_output].
  const leading = x.slice(0, axis).map((d, i) => (i === 0 ? -1 : ctx.size(d, `dimension ${i}`)));
  const gemm = ctx.op('Gemm', inputs, attrs, 'gemm');
  return [ctx.op('Reshape', [gemm, ctx.constant('shape', shapeTensor([...leading, p.num_output]))])];
};

interface PoolingParam {
  pool: number;
  pad: number;
  pad_h: number;
  pad_w: number;
  kernel_size: number;
  kernel_h: number;
  kernel_w: number;
  stride: number;
  stride_h: number;
  stride_w: number;
  global_pooling: boolean;
  round_mode: number;
}

/** Caffe's pooled size: rounded up (or down), and with padding the last window must start inside the padded input. */
export function caffePooledSize(input: number, kernel: number, stride: number, pad: number, anyPad: boolean, ceil: boolean): number {
  const span = (input + 2 * pad - kernel) / stride;
  let out = (ceil ? Math.ceil(span) : Math.floor(span)) + 1;
  if (anyPad && (out - 1) * stride >= input + pad) out--;
  return out;
}

/**
 * MAX and AVE pooling. ONNX MaxPool/AveragePool with ceil_mode=1 round as Caffe does, and AveragePool
 * with count_include_pad=1 divides by the window clipped to the padded input, never counting the part
 * of a last window that runs past the padding: exactly Caffe's divisor.
 */
const pooling: LayerConverter = (ctx) => {
  ctx.arity(1, 1);
  const p = ctx.param<PoolingParam>('pooling_param');
  const has = (f: string) => ctx.has('pooling_param', f);
  const x = ctx.shape(ctx.inputs[0]);
  if (x.length !== 4) ctx.fail(`the input has ${x.length} axes; Caffe pools 4-axis blobs (N, C, H, W)`);
  if (p.pool === 2) ctx.fail('STOCHASTIC pooling is not supported');
  const max = p.pool === 0;
  if (p.global_pooling) {
    if (has('kernel_size') || has('kernel_h') || has('kernel_w')) ctx.fail('global pooling takes no kernel size');
    if (p.pad !== 0 || p.pad_h !== 0 || p.pad_w !== 0 || p.stride !== 1 || (has('stride_h') && p.stride_h !== 1) || (has('stride_w') && p.stride_w !== 1)) {
      ctx.fail('global pooling takes no padding and stride 1');
    }
    return [ctx.op(max ? 'GlobalMaxPool' : 'GlobalAveragePool', [ctx.inputs[0]])];
  }
  if (has('kernel_size') === (has('kernel_h') || has('kernel_w'))) ctx.fail('give either kernel_size or kernel_h and kernel_w');
  if (has('kernel_h') !== has('kernel_w')) ctx.fail('kernel_h and kernel_w must be given together');
  const kernel = has('kernel_size') ? [p.kernel_size, p.kernel_size] : [p.kernel_h, p.kernel_w];
  const pair = (name: 'pad' | 'stride'): number[] => {
    const [h, w] = [has(`${name}_h`), has(`${name}_w`)];
    if (!h && !w) return [p[name], p[name]];
    if (!h || !w || has(name)) ctx.fail(`give either ${name} or both ${name}_h and ${name}_w`);
    return [p[`${name}_h`], p[`${name}_w`]];
  };
  const pad = pair('pad');
  const stride = pair('stride');
  if (kernel.some((k) => k < 1) || stride.some((s) => s < 1)) ctx.fail('kernel sizes and strides must be at least 1');
  if (pad[0] >= kernel[0] || pad[1] >= kernel[1]) ctx.fail(`padding [${pad.join(', ')}] must be smaller than the kernel [${kernel.join(', ')}]`);
  const ceil = p.round_mode === 0;
  for (let i = 0; i < 2; i++) {
    const size = x[2 + i];
    if (typeof size !== 'number') continue;
    const caffe = caffePooledSize(size, kernel[i], stride[i], pad[i], pad[0] > 0 || pad[1] > 0, ceil);
    const onnx = windowOutputSize(size, kernel[i], stride[i], pad[i], pad[i], 1, ceil);
    if (caffe !== onnx) ctx.fail(`Caffe would pool ${caffe} windows on axis ${2 + i} of size ${size}, the last of them empty`);
  }
  const attrs = { kernel_shape: ints(kernel), strides: ints(stride), pads: ints([...pad, ...pad]), ceil_mode: int(ceil ? 1 : 0) };
  return [ctx.op(max ? 'MaxPool' : 'AveragePool', [ctx.inputs[0]], max ? attrs : { ...attrs, count_include_pad: int(1) })];
};

const unary =
  (op: string): LayerConverter =>
  (ctx) => {
    ctx.arity(1, 1);
    return [ctx.op(op, [ctx.inputs[0]])];
  };

const relu: LayerConverter = (ctx) => {
  ctx.arity(1, 1);
  const slope = Math.fround(ctx.param<{ negative_slope: number }>('relu_param').negative_slope);
  return [slope === 0 ? ctx.op('Relu', [ctx.inputs[0]]) : ctx.op('LeakyRelu', [ctx.inputs[0]], { alpha: float(slope) })];
};

const elu: LayerConverter = (ctx) => {
  ctx.arity(1, 1);
  return [ctx.op('Elu', [ctx.inputs[0]], { alpha: float(Math.fround(ctx.param<{ alpha: number }>('elu_param').alpha)) })];
};

/** Dropout is the identity at inference (Caffe scales while training). */
const dropout: LayerConverter = unary('Dropout');

const softmax: LayerConverter = (ctx) => {
  ctx.arity(1, 1);
  const x = ctx.shape(ctx.inputs[0]);
  return [ctx.op('Softmax', [ctx.inputs[0]], { axis: int(canonicalAxis(ctx, ctx.param<{ axis: number }>('softmax_param').axis, x.length)) })];
};

const concat: LayerConverter = (ctx) => {
  ctx.arity([1, Infinity], 1);
  const p = ctx.param<{ axis: number; concat_dim: number }>('concat_param');
  if (ctx.has('concat_param', 'axis') && ctx.has('concat_param', 'concat_dim')) ctx.fail('give either axis or concat_dim, not both');
  const axis = ctx.has('concat_param', 'concat_dim') ? p.concat_dim : p.axis;
  return [ctx.op('Concat', ctx.inputs, { axis: int(canonicalAxis(ctx, axis, ctx.shape(ctx.inputs[0]).length)) })];
};

/** SUM (with one coefficient per bottom), PROD or MAX of blobs of one shape, accumulated in bottom order as Caffe does. */
const eltwise: LayerConverter = (ctx) => {
  ctx.arity([2, Infinity], 1);
  const p = ctx.param<{ operation: number; coeff: number[] }>('eltwise_param');
  const shape = ctx.shape(ctx.inputs[0]).join(',');
  if (ctx.inputs.some((v) => ctx.shape(v).join(',') !== shape)) ctx.fail('every bottom must have the same shape');
  if (p.coeff.length > 0 && (p.operation !== 1 || p.coeff.length !== ctx.inputs.length)) {
    ctx.fail('coefficients apply to SUM only, one per bottom');
  }
  if (p.operation === 2) return [ctx.op('Max', ctx.inputs)];
  const terms = ctx.inputs.map((v, i) => {
    const c = Math.fround(p.coeff[i] ?? 1);
    return c === 1 ? v : ctx.op('Mul', [v, ctx.constant(`coeff${i}`, scalar(c))], {}, `scaled${i}`);
  });
  const op = p.operation === 1 ? 'Add' : 'Mul';
  let acc = terms[0];
  for (let i = 1; i < terms.length; i++) acc = ctx.op(op, [acc, terms[i]], {}, i === terms.length - 1 ? undefined : `partial${i}`);
  return [acc];
};

/** Split copies its bottom to every top: in the IR the tops are the same value. */
const split: LayerConverter = (ctx) => {
  ctx.arity(1, [1, Infinity]);
  return ctx.layer.tops.map(() => ctx.inputs[0]);
};

/** Silence consumes blobs so that they are not outputs of the net. */
const silence: LayerConverter = (ctx) => {
  ctx.arity([1, Infinity], 0);
  return [];
};

const input: LayerConverter = (ctx) => {
  ctx.arity(0, [1, Infinity]);
  const shapes = ctx.param<{ shape: BlobShapeMsg[] }>('input_param').shape;
  const tops = ctx.layer.tops;
  if (shapes.length !== 1 && shapes.length !== tops.length) ctx.fail(`has ${tops.length} tops and ${shapes.length} shapes; give one shape, or one per top`);
  return tops.map((top, i) => {
    const what = `the shape of '${top}'`;
    return ctx.input(top, batchShape(shapeDims(shapes[shapes.length === 1 ? 0 : i], what), what, ctx.fail));
  });
};

const flatten: LayerConverter = (ctx) => {
  ctx.arity(1, 1);
  const p = ctx.param<{ axis: number; end_axis: number }>('flatten_param');
  const x = ctx.shape(ctx.inputs[0]);
  const axis = canonicalAxis(ctx, p.axis, x.length);
  const end = canonicalAxis(ctx, p.end_axis, x.length, 'end_axis');
  if (end < axis) ctx.fail(`end_axis ${p.end_axis} comes before axis ${p.axis}`);
  if (axis === 1 && end === x.length - 1) return [ctx.op('Flatten', [ctx.inputs[0]], { axis: int(1) })];
  const trailing = x.slice(end + 1).map((d, i) => ctx.size(d, `dimension ${end + 1 + i}`));
  return [ctx.op('Reshape', [ctx.inputs[0], ctx.constant('shape', shapeTensor([...x.slice(0, axis).map(() => 0), -1, ...trailing]))])];
};

/** Reshape: 0 copies the bottom's dimension, -1 is inferred; `axis` and `num_axes` choose the axes replaced. */
const reshape: LayerConverter = (ctx) => {
  ctx.arity(1, 1);
  const p = ctx.param<{ shape: BlobShapeMsg | null; axis: number; num_axes: number }>('reshape_param');
  const x = ctx.shape(ctx.inputs[0]);
  const dims = (p.shape?.dim ?? []).map(int64ToNumber);
  const start = p.axis >= 0 ? p.axis : x.length + p.axis + 1;
  if (start < 0 || start > x.length) ctx.fail(`axis ${p.axis} is out of range for a blob of ${x.length} axes`);
  if (p.num_axes < -1) ctx.fail(`num_axes ${p.num_axes} must be -1 or more`);
  const end = p.num_axes === -1 ? x.length : start + p.num_axes;
  if (end > x.length) ctx.fail(`axes ${start} to ${end} run past the ${x.length} axes of the bottom`);
  if (dims.some((d) => d < -1)) ctx.fail(`shape [${dims.join(', ')}] may hold sizes, 0 (copy) and -1 (infer) only`);
  const shift = dims.length - (end - start);
  const trailing = x.slice(end).map((d, i) => (shift === 0 ? 0 : ctx.size(d, `dimension ${end + i}`)));
  const shape = [...x.slice(0, start).map(() => 0), ...dims, ...trailing];
  return [ctx.op('Reshape', [ctx.inputs[0], ctx.constant('shape', shapeTensor(shape))])];
};

/** Power: y = (shift + scale * x) ^ power, each step only where it changes something. */
const power: LayerConverter = (ctx) => {
  ctx.arity(1, 1);
  const p = ctx.param<{ power: number; scale: number; shift: number }>('power_param');
  const steps: [string, string, number][] = [];
  if (Math.fround(p.scale) !== 1) steps.push(['Mul', 'scale', Math.fround(p.scale)]);
  if (Math.fround(p.shift) !== 0) steps.push(['Add', 'shift', Math.fround(p.shift)]);
  if (Math.fround(p.power) !== 1) steps.push(['Pow', 'power', Math.fround(p.power)]);
  if (steps.length === 0) return [ctx.op('Identity', [ctx.inputs[0]])];
  let y = ctx.inputs[0];
  steps.forEach(([op, name, value], i) => {
    y = ctx.op(op, [y, ctx.constant(name, scalar(value))], {}, i === steps.length - 1 ? undefined : name);
  });
  return [y];
};

/** Every layer type joule converts, by Caffe type name. */
export const converters: Readonly<Record<string, LayerConverter>> = {
  AbsVal: unary('Abs'),
  BNLL: unary('Softplus'),
  Concat: concat,
  Convolution: convolution,
  Deconvolution: convolution,
  Dropout: dropout,
  ELU: elu,
  Eltwise: eltwise,
  Flatten: flatten,
  InnerProduct: innerProduct,
  Input: input,
  Pooling: pooling,
  Power: power,
  ReLU: relu,
  Reshape: reshape,
  Sigmoid: unary('Sigmoid'),
  Silence: silence,
  Softmax: softmax,
  Split: split,
  TanH: unary('Tanh'),
  ...normLayers,
};
