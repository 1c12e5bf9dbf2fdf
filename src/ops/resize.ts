import { type Dim, formatShape, stridesOf } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import type { Node } from '../ir/graph.js';
import { intValues } from './indexing.js';
import { Attrs, type InferContext, type OpDef, checkDType, nodeError, numericTypes, requireInputs } from './op.js';
import { concreteContext, normalizeAxes } from './operands.js';

// Resize and Upsample: each output coordinate maps back to an input coordinate (the coordinate
// transformation mode), and the output element is a weighted sum of input elements near it, axis by
// axis: one for nearest, two for linear, four for cubic. The arithmetic follows ONNX's reference.

type Mode = 'nearest' | 'linear' | 'cubic';

interface ResizeAttrs {
  readonly mode: Mode;
  readonly coordinates: string;
  readonly nearest: string;
  readonly cubicA: number;
  readonly excludeOutside: boolean;
  readonly extrapolation: number;
}

const coordinateModes = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'tf_crop_and_resize'];
const nearestModes = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

/** The attributes with ONNX defaults; Upsample and Resize before opset 11 map coordinates asymmetrically and round down. */
function resizeAttrs(node: Node, opset: number): ResizeAttrs {
  const a = new Attrs(node);
  const mode = a.string('mode', 'nearest');
  // Upsample-7 wrote 'bilinear' for 'linear'.
  const m = mode === 'bilinear' ? 'linear' : mode;
  if (m !== 'nearest' && m !== 'linear' && !(m === 'cubic' && node.op === 'Resize' && opset >= 11)) {
    throw nodeError(node, `mode '${mode}' is not one of nearest, linear${node.op === 'Resize' && opset >= 11 ? ', cubic' : ''}`, 'MODEL_INVALID');
  }
  const modern = node.op === 'Resize' && opset >= 11;
  const coordinates = modern ? a.string('coordinate_transformation_mode', 'half_pixel') : 'asymmetric';
  const nearest = modern ? a.string('nearest_mode', 'round_prefer_floor') : 'floor';
  if (!coordinateModes.includes(coordinates)) throw nodeError(node, `coordinate_transformation_mode '${coordinates}' is not supported`, 'UNSUPPORTED_OPS');
  if (!nearestModes.includes(nearest)) throw nodeError(node, `nearest_mode '${nearest}' is not supported`, 'UNSUPPORTED_OPS');
  if (a.int('antialias', 0) !== 0) throw nodeError(node, 'antialias = 1 is not supported', 'UNSUPPORTED_OPS');
  return {
    mode: m,
    coordinates,
    nearest,
    cubicA: a.float('cubic_coeff_a', -0.75),
    excludeOutside: a.int('exclude_outside', 0) !== 0,
    extrapolation: a.float('extrapolation_value', 0),
  };
}

/** What the node asks for, per axis of the input: scales, or output sizes (undefined where unknown before running). */
interface Target {
  readonly scales?: number[];
  readonly sizes?: Dim[];
  readonly roi?: number[];
  readonly known: boolean;
}

/** Float values of an optional input; an empty tensor counts as absent (exporters pass one for "no scales"). */
function optionalValues(ctx: InferContext, i: number): number[] | null | undefined {
  const t = ctx.inputs[i];
  if (t === undefined || (t.shape !== undefined && t.shape.length === 1 && t.shape[0] === 0)) return null;
  const v = ctx.constant(i);
  return v === undefined ? undefined : v.size === 0 ? null : Array.from(v.toFloat64());
}

/** Reads scales / sizes / roi by op and opset, expanded from `axes` (opset 18) to every axis. */
function readTarget(ctx: InferContext, rank: number, shape: readonly Dim[]): Target {
  const { node, opset } = ctx;
  if (node.op === 'Upsample' && opset < 9) {
    const a = new Attrs(node);
    return { scales: [...a.required('scales', a.floats('scales'))], known: true };
  }
  if (node.op === 'Upsample' || opset < 11) {
    const scales = optionalValues(ctx, 1);
    if (scales === null) throw nodeError(node, 'input scales is required', 'MODEL_INVALID');
    return scales === undefined ? { known: false } : { scales, known: true };
  }
  // roi matters only to tf_crop_and_resize; elsewhere an unknown roi does not hide the output shape.
  const roi = resizeAttrs(node, opset).coordinates === 'tf_crop_and_resize' ? optionalValues(ctx, 1) : null;
  const scales = optionalValues(ctx, 2);
  const sizesType = ctx.inputs[3];
  if (sizesType !== undefined) checkDType(node, 'input sizes', sizesType.dtype, ['int64']);
  const sizesValue = sizesType === undefined ? null : ctx.constant(3);
  const sizes = sizesValue === null ? null : sizesValue === undefined ? undefined : sizesValue.size === 0 ? null : intValues(sizesValue);
  if (scales === undefined || sizes === undefined || roi === undefined) return { known: false };
  if ((scales === null) === (sizes === null)) throw nodeError(node, 'exactly one of scales and sizes must be given', 'MODEL_INVALID');
  const axesAttr = opset >= 18 ? new Attrs(node).ints('axes') : undefined;
  const axes = axesAttr === undefined ? Array.from({ length: rank }, (_, i) => i) : normalizeAxes(ctx, axesAttr, rank, shape);
  const given = (scales ?? sizes)!;
  if (given.length !== axes.length) {
    throw nodeError(node, `${scales ? 'scales' : 'sizes'} [${given.join(', ')}] must have one entry per resized axis (${axes.length}) of input ${formatShape(shape)}`);
  }
  const spread = <T extends Dim>(values: readonly T[], fill: (i: number) => T): T[] => {
    const out = Array.from({ length: rank }, (_, i) => fill(i));
    axes.forEach((a, k) => (out[a] = values[k]));
    return out;
  };
  const fullRoi = roi === null ? undefined : [...spread(roi.slice(0, axes.length), () => 0), ...spread(roi.slice(axes.length), () => 1)];
  if (scales !== null) return { scales: spread(scales, () => 1), roi: fullRoi, known: true };
  const policy = opset >= 18 ? new Attrs(node).string('keep_aspect_ratio_policy', 'stretch') : 'stretch';
  if (policy === 'stretch') return { sizes: spread<Dim>(sizes!, (i) => shape[i]), roi: fullRoi, known: true };
  if (policy !== 'not_larger' && policy !== 'not_smaller') throw nodeError(node, `keep_aspect_ratio_policy '${policy}' is not supported`, 'MODEL_INVALID');
  if (!axes.every((a) => typeof shape[a] === 'number')) return { known: false };
  const ratios = axes.map((a, k) => sizes![k] / (shape[a] as number));
  const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  const kept = Array.from({ length: rank }, (_, i) => (axes.includes(i) ? Math.floor(scale * (shape[i] as number) + 0.5) : (shape[i] as number)));
  return { scales: Array.from({ length: rank }, (_, i) => (axes.includes(i) ? scale : 1)), sizes: kept, roi: fullRoi, known: true };
}

function outputShape(node: Node, shape: readonly Dim[], target: Target): Dim[] {
  if (!target.known) return shape.map(() => '?');
  const given = target.sizes ?? target.scales!;
  if (given.length !== shape.length) throw nodeError(node, `scales or sizes [${given.join(', ')}] must have one entry per axis of input ${formatShape(shape)}`);
  if (target.sizes !== undefined) return target.sizes;
  return shape.map((d, i) => {
    const s = target.scales![i];
    if (!(s > 0)) throw nodeError(node, `scale ${s} on axis ${i} must be positive`);
    return typeof d === 'number' ? Math.floor(d * s) : s === 1 ? d : '?';
  });
}

/** The input coordinate that output coordinate x of one axis maps to; undefined outside a crop. */
function sourceCoordinate(attrs: ResizeAttrs, x: number, inSize: number, outSize: number, scale: number, roi: [number, number]): number | undefined {
  const outWidth = scale * inSize;
  switch (attrs.coordinates) {
    case 'align_corners':
      return outWidth === 1 ? 0 : (x * (inSize - 1)) / (outWidth - 1);
    case 'asymmetric':
      return x / scale;
    case 'pytorch_half_pixel':
      return outWidth === 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    case 'tf_half_pixel_for_nn':
      return (x + 0.5) / scale;
    case 'half_pixel_symmetric': {
      const offset = (inSize / 2) * (1 - outSize / outWidth);
      return offset + (x + 0.5) / scale - 0.5;
    }
    case 'tf_crop_and_resize': {
      const span = (roi[1] - roi[0]) * (inSize - 1);
      const xo = (outWidth === 1 ? span / 2 : (x * span) / (outWidth - 1)) + roi[0] * (inSize - 1);
      return xo < 0 || xo > inSize - 1 ? undefined : xo;
    }
    default:
      return (x + 0.5) / scale - 0.5;
  }
}

/** Interpolation weights for neighbours [left - n/2 + 1, left + n/2] of a point `ratio` in (0, 1] past `left`. */
function coefficients(attrs: ResizeAttrs, ratio: number): number[] {
  switch (attrs.mode) {
    case 'linear':
      return [1 - ratio, ratio];
    case 'cubic': {
      const A = attrs.cubicA;
      const near = (t: number) => ((A + 2) * t - (A + 3)) * t * t + 1;
      const far = (t: number) => ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
      return [far(ratio + 1), near(ratio), near(1 - ratio), far(2 - ratio)];
    }
    case 'nearest': {
      if (ratio === 1) return [0, 1];
      switch (attrs.nearest) {
        case 'round_prefer_ceil':
          return [Number(ratio < 0.5), Number(ratio >= 0.5)];
        case 'floor':
          return [1, 0];
        case 'ceil':
          return [0, 1];
        default:
          return [Number(ratio <= 0.5), Number(ratio > 0.5)];
      }
    }
  }
}

/** The taps of one axis: for each output coordinate, input indices and weights (null outside a crop). */
function axisTaps(attrs: ResizeAttrs, inSize: number, outSize: number, scale: number, roi: [number, number]): ({ index: number[]; weight: number[] } | null)[] {
  return Array.from({ length: outSize }, (_, x) => {
    const xo = sourceCoordinate(attrs, x, inSize, outSize, scale, roi);
    if (xo === undefined) return null;
    // A point on a sample sits at ratio 1 past the sample before it, as in ONNX's reference.
    const left = Number.isInteger(xo) ? xo - 1 : Math.floor(xo);
    const weights = coefficients(attrs, Number.isInteger(xo) ? 1 : xo - Math.floor(xo));
    const first = left - weights.length / 2 + 1;
    const indices = weights.map((_, k) => first + k);
    if (attrs.excludeOutside) {
      indices.forEach((i, k) => (weights[k] = i < 0 || i >= inSize ? 0 : weights[k]));
      const sum = weights.reduce((a, b) => a + b, 0);
      weights.forEach((w, k) => (weights[k] = w / sum));
    }
    const taps = { index: [] as number[], weight: [] as number[] };
    indices.forEach((i, k) => {
      if (weights[k] === 0) return;
      taps.index.push(Math.min(Math.max(i, 0), inSize - 1));
      taps.weight.push(weights[k]);
    });
    return taps;
  });
}

function resizeOp(type: 'Resize' | 'Upsample'): OpDef {
  return {
    type,
    infer(ctx) {
      const [x] = requireInputs(ctx, 1);
      checkDType(ctx.node, 'input X', x.dtype, numericTypes);
      resizeAttrs(ctx.node, ctx.opset);
      if (x.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
      return [{ dtype: x.dtype, shape: outputShape(ctx.node, x.shape, readTarget(ctx, x.shape.length, x.shape)) }];
    },
    reference(ctx, inputs) {
      const x = inputs[0]!;
      const out = ctx.outputs[0];
      const attrs = resizeAttrs(ctx.node, ctx.opset);
      const target = readTarget(concreteContext(ctx, inputs), x.rank, x.shape);
      const rank = x.rank;
      const taps = x.shape.map((d, i) => {
        const scale = target.scales === undefined ? out.shape[i] / d : target.scales[i];
        const roi: [number, number] = target.roi === undefined ? [0, 1] : [target.roi[i], target.roi[i + rank]];
        return axisTaps(attrs, d, out.shape[i], scale, roi);
      });
      const v = x.toFloat64();
      const strides = stridesOf(x.shape);
      const y = new Float64Array(out.shape.reduce((a, b) => a * b, 1));
      const coord = new Array<number>(rank).fill(0);
      const sum = (axis: number, offset: number, weight: number): number => {
        if (axis === rank) return weight * v[offset];
        const t = taps[axis][coord[axis]]!;
        let acc = 0;
        for (let k = 0; k < t.index.length; k++) acc += sum(axis + 1, offset + t.index[k] * strides[axis], weight * t.weight[k]);
        return acc;
      };
      for (let i = 0; i < y.length; i++) {
        y[i] = coord.some((c, a) => taps[a][c] === null) ? attrs.extrapolation : sum(0, 0, 1);
        for (let a = rank - 1; a >= 0; a--) {
          if (++coord[a] < out.shape[a]) break;
          coord[a] = 0;
        }
      }
      return [Tensor.from(out.dtype, y, out.shape)];
    },
  };
}

/**
 * Resize (opset 10+): scales or (opset 11+) sizes, with roi for tf_crop_and_resize and axes and
 * keep_aspect_ratio_policy from opset 18. Antialiasing is not supported.
 */
export const resize = resizeOp('Resize');

/** Upsample (opset 7 to 9, deprecated since 10): scales as an attribute (7) or an input (9). */
export const upsample = resizeOp('Upsample');
