import { normalizeAxis } from '../../core/shape.js';
import type { Node } from '../../ir/graph.js';
import { Attrs } from '../../ops/op.js';
import { poolWindow } from '../../ops/pool-common.js';
import { axisPads } from '../../ops/sliding-window.js';
import { softmaxAxis } from '../../ops/softmax.js';
import type { KernelName } from './kernels.js';

/**
 * A node without weights that a wasm kernel runs (MaxPool, AveragePool, LRN, Concat, Softmax): it reads and writes
 * only activations, so its parameter block is encoded once every value has its address in the arena.
 */
export interface PlainLayer {
  readonly kind: 'plain';
  readonly kernel: KernelName;
  readonly inputs: readonly string[];
  readonly output: string;
  /** Scratch bytes each thread needs. */
  readonly scratchBytes: number;
  /** The i32 parameter block, given the address of each value and each thread's scratch. */
  encode(at: (name: string) => number, scratch: number, scratchStride: number): Int32Array;
}

type Shape = readonly number[];

/** Lowers MaxPool, AveragePool, LRN, Concat and Softmax over float32 values of concrete shape, or returns undefined. */
export function lowerPlainNode(node: Node, shape: (name: string) => Shape | undefined, opset: number): PlainLayer | undefined {
  switch (node.op) {
    case 'MaxPool':
    case 'AveragePool':
      return lowerPool2d(node, shape);
    case 'LRN':
      return lowerLrn(node, shape);
    case 'Concat':
      return lowerConcat(node, shape);
    case 'Softmax':
      return lowerSoftmax(node, shape, opset);
    default:
      return undefined;
  }
}

/** 2-D pools with unit dilations; MaxPool only without its Indices output. */
function lowerPool2d(node: Node, shape: (name: string) => Shape | undefined): PlainLayer | undefined {
  const x = shape(node.inputs[0]);
  const y = shape(node.outputs[0]);
  const isMax = node.op === 'MaxPool';
  if (x === undefined || y === undefined || x.length !== 4 || y.length !== 4) return undefined;
  if (node.outputs.length > 1 && node.outputs.slice(1).some((name) => name !== '')) return undefined;
  const w = poolWindow(node);
  if (w.kernel.length !== 2 || w.dilations.some((d) => d !== 1)) return undefined;
  if (isMax && new Attrs(node).int('storage_order', 0) !== 0) return undefined;
  const [planes, ih, iw, oh, ow] = [x[0] * x[1], x[2], x[3], y[2], y[3]];
  const [kh, kw] = w.kernel;
  const [sh, sw] = w.strides;
  const [pt, pb] = axisPads(w, 0, ih);
  const [pl, pr] = axisPads(w, 1, iw);
  // The row the window's columns are reduced along: the input row with its padding, and any ceil-mode overhang.
  const rowWidth = Math.max((ow - 1) * sw + kw, pl + iw);
  const includePad = !isMax && new Attrs(node).int('count_include_pad', 0) !== 0;
  return {
    kind: 'plain',
    kernel: isMax ? 'f32_maxpool2d__simd128' : 'f32_avgpool2d__simd128',
    inputs: [node.inputs[0]],
    output: node.outputs[0],
    scratchBytes: rowWidth * 4,
    encode: (at, scratch, stride) => Int32Array.from([
      at(node.inputs[0]), at(node.outputs[0]), scratch, stride,
      planes, ih, iw, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, rowWidth, includePad ? 1 : 0,
    ]),
  };
}

function lowerLrn(node: Node, shape: (name: string) => Shape | undefined): PlainLayer | undefined {
  const x = shape(node.inputs[0]);
  if (x === undefined || x.length < 3 || shape(node.outputs[0]) === undefined) return undefined;
  const a = new Attrs(node);
  const size = a.int('size', 1);
  const [images, channels] = x;
  const plane = x.slice(2).reduce((p, d) => p * d, 1);
  const floats = Float32Array.of(a.float('alpha', 1e-4) / size, a.float('bias', 1), a.float('beta', 0.75));
  const [scale, bias, beta] = new Int32Array(floats.buffer);
  return oneToOne(node, 'f32_lrn__simd128', (x, y) => [
    x, y, images, channels, plane, Math.floor((size - 1) / 2), Math.ceil((size - 1) / 2), scale, bias, beta,
  ]);
}

/** A kernel that reads the node's first input and writes its output, without scratch: its parameters given their addresses. */
function oneToOne(node: Node, kernel: KernelName, params: (x: number, y: number) => number[]): PlainLayer {
  return {
    kind: 'plain',
    kernel,
    inputs: [node.inputs[0]],
    output: node.outputs[0],
    scratchBytes: 0,
    encode: (at) => Int32Array.from(params(at(node.inputs[0]), at(node.outputs[0]))),
  };
}

function lowerConcat(node: Node, shape: (name: string) => Shape | undefined): PlainLayer | undefined {
  const y = shape(node.outputs[0]);
  const xs = node.inputs.map((name) => (name === '' ? undefined : shape(name)));
  if (y === undefined || y.length === 0 || xs.some((s) => s === undefined)) return undefined;
  const axis = normalizeAxis(new Attrs(node).int('axis', 0), y.length, node.op);
  const inner = y.slice(axis + 1).reduce((p, d) => p * d, 1);
  const outer = y.slice(0, axis).reduce((p, d) => p * d, 1);
  const rowBytes = y[axis] * inner * 4;
  // Offsets and sizes travel as i32 byte counts.
  if (outer * rowBytes >= 2 ** 31) return undefined;
  const blocks = xs.map((s) => s![axis] * inner * 4);
  return {
    kind: 'plain',
    kernel: 'f32_concat',
    inputs: node.inputs,
    output: node.outputs[0],
    scratchBytes: 0,
    encode: (at) => {
      const params = [at(node.outputs[0]), outer, rowBytes, blocks.length];
      let offset = 0;
      node.inputs.forEach((name, i) => {
        params.push(at(name), blocks[i], offset);
        offset += blocks[i];
      });
      return Int32Array.from(params);
    },
  };
}

/** Softmax over contiguous rows: the 2-D coercion before opset 13, the last axis from it. */
function lowerSoftmax(node: Node, shape: (name: string) => Shape | undefined, opset: number): PlainLayer | undefined {
  const x = shape(node.inputs[0]);
  if (x === undefined || x.length === 0) return undefined;
  const axis = softmaxAxis(node, opset, x.length);
  if (opset >= 13 && axis !== x.length - 1) return undefined;
  const cols = x.slice(axis).reduce((p, d) => p * d, 1);
  const rows = x.slice(0, axis).reduce((p, d) => p * d, 1);
  if (cols === 0 || rows === 0) return undefined;
  return oneToOne(node, 'f32_softmax', (x, y) => [x, y, rows, cols]);
}
