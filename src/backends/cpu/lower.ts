import type { Tensor } from '../../core/tensor.js';
import { type Graph, type Node, onnxOpset } from '../../ir/graph.js';
import { Attrs } from '../../ops/op.js';
import { axisPads, readWindowAttrs } from '../../ops/sliding-window.js';
import { widenedFrom } from '../../passes/to-fp16.js';
import { BMode, type GemmJob, type Im2colWindow, packWeights } from './jobs.js';
import { type PlainLayer, lowerPlainNode } from './lower-plain.js';
import type { DirectConv } from './direct.js';
import type { FftConv } from './fft.js';
import { type SpaceToDepthConv, spaceToDepthOf } from './space-to-depth.js';
import type { WinogradConv } from './winograd.js';

/**
 * A node the wasm kernels run, before memory is planned: its activation input and output, the weights
 * in the layout its kernel wants, and a job description that only lacks the buffers' addresses.
 */
export interface WasmLayer {
  readonly input: string;
  /** The value the layer writes: its own output, or that of a Relu fused as its epilogue. */
  output: string;
  /** The weights in the GEMM's or GEMV's layout: float32, or float16 bits for fully connected layers that read half-precision weights. */
  readonly weights: () => Float32Array | Uint16Array;
  /** Whether `weights` are float16. */
  readonly half: boolean;
  /** The tensor the weights come from, and what else their packing depends on: packed weights are stored once per pair. */
  readonly source: Tensor;
  readonly sourceKey: string;
  readonly bias: Float32Array;
  /** Bytes of the output. */
  readonly outputBytes: number;
  /** A convolution as packed GEMM, a fully connected layer at batch 1 (GEMV) or above (FC GEMM, W row-major). */
  readonly kind: 'gemm' | 'gemv' | 'fc';
  /** What `algorithms()` calls the way this layer runs ('gemm im2col 6x8', 'gemv 4x4', ...). */
  readonly algorithm: string;
  /** A 3x3 or 5x5 convolution with unit strides and dilations, which Winograd can run instead. */
  readonly winograd?: WinogradConv;
  /** A strided convolution that Winograd can run after a space-to-depth rewrite. */
  readonly spaceToDepth?: SpaceToDepthConv;
  /** A convolution with unit strides and dilations and a kernel of 5 taps or more, which FFT can run. */
  readonly fft?: FftConv;
  /** A convolution whose groups have fewer output channels than the GEMM tile has rows, which runs directly too. */
  readonly direct?: DirectConv;
  /** The GEMM job without addresses (a, b, bias, c and scratch are filled in when memory is planned). */
  readonly job: Omit<GemmJob, 'a' | 'b' | 'bias' | 'c' | 'scratch'>;
}

type Shape = readonly number[];

/** The concrete shape of a float32 value, if it has one. */
function f32Shape(graph: Graph, name: string): Shape | undefined {
  const t = graph.valueTypes.get(name) ?? graph.inputs.find((v) => v.name === name);
  if (t?.dtype !== 'float32' || t.shape === undefined || !t.shape.every((d) => typeof d === 'number')) return undefined;
  return t.shape as Shape;
}

function constant(graph: Graph, name: string | undefined): Tensor | undefined {
  if (name === undefined || name === '') return undefined;
  const t = graph.initializers.get(name);
  return t?.dtype === 'float32' ? t : undefined;
}

/** A float16 weight a Cast widens (how fp16 models store their fully connected weights), or undefined. */
function castHalf(graph: Graph, name: string | undefined): Tensor | undefined {
  const cast = name === undefined || name === '' ? undefined : graph.nodes.find((n) => n.outputs[0] === name);
  if (cast?.op !== 'Cast' || cast.attrs.to?.value !== 1) return undefined;
  const t = graph.initializers.get(cast.inputs[0]);
  return t?.dtype === 'float16' && !graph.inputs.some((v) => v.name === cast.inputs[0]) ? t : undefined;
}

/** Lowers a node to a wasm layer, or returns undefined when the reference kernel should run it. */
/** `tileRows`: the rows of the GEMM tile the weights are packed for (jobs.ts, tileRowsOf). */
export function lowerNode(graph: Graph, node: Node, tileRows: number): WasmLayer | PlainLayer | undefined {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return undefined;
  switch (node.op) {
    case 'Conv':
      return lowerConv(graph, node, tileRows);
    case 'Gemm':
    case 'MatMul':
      return lowerFullyConnected(graph, node);
    default:
      return lowerPlainNode(node, (name) => f32Shape(graph, name), onnxOpset(graph));
  }
}

function lowerConv(graph: Graph, node: Node, tileRows: number): WasmLayer | undefined {
  const x = f32Shape(graph, node.inputs[0]);
  const y = f32Shape(graph, node.outputs[0]);
  const w = constant(graph, node.inputs[1]);
  const b = constant(graph, node.inputs[2]);
  if (x === undefined || y === undefined || w === undefined || x.length !== 4 || w.rank !== 4) return undefined;
  if (node.inputs[2] !== undefined && node.inputs[2] !== '' && b === undefined) return undefined;
  const window = readWindowAttrs(node, w.shape.slice(2));
  const groups = new Attrs(node).int('group', 1);
  const [images, channels, height, width] = x;
  const [, outChannels, outHeight, outWidth] = y;
  const mg = outChannels / groups;
  const k = w.shape[1] * w.shape[2] * w.shape[3];
  const np = outHeight * outWidth;
  const [padTop] = axisPads(window, 0, height);
  const [padLeft] = axisPads(window, 1, width);
  const pointwise = k === w.shape[1] && window.strides.every((s) => s === 1) && [0, 1].every((i) => axisPads(window, i, x[2 + i]).every((p) => p === 0));
  const im2col: Im2colWindow = {
    height, width, outWidth,
    kernel: [window.kernel[0], window.kernel[1]],
    strides: [window.strides[0], window.strides[1]],
    padsBegin: [padTop, padLeft],
    dilations: [window.dilations[0], window.dilations[1]],
  };
  const plane = height * width * 4;
  const r = w.shape[2];
  const unit = window.strides.every((s) => s === 1) && window.dilations.every((d) => d === 1);
  const winograd = (r === 3 || r === 5) && w.shape[3] === r && unit;
  const weights = w.toFloat32();
  return {
    input: node.inputs[0],
    output: node.outputs[0],
    weights: () => packWeights(weights, groups, mg, k, tileRows),
    half: false,
    source: widenedFrom(w),
    sourceKey: [groups, mg, k, tileRows, ...Object.values(im2col).flat()].join(' '),
    bias: b === undefined ? new Float32Array(outChannels) : b.toFloat32(),
    outputBytes: images * outChannels * np * 4,
    kind: 'gemm',
    algorithm: pointwise ? 'gemm 1x1 6x8' : 'gemm im2col 6x8',
    winograd: winograd
      ? { images, channels, height, width, outChannels, outHeight, outWidth, groups, padTop, padLeft, kernel: r, weights }
      : undefined,
    direct: mg < tileRows
      ? {
        images, channels, height, width, outChannels, outHeight, outWidth, groups, padTop, padLeft, weights,
        kernel: [w.shape[2], w.shape[3]], strides: [window.strides[0], window.strides[1]], dilations: [window.dilations[0], window.dilations[1]],
      }
      : undefined,
    fft: unit && Math.max(w.shape[2], w.shape[3]) >= 5
      ? { images, channels, height, width, outChannels, outHeight, outWidth, groups, padTop, padLeft, kernel: [w.shape[2], w.shape[3]], weights }
      : undefined,
    spaceToDepth: spaceToDepthOf({
      images, channels, height, width, outChannels, outHeight, outWidth, groups, padTop, padLeft, weights,
      kernel: [window.kernel[0], window.kernel[1]], strides: [window.strides[0], window.strides[1]],
      dilations: [window.dilations[0], window.dilations[1]],
    }),
    job: {
      images, groups, mg, np, k,
      // A 1x1 convolution with unit strides and no padding reads its input as B in place: no im2col.
      mode: pointwise ? BMode.Direct : BMode.Im2col,
      bsk: plane, bsp: 4, bImage: channels * plane, bGroup: (channels / groups) * plane,
      csm: np * 4, csp: 4, cImage: outChannels * np * 4, cGroup: mg * np * 4,
      relu: false,
      window: pointwise ? undefined : im2col,
    },
  };
}

/** Gemm (A not transposed, constant B, C a constant row of N or absent) and 2-D MatMul with constant B. */
function lowerFullyConnected(graph: Graph, node: Node): WasmLayer | undefined {
  const x = f32Shape(graph, node.inputs[0]);
  const y = f32Shape(graph, node.outputs[0]);
  const b = constant(graph, node.inputs[1]) ?? castHalf(graph, node.inputs[1]);
  if (x === undefined || y === undefined || b === undefined || x.length !== 2 || b.rank !== 2 || y.length !== 2) return undefined;
  const attrs = new Attrs(node);
  const isGemm = node.op === 'Gemm';
  if (isGemm && attrs.int('transA', 0) !== 0) return undefined;
  const transB = isGemm && attrs.int('transB', 0) !== 0;
  const alpha = isGemm ? attrs.float('alpha', 1) : 1;
  const beta = isGemm ? attrs.float('beta', 1) : 1;
  const [batch, k] = x;
  const n = y[1];
  const c = isGemm ? constant(graph, node.inputs[2]) : undefined;
  if (isGemm && node.inputs[2] !== undefined && node.inputs[2] !== '') {
    if (c === undefined || !(c.size === 1 || (c.size === n && c.shape[c.rank - 1] === n))) return undefined;
  }
  const bias = new Float32Array(n);
  if (c !== undefined) {
    const cv = c.toFloat32();
    for (let j = 0; j < n; j++) bias[j] = beta * cv[c.size === 1 ? 0 : j];
  }
  // W [n, k] row-major (B transposed unless transB says it already is), scaled by alpha, at every batch:
  // the GEMV reads it at batch 1, the FC GEMM packs blocks of it as it goes. Half-precision weights stay
  // half, widened in registers.
  const half = b.dtype === 'float16' && alpha === 1;
  const weights = (): Float32Array | Uint16Array => {
    const w = half ? transposed(b.data as Uint16Array, transB, k, n) : transposed(b.toFloat32(), transB, k, n);
    return alpha === 1 ? w : (w as Float32Array).map((v) => alpha * v);
  };
  const gemv = batch === 1;
  return {
    input: node.inputs[0],
    output: node.outputs[0],
    weights,
    half,
    source: widenedFrom(b),
    sourceKey: `fc ${transB} ${alpha} ${k} ${n} ${half}`,
    bias,
    outputBytes: batch * n * 4,
    kind: gemv ? 'gemv' : 'fc',
    algorithm: `${gemv ? 'gemv' : 'gemm'}${half ? ' fp16' : ''} ${gemv ? '4x4' : '6x8'}`,
    job: {
      images: 1, groups: 1, mg: n, np: batch, k,
      mode: BMode.Strided,
      bsk: 4, bsp: k * 4, bImage: 0, bGroup: 0,
      // C(m, p) is Y[p, m]: the output features are the GEMM's rows.
      csm: 4, csp: n * 4, cImage: 0, cGroup: 0,
      relu: false,
    },
  };
}

/** B [rows, cols] transposed, or B itself when it already is. */
function transposed<T extends Float32Array | Uint16Array>(x: T, already: boolean, rows: number, cols: number): T {
  if (already) return x;
  const out = new (x.constructor as new (n: number) => T)(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}
