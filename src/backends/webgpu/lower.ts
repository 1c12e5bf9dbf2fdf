import { normalizeAxis } from '../../core/shape.js';
import type { Tensor } from '../../core/tensor.js';
import type { Graph, Node } from '../../ir/graph.js';
import { Attrs } from '../../ops/op.js';
import { constantClipBounds } from '../../ops/clip.js';
import { poolWindow } from '../../ops/pool-common.js';
import { axisPads, readWindowAttrs } from '../../ops/sliding-window.js';
import * as k from './kernels.js';
import { type MatrixTile, convGemmMatrix } from './matrix.js';
import { Params } from './wgsl.js';

type Shape = readonly number[];

/** What a layer may ask of the plan while it records its dispatches, once memory is assigned. */
export interface EmitContext {
  readonly storage: 'f32' | 'f16';
  /** The buffer holding a value. */
  value(name: string): GPUBuffer;
  /** Uploads a weight (in the storage type) and returns its buffer. */
  weight(data: Float32Array): GPUBuffer;
  /** The float32 scratch buffer for split-K partial sums, at least `bytes` long. */
  scratch(bytes: number): GPUBuffer;
  /** A buffer to bind where a kernel declares a binding it does not use in this configuration. */
  readonly unused: GPUBuffer;
  readonly maxBinding: number;
  /** Tiles for the device's matrix units, offered as candidates to convolutions in f16 storage. */
  readonly matrixTiles: readonly MatrixTile[];
  dispatch(label: string, code: string, buffers: readonly GPUBuffer[], params: Params, groups: readonly [number, number, number]): void;
  /**
   * Records one of several ways to compute the same thing (the first is the heuristic's pick); the
   * plan picks one by timing them where it can. `key` identifies the problem for the choice cache.
   */
  choose(key: string, variants: readonly Variant[]): void;
}

/** One dispatch, before it is bound. */
export interface DispatchSpec {
  readonly label: string;
  readonly code: string;
  readonly buffers: readonly GPUBuffer[];
  readonly params: Params;
  readonly groups: readonly [number, number, number];
}

/** One way to compute a layer: its name in plans and profiles, and its dispatches. */
export interface Variant {
  readonly name: string;
  readonly dispatches: readonly DispatchSpec[];
}

/** A node run on the GPU: the values it reads and writes, and how it records its dispatches. */
export interface Layer {
  readonly node: Node;
  readonly reads: readonly string[];
  /** The value it writes (after fusion: a fused Relu's output, or the Concat it writes a slice of). */
  writes: string;
  /** True when the output is the input itself, reshaped (no dispatch). */
  readonly alias?: boolean;
  emit(ctx: EmitContext): void;
}

/**
 * A convolution or fully connected layer: the implicit-GEMM kernel (or GEMV at batch 1), with a ReLU
 * epilogue and an output channel offset that the fusion in `prepared.ts` may set.
 */
export interface ConvLayer extends Layer {
  readonly kind: 'conv';
  /** Applied before the store: ReLU or Clip fused from the node that followed. */
  activation: { kind: k.Epilogue; lo: number; hi: number };
  /** Where the output lands: channel `offset` of a value with `channels` channels. */
  target: { channels: number; offset: number };
  readonly outChannels: number;
}

export interface LowerContext {
  readonly graph: Graph;
  readonly opset: number;
  /** A float32 value's concrete shape, or undefined when it is not one. */
  shape(name: string): Shape | undefined;
  /** The constant behind a value (an initializer, or a Cast of one), or undefined. */
  constant(name: string): Tensor | undefined;
}

export const elementwiseGroups = (count: number, perGroup = 256): [number, number, number] => {
  const groups = Math.max(1, Math.ceil(count / perGroup));
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x), 1];
};

/** Lowers a node to a GPU layer, or returns undefined when it runs on the host. */
export function lowerNode(node: Node, cx: LowerContext): Layer | undefined {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return undefined;
  const inputs = node.inputs.filter((n) => n !== '');
  const outputShape = node.outputs.length === 1 ? cx.shape(node.outputs[0]) : undefined;
  if (outputShape === undefined) return undefined;
  switch (node.op) {
    case 'Conv':
      return lowerConv(node, cx, outputShape);
    case 'Gemm':
    case 'MatMul':
      return lowerFullyConnected(node, cx, outputShape);
    case 'MaxPool':
    case 'AveragePool':
      return lowerPool(node, cx, outputShape);
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return activation(node, cx, (x) => {
        const planes = x[0] * x[1];
        const kind = node.op === 'GlobalMaxPool' ? 'max' : 'avg';
        return [`global${kind}pool`, (s) => k.globalPool(s, kind), new Params().u32(planes, x.slice(2).reduce((a, b) => a * b, 1)), elementwiseGroups(planes, 64)];
      });
    case 'LRN': {
      const a = new Attrs(node);
      const size = a.int('size', 1);
      return activation(node, cx, (x) => {
        const count = x.reduce((p, d) => p * d, 1);
        const params = new Params()
          .u32(count, x[1], x.slice(2).reduce((p, d) => p * d, 1), Math.floor((size - 1) / 2), Math.ceil((size - 1) / 2))
          .f32(a.float('alpha', 1e-4) / size, a.float('bias', 1), a.float('beta', 0.75));
        return ['lrn', k.lrn, params, elementwiseGroups(count)];
      }, 3);
    }
    case 'Softmax':
      return lowerSoftmax(node, cx, outputShape);
    case 'Relu':
    case 'Sigmoid':
    case 'Tanh':
    case 'LeakyRelu':
    case 'Clip':
      return lowerUnary(node, cx);
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return lowerBinary(node, cx, outputShape);
    case 'Concat':
      return lowerConcat(node, cx, outputShape);
    case 'BatchNormalization':
      return lowerBatchNorm(node, cx);
    case 'Flatten':
    case 'Reshape':
    case 'Squeeze':
    case 'Unsqueeze':
    case 'Identity':
    case 'Dropout':
      if (inputs.length === 0 || cx.shape(inputs[0]) === undefined || cx.constant(inputs[0]) !== undefined) return undefined;
      if (node.op === 'Dropout' && node.outputs.length > 1) return undefined;
      return { node, reads: [inputs[0]], writes: node.outputs[0], alias: true, emit: () => undefined };
    default:
      return undefined;
  }
}

type Template = (storage: 'f32' | 'f16') => string;

/** A layer of one activation input and one output, through one kernel; `rankAtLeast` guards the shape. */
function activation(
  node: Node,
  cx: LowerContext,
  plan: (x: Shape) => [string, Template, Params, [number, number, number]],
  rankAtLeast = 4,
): Layer | undefined {
  const x = cx.shape(node.inputs[0]);
  if (x === undefined || x.length < rankAtLeast || cx.constant(node.inputs[0]) !== undefined) return undefined;
  const [label, template, params, groups] = plan(x);
  return {
    node,
    reads: [node.inputs[0]],
    writes: node.outputs[0],
    emit: (ctx) => ctx.dispatch(label, template(ctx.storage), [ctx.value(node.inputs[0]), ctx.value(node.outputs[0])], params, groups),
  };
}

function lowerConv(node: Node, cx: LowerContext, y: Shape): ConvLayer | undefined {
  const x = cx.shape(node.inputs[0]);
  const w = cx.constant(node.inputs[1]);
  const biasName = node.inputs[2];
  const b = biasName === undefined || biasName === '' ? undefined : cx.constant(biasName);
  if (x === undefined || x.length !== 4 || w === undefined || w.rank !== 4) return undefined;
  if (biasName !== undefined && biasName !== '' && b === undefined) return undefined;
  const window = readWindowAttrs(node, w.shape.slice(2));
  const groups = new Attrs(node).int('group', 1);
  const [, channels, height, width] = x;
  const [images, outChannels, outHeight, outWidth] = y;
  const [pt] = axisPads(window, 0, height);
  const [pl] = axisPads(window, 1, width);
  return convLayer(node, outChannels, w.toFloat32(), b?.toFloat32(), groups, {
    images, channels, height, width, outHeight, outWidth,
    kernel: [w.shape[2], w.shape[3]], strides: [window.strides[0], window.strides[1]], pads: [pt, pl],
    dilations: [window.dilations[0], window.dilations[1]],
  });
}

interface ConvGeometry {
  readonly images: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pads: readonly [number, number];
  readonly dilations: readonly [number, number];
}

/**
 * The layer for W [M, K] (rows of Cg*KH*KW taps per output channel) over geometry `g`. Weights larger
 * than one binding are split by output rows into several dispatches. At one output position per
 * image and batch 1 the layer is a GEMV.
 */
function convLayer(node: Node, outChannels: number, weights: Float32Array, bias: Float32Array | undefined, groups: number, g: ConvGeometry): ConvLayer {
  const mg = outChannels / groups;
  const cg = g.channels / groups;
  const kSize = cg * g.kernel[0] * g.kernel[1];
  const plane = g.outHeight * g.outWidth;
  const P = g.images * plane;
  const layer: ConvLayer = {
    kind: 'conv',
    node,
    reads: [node.inputs[0]],
    writes: node.outputs[0],
    activation: { kind: 'none', lo: 0, hi: 0 },
    outChannels,
    target: { channels: outChannels, offset: 0 },
    emit(ctx) {
      const bytesPer = ctx.storage === 'f16' ? 2 : 4;
      // Rows per dispatch: one binding of weights at most. Grouped convolutions are never split.
      const rowsPerChunk = groups === 1 ? Math.max(1, Math.floor(ctx.maxBinding / (kSize * bytesPer))) : outChannels;
      const gemvPath = P === 1 && groups === 1;
      const act = layer.activation;
      for (let m0 = 0; m0 < outChannels; m0 += rowsPerChunk) {
        const rows = Math.min(rowsPerChunk, outChannels - m0);
        const w = ctx.weight(weights.subarray(m0 * kSize, (m0 + rows) * kSize));
        const bv = ctx.weight(bias === undefined ? new Float32Array(rows) : bias.subarray(m0, m0 + rows));
        const x = ctx.value(node.inputs[0]);
        const y = ctx.value(layer.writes);
        const offset = layer.target.offset + m0;
        if (gemvPath) {
          const vector = kSize % 4 === 0;
          const params = new Params().u32(rows, vector ? kSize / 4 : kSize, layer.target.channels, offset).f32(act.lo, act.hi);
          ctx.dispatch('gemv', k.gemv(ctx.storage, act.kind, vector), [x, w, bv, y], params, elementwiseGroups(rows, k.gemvRows));
          continue;
        }
        const mgChunk = groups === 1 ? rows : mg;
        // Every tile, with the split-K its grid calls for; the 64x64 tile also without split-K.
        const variants: Variant[] = [];
        // A fully connected layer at a small batch: first, a GEMV that keeps a sum per image.
        const fullyConnected = plane === 1 && g.height === 1 && g.width === 1 && g.kernel.every((d) => d === 1) && g.pads.every((d) => d === 0);
        if (fullyConnected && groups === 1 && P <= k.gemvBatchMax) {
          const vector = kSize % 4 === 0;
          const params = new Params().u32(rows, vector ? kSize / 4 : kSize, layer.target.channels, offset).f32(act.lo, act.hi).u32(P);
          variants.push({ name: 'gemv batch', dispatches: [{ label: 'gemv-batch', code: k.gemvBatch(ctx.storage, act.kind, vector), buffers: [x, w, bv, y], params, groups: elementwiseGroups(rows, k.gemvRows) }] });
        }
        const gemm = (tile: k.ConvTile | MatrixTile, splits: number): Variant => {
          const kPerSplit = Math.ceil(kSize / splits / tile.k) * tile.k;
          const used = Math.ceil(kSize / kPerSplit);
          const partial = used > 1 ? ctx.scratch(used * mgChunk * groups * P * 4) : ctx.unused;
          const params = new Params().u32(
            P, plane, g.outWidth, mgChunk, kSize, g.channels, g.height, g.width, cg, g.kernel[0], g.kernel[1],
            g.strides[0], g.strides[1], g.pads[0], g.pads[1], g.dilations[0], g.dilations[1],
            layer.target.channels, offset, groups, used, kPerSplit,
          ).f32(act.lo, act.hi);
          const grid: [number, number, number] = [Math.ceil(P / tile.n), Math.ceil(mgChunk / tile.m), groups * used];
          const dispatches: DispatchSpec[] = [
            { label: used > 1 ? 'conv-gemm-splitk' : 'conv-gemm', code: 'mma' in tile ? convGemmMatrix(act.kind, tile) : k.convGemm(ctx.storage, act.kind, tile), buffers: [x, w, bv, y, partial], params, groups: grid },
          ];
          if (used > 1) {
            const reduce = new Params().u32(P, plane, mgChunk * groups, used, layer.target.channels, offset).f32(act.lo, act.hi);
            dispatches.push({ label: 'splitk-reduce', code: k.splitReduce(ctx.storage, act.kind), buffers: [partial, bv, y], params: reduce, groups: elementwiseGroups(mgChunk * groups * P) });
          }
          return { name: used > 1 ? `gemm ${tile.name} split-K ${used}` : `gemm ${tile.name}`, dispatches };
        };
        for (const tile of k.convTiles) {
          const tiles = Math.ceil(P / tile.n) * Math.ceil(mgChunk / tile.m) * groups;
          variants.push(gemm(tile, splitK(tiles, kSize)));
        }
        // Where the heuristic splits K, half and twice its split are candidates too, and no split.
        const split = splitK(Math.ceil(P / k.convTiles[0].n) * Math.ceil(mgChunk / k.convTiles[0].m) * groups, kSize);
        const matrixTiles = ctx.storage === 'f16' ? ctx.matrixTiles : [];
        for (const tile of matrixTiles) {
          variants.push(gemm(tile, splitK(Math.ceil(P / tile.n) * Math.ceil(mgChunk / tile.m) * groups, kSize)));
        }
        if (split > 1) {
          for (const tile of [...k.convTiles, ...matrixTiles]) {
            for (const s of [1, Math.ceil(split / 2), Math.min(2 * split, Math.max(1, Math.floor(kSize / 64)))]) {
              const candidate = gemm(tile, s);
              if (!variants.some((v) => v.name === candidate.name)) variants.push(candidate);
            }
          }
        }
        const key = [ctx.storage, P, plane, g.outWidth, mgChunk, kSize, g.channels, g.height, g.width, groups, ...g.kernel, ...g.strides, ...g.pads, ...g.dilations].join(',');
        ctx.choose(key, variants);
      }
    },
  };
  return layer;
}

/**
 * How many slices of K to split a convolution into so that small batches still fill a large GPU, as
 * cuDNN did: enough tiles for a few hundred workgroups, each slice at least 128 deep.
 */
export function splitK(tiles: number, kSize: number): number {
  const wanted = 264;
  if (tiles >= wanted / 2 || kSize < 256) return 1;
  return Math.max(1, Math.min(Math.ceil(wanted / tiles), Math.floor(kSize / 128), 32));
}

/** Gemm (A not transposed, constant B, C constant and broadcast along rows) and MatMul [N, K] x [K, M] with constant B. */
function lowerFullyConnected(node: Node, cx: LowerContext, y: Shape): ConvLayer | undefined {
  const x = cx.shape(node.inputs[0]);
  const b = cx.constant(node.inputs[1]);
  if (x === undefined || b === undefined || x.length !== 2 || b.rank !== 2 || y.length !== 2) return undefined;
  const a = new Attrs(node);
  const isGemm = node.op === 'Gemm';
  if (isGemm && a.int('transA', 0) !== 0) return undefined;
  const transB = isGemm && a.int('transB', 0) !== 0;
  const alpha = isGemm ? a.float('alpha', 1) : 1;
  const beta = isGemm ? a.float('beta', 1) : 1;
  const [batch, kSize] = x;
  const n = y[1];
  const cName = isGemm ? node.inputs[2] : undefined;
  const c = cName === undefined || cName === '' ? undefined : cx.constant(cName);
  if (cName !== undefined && cName !== '' && (c === undefined || !(c.size === 1 || (c.size === n && c.shape[c.rank - 1] === n)))) return undefined;
  const bv = b.toFloat32();
  const w = new Float32Array(n * kSize);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < kSize; i++) w[j * kSize + i] = alpha * (transB ? bv[j * kSize + i] : bv[i * n + j]);
  }
  let bias: Float32Array | undefined;
  if (c !== undefined) {
    const cv = c.toFloat32();
    bias = new Float32Array(n).map((_, j) => beta * cv[c.size === 1 ? 0 : j]);
  }
  return convLayer(node, n, w, bias, 1, {
    images: batch, channels: kSize, height: 1, width: 1, outHeight: 1, outWidth: 1,
    kernel: [1, 1], strides: [1, 1], pads: [0, 0], dilations: [1, 1],
  });
}

function lowerPool(node: Node, cx: LowerContext, y: Shape): Layer | undefined {
  const x = cx.shape(node.inputs[0]);
  if (x === undefined || x.length !== 4 || y.length !== 4) return undefined;
  const w = poolWindow(node);
  const isMax = node.op === 'MaxPool';
  if (w.dilations.some((d) => d !== 1) || (isMax && new Attrs(node).int('storage_order', 0) !== 0)) return undefined;
  const [pt, pb] = axisPads(w, 0, x[2]);
  const [pl, pr] = axisPads(w, 1, x[3]);
  const includePad = !isMax && new Attrs(node).int('count_include_pad', 0) !== 0;
  const count = y.reduce((a, b) => a * b, 1);
  const params = new Params().u32(count, x[2], x[3], y[2], y[3], w.kernel[0], w.kernel[1], w.strides[0], w.strides[1], pt, pl, x[2] + pb, x[3] + pr, includePad ? 1 : 0);
  const kind = isMax ? 'max' : 'avg';
  return activation(node, cx, () => [`${kind}pool`, (s) => k.pool2d(s, kind), params, elementwiseGroups(count)]);
}

function lowerSoftmax(node: Node, cx: LowerContext, y: Shape): Layer | undefined {
  // Before opset 13 the input is coerced to 2-D at `axis` (default 1): rows are always contiguous.
  // From 13 on it is a softmax along `axis` (default -1), contiguous when that is the last axis.
  const coerced = cx.opset < 13;
  const axis = normalizeAxis(new Attrs(node).int('axis', coerced ? 1 : -1), y.length, node.op);
  if (!coerced && axis !== y.length - 1) return undefined;
  const n = y.slice(axis).reduce((a, b) => a * b, 1);
  const rows = y.slice(0, axis).reduce((a, b) => a * b, 1);
  return activation(node, cx, () => ['softmax', k.softmax, new Params().u32(rows, n), elementwiseGroups(rows, 1)], 1);
}

function lowerUnary(node: Node, cx: LowerContext): Layer | undefined {
  const x = cx.shape(node.inputs[0]);
  if (x === undefined || cx.constant(node.inputs[0]) !== undefined) return undefined;
  const a = new Attrs(node);
  const params = new Params().u32(x.reduce((p, d) => p * d, 1));
  if (node.op === 'LeakyRelu') params.f32(a.float('alpha', 0.01));
  if (node.op === 'Clip') {
    const bounds = constantClipBounds(node, cx.opset, cx.constant);
    if (bounds === undefined) return undefined;
    params.f32(...bounds);
  }
  const count = x.reduce((p, d) => p * d, 1);
  return activation(node, cx, () => [node.op.toLowerCase(), (s) => k.unary(s, node.op), params, elementwiseGroups(count)], 0);
}

function lowerBinary(node: Node, cx: LowerContext, y: Shape): Layer | undefined {
  const [an, bn] = node.inputs;
  const [as, bs] = [cx.shape(an), cx.shape(bn)];
  if (as === undefined || bs === undefined || y.length > k.maxBinaryRank) return undefined;
  const strides = (s: Shape): number[] => {
    const aligned = [...new Array<number>(y.length - s.length).fill(1), ...s];
    const out = new Array<number>(y.length).fill(0);
    let stride = 1;
    for (let d = y.length - 1; d >= 0; d--) {
      out[d] = aligned[d] === 1 ? 0 : stride;
      stride *= aligned[d];
    }
    return out;
  };
  const [sa, sb] = [strides(as), strides(bs)];
  const count = y.reduce((p, d) => p * d, 1);
  const params = new Params().u32(count, y.length);
  y.forEach((d, i) => params.u32(d, sa[i], sb[i]));
  const constants = [an, bn].filter((n) => cx.constant(n) !== undefined);
  return {
    node,
    reads: [an, bn].filter((n) => cx.constant(n) === undefined),
    writes: node.outputs[0],
    emit(ctx) {
      const buffer = (name: string): GPUBuffer => (constants.includes(name) ? ctx.weight(cx.constant(name)!.toFloat32()) : ctx.value(name));
      ctx.dispatch(node.op.toLowerCase(), k.binary(ctx.storage, node.op), [buffer(an), buffer(bn), ctx.value(node.outputs[0])], params, elementwiseGroups(count));
    },
  };
}

/** Concat as copies into slices; `prepared.ts` removes the copies whose producers write their slice directly. */
export interface ConcatLayer extends Layer {
  readonly kind: 'concat';
  readonly axis: number;
  /** The inputs still copied (the others are written in place by their producers). */
  copied: Set<string>;
}

function lowerConcat(node: Node, cx: LowerContext, y: Shape): ConcatLayer | undefined {
  const axis = normalizeAxis(new Attrs(node).int('axis', 0), y.length, node.op);
  const inputs = node.inputs.filter((n) => n !== '');
  const shapes = inputs.map((n) => cx.shape(n));
  if (shapes.some((s) => s === undefined) || inputs.some((n) => cx.constant(n) !== undefined)) return undefined;
  if (new Set(inputs).size !== inputs.length) return undefined;
  const inner = y.slice(axis + 1).reduce((a, b) => a * b, 1);
  const layer: ConcatLayer = {
    kind: 'concat',
    node,
    axis,
    reads: inputs,
    writes: node.outputs[0],
    copied: new Set(inputs),
    emit(ctx) {
      let offset = 0;
      inputs.forEach((name, i) => {
        const row = shapes[i]![axis] * inner;
        if (layer.copied.has(name)) {
          const count = shapes[i]!.reduce((a, b) => a * b, 1);
          const params = new Params().u32(count, row, y[axis] * inner, offset);
          ctx.dispatch('concat-copy', k.copySlice(ctx.storage), [ctx.value(name), ctx.value(node.outputs[0])], params, elementwiseGroups(count));
        }
        offset += row;
      });
    },
  };
  return layer;
}

/** BatchNormalization in inference mode with constant statistics, as a per-channel scale and shift. */
function lowerBatchNorm(node: Node, cx: LowerContext): Layer | undefined {
  const x = cx.shape(node.inputs[0]);
  const stats = node.inputs.slice(1, 5).map((n) => cx.constant(n));
  if (x === undefined || x.length < 2 || node.outputs.length !== 1 || stats.some((t) => t === undefined)) return undefined;
  const [scale, shift, mean, variance] = stats.map((t) => t!.toFloat32());
  const eps = new Attrs(node).float('epsilon', 1e-5);
  const s = scale.map((v, c) => v / Math.sqrt(variance[c] + eps));
  const t = shift.map((v, c) => v - mean[c] * s[c]);
  const count = x.reduce((a, b) => a * b, 1);
  const params = new Params().u32(count, x[1], x.slice(2).reduce((a, b) => a * b, 1));
  return {
    node,
    reads: [node.inputs[0]],
    writes: node.outputs[0],
    emit: (ctx) => ctx.dispatch('batchnorm', k.channelAffine(ctx.storage), [ctx.value(node.inputs[0]), ctx.weight(s), ctx.weight(t), ctx.value(node.outputs[0])], params, elementwiseGroups(count)),
  };
}

