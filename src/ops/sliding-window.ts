import { type Dim, autoPad, formatShape, windowOutputSize } from '../core/shape.js';
import type { Node } from '../ir/graph.js';
import { Attrs, nodeError } from './op.js';

// Sliding-window geometry shared by Conv and the pooling ops: attributes with ONNX defaults, output
// sizes (symbolic where the input is), and two index tables that make every kernel generic over the
// spatial rank: a gather table that lists, for every output position, the input elements its window
// reads (the pools), and a tap table that lists, for every kernel tap, the input element it reads at
// every output position (Conv).

export type AutoPadMode = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

/** The window attributes of one node, with ONNX defaults filled in; one entry per spatial axis. */
export interface WindowAttrs {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** Explicit pads in ONNX order: the begin pad of every axis, then the end pad of every axis. */
  readonly pads: readonly number[];
  readonly autoPad: AutoPadMode;
  /** Caffe/ONNX ceil rounding of the output size (pooling only, and only without auto_pad). */
  readonly ceilMode: boolean;
}

const autoPadModes: readonly string[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** Reads strides, dilations, pads, auto_pad and ceil_mode for a window of the given kernel size. */
export function readWindowAttrs(node: Node, kernel: readonly number[]): WindowAttrs {
  const a = new Attrs(node);
  const rank = kernel.length;
  const ones = kernel.map(() => 1);
  const strides = a.ints('strides', ones);
  const dilations = a.ints('dilations', ones);
  const pads = a.ints('pads', [...ones, ...ones].map(() => 0));
  const autoPad = a.string('auto_pad', 'NOTSET');
  const check = (name: string, values: readonly number[], length: number, min: number) => {
    if (values.length !== length) {
      throw nodeError(node, `attribute '${name}' has ${values.length} values; a window over ${rank} spatial axes needs ${length}`, 'MODEL_INVALID');
    }
    if (values.some((v) => !Number.isInteger(v) || v < min)) {
      throw nodeError(node, `attribute '${name}' = [${values.join(', ')}] must hold integers >= ${min}`, 'MODEL_INVALID');
    }
  };
  check('kernel_shape', kernel, rank, 1);
  check('strides', strides, rank, 1);
  check('dilations', dilations, rank, 1);
  check('pads', pads, 2 * rank, 0);
  if (!autoPadModes.includes(autoPad)) {
    throw nodeError(node, `attribute 'auto_pad' is '${autoPad}'; expected one of ${autoPadModes.join(', ')}`, 'MODEL_INVALID');
  }
  return { kernel, strides, dilations, pads, autoPad: autoPad as AutoPadMode, ceilMode: a.int('ceil_mode', 0) !== 0 };
}

/** The begin and end pads of one spatial axis of a concrete size. */
export function axisPads(w: WindowAttrs, axis: number, size: number): [number, number] {
  switch (w.autoPad) {
    case 'NOTSET':
      return [w.pads[axis], w.pads[axis + w.kernel.length]];
    case 'VALID':
      return [0, 0];
    case 'SAME_UPPER':
    case 'SAME_LOWER':
      return autoPad(size, w.kernel[axis], w.strides[axis], w.dilations[axis], w.autoPad);
  }
}

/**
 * Output sizes of the spatial axes. A symbolic input size passes through when the window keeps it (unit
 * stride with pads that add up to the window's span less one, as in a padded 3x3 or SAME padding) and is
 * otherwise unknown ('?').
 */
export function windowOutputDims(node: Node, w: WindowAttrs, input: readonly Dim[]): Dim[] {
  return input.map((size, i) => {
    const stride = w.strides[i];
    if (typeof size === 'string') {
      if (stride !== 1) return '?';
      if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return size;
      const span = w.dilations[i] * (w.kernel[i] - 1) + 1;
      const padTotal = w.autoPad === 'NOTSET' ? w.pads[i] + w.pads[i + w.kernel.length] : 0;
      return padTotal === span - 1 ? size : '?';
    }
    const [begin, end] = axisPads(w, i, size);
    const ceil = w.ceilMode && w.autoPad === 'NOTSET';
    const out = windowOutputSize(size, w.kernel[i], stride, begin, end, w.dilations[i], ceil);
    if (out < 1) {
      throw nodeError(
        node,
        `a window of ${formatShape(w.kernel)} with dilations ${formatShape(w.dilations)} and pads [${begin}, ${end}] on axis ${i} does not fit spatial input ${formatShape(input)}`,
      );
    }
    return out;
  });
}

/**
 * For every output position o (row-major over the spatial output), the taps of its window that fall
 * inside the input, as runs r in [begin[o], begin[o + 1]): run r covers length[r] taps along the last
 * axis, reading input plane offsets input[r] + q * step and kernel offsets kernel[r] + q for q < length[r].
 * Offsets are row-major within one input plane and within the kernel; runs come in row-major kernel order.
 */
export interface GatherTable {
  readonly begin: Int32Array;
  readonly input: Int32Array;
  readonly kernel: Int32Array;
  readonly length: Int32Array;
  /** The input stride between the taps of a run: the dilation of the last axis. */
  readonly step: number;
  /** Taps of each window that lie inside the input or its padding (the count_include_pad divisor). */
  readonly padded: Int32Array;
  readonly inputPlane: number;
  readonly outputPlane: number;
}

/** Builds the gather table of a window over concrete spatial input and output sizes. */
export function gatherTable(w: WindowAttrs, input: readonly number[], output: readonly number[]): GatherTable {
  const rank = input.length;
  const last = rank - 1;
  const padBegin = input.map((size, i) => axisPads(w, i, size)[0]);
  const padEnd = input.map((size, i) => axisPads(w, i, size)[1]);
  const inputPlane = input.reduce((a, b) => a * b, 1);
  const outputPlane = output.reduce((a, b) => a * b, 1);
  const kernelSize = w.kernel.reduce((a, b) => a * b, 1);
  const begin = new Int32Array(outputPlane + 1);
  const inputOffsets = new Int32Array(outputPlane * kernelSize);
  const kernelOffsets = new Int32Array(outputPlane * kernelSize);
  const lengths = new Int32Array(outputPlane * kernelSize);
  const padded = new Int32Array(outputPlane);
  const outCoord = new Array<number>(rank).fill(0);
  const kCoord = new Array<number>(rank).fill(0);
  let runs = 0;
  for (let o = 0; o < outputPlane; o++) {
    begin[o] = runs;
    kCoord.fill(0);
    let extendable = false; // whether the previous tap opened or extended a run on this kernel row
    for (let k = 0; k < kernelSize; k++) {
      let offset = 0;
      let inside = true;
      let inPadding = true;
      for (let i = 0; i < rank; i++) {
        const p = outCoord[i] * w.strides[i] - padBegin[i] + kCoord[i] * w.dilations[i];
        if (p < 0 || p >= input[i]) inside = false;
        if (p >= input[i] + padEnd[i]) inPadding = false; // p >= -padBegin always holds
        offset = offset * input[i] + p;
      }
      if (inPadding) padded[o]++;
      if (inside && extendable && kCoord[last] > 0) {
        lengths[runs - 1]++;
      } else if (inside) {
        inputOffsets[runs] = offset;
        kernelOffsets[runs] = k;
        lengths[runs] = 1;
        runs++;
      }
      extendable = inside;
      increment(kCoord, w.kernel);
    }
    increment(outCoord, output);
  }
  begin[outputPlane] = runs;
  return {
    begin,
    input: inputOffsets.subarray(0, runs),
    kernel: kernelOffsets.subarray(0, runs),
    length: lengths.subarray(0, runs),
    step: w.dilations[last],
    padded,
    inputPlane,
    outputPlane,
  };
}

/**
 * For every kernel tap k and output position o (each row-major), the input plane offset that tap reads
 * at that output, or -1 where it falls in the padding: offsets[k * outputPlane + o].
 */
export interface TapTable {
  readonly offsets: Int32Array;
  readonly kernelSize: number;
  readonly inputPlane: number;
  readonly outputPlane: number;
}

/** Builds the tap table of a window over concrete spatial input and output sizes. */
export function tapTable(w: WindowAttrs, input: readonly number[], output: readonly number[]): TapTable {
  const rank = input.length;
  const padBegin = input.map((size, i) => axisPads(w, i, size)[0]);
  const inputPlane = input.reduce((a, b) => a * b, 1);
  const outputPlane = output.reduce((a, b) => a * b, 1);
  const kernelSize = w.kernel.reduce((a, b) => a * b, 1);
  const offsets = new Int32Array(kernelSize * outputPlane);
  const kCoord = new Array<number>(rank).fill(0);
  const outCoord = new Array<number>(rank).fill(0);
  for (let k = 0, j = 0; k < kernelSize; k++) {
    for (let o = 0; o < outputPlane; o++, j++) {
      let offset = 0;
      for (let i = 0; i < rank; i++) {
        const p = outCoord[i] * w.strides[i] - padBegin[i] + kCoord[i] * w.dilations[i];
        if (p < 0 || p >= input[i]) {
          offset = -1;
          break;
        }
        offset = offset * input[i] + p;
      }
      offsets[j] = offset;
      increment(outCoord, output);
    }
    increment(kCoord, w.kernel);
  }
  return { offsets, kernelSize, inputPlane, outputPlane };
}

/** Advances a row-major multi-index within `sizes` (wrapping to all zeros after the last one). */
function increment(coord: number[], sizes: readonly number[]): void {
  for (let i = coord.length - 1; i >= 0; i--) {
    if (++coord[i] < sizes[i]) return;
    coord[i] = 0;
  }
}
