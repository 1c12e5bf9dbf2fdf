import { Tensor } from '../../src/core/tensor.js';
import { ints } from '../../src/ir/builder.js';
import type { Attribute } from '../../src/ir/graph.js';
import { randomFloats } from './random.js';

/** One convolution of the sweep every fast backend is checked on against the reference. */
export interface ConvCase {
  readonly x: number[];
  readonly m: number;
  readonly kernel: number;
  readonly strides?: number[];
  readonly pads?: number[];
  readonly group?: number;
  readonly dilations?: number[];
  readonly bias?: boolean;
  readonly autoPad?: string;
}

/** Kernels 1 to 11, strides, asymmetric pads, auto_pad, groups (depthwise too), dilations, and deep K over small images. */
export const convCases: readonly ConvCase[] = [
  { x: [1, 3, 9, 9], m: 5, kernel: 1 },
  { x: [2, 16, 7, 5], m: 13, kernel: 1, bias: true },
  { x: [1, 8, 6, 6], m: 7, kernel: 1, strides: [2, 2] },
  { x: [1, 4, 7, 7], m: 7, kernel: 1, pads: [1, 0, 0, 1] },
  { x: [1, 3, 8, 8], m: 67, kernel: 3, pads: [1, 1, 1, 1], bias: true },
  { x: [2, 5, 11, 13], m: 6, kernel: 3, strides: [2, 1], pads: [0, 2, 1, 0] },
  { x: [1, 6, 9, 9], m: 12, kernel: 3, group: 3, pads: [1, 1, 1, 1] },
  { x: [1, 8, 10, 10], m: 8, kernel: 3, group: 8, pads: [1, 1, 1, 1], bias: true },
  { x: [1, 4, 12, 12], m: 5, kernel: 3, dilations: [2, 3], pads: [2, 1, 2, 1] },
  { x: [1, 5, 14, 14], m: 9, kernel: 5, pads: [2, 2, 2, 2], bias: true },
  { x: [3, 2, 13, 11], m: 7, kernel: 5, strides: [3, 2], autoPad: 'SAME_UPPER' },
  { x: [1, 3, 47, 47], m: 10, kernel: 11, strides: [4, 4], bias: true },
  { x: [1, 4, 23, 23], m: 4, kernel: 11, group: 2, pads: [5, 5, 5, 5] },
  // Deep K over a small image: what GPUs split along K.
  { x: [1, 96, 7, 7], m: 70, kernel: 3, pads: [1, 1, 1, 1], bias: true },
  { x: [3, 64, 5, 5], m: 130, kernel: 3, group: 2, bias: true },
];

/** The case's weights (W, and B when it has a bias) and Conv attributes; `seed` varies the weights. */
export function convInputs(c: ConvCase, seed: number): { weights: Record<string, Tensor>; attrs: Record<string, Attribute> } {
  const cg = c.x[1] / (c.group ?? 1);
  const weights: Record<string, Tensor> = { w: new Tensor('float32', randomFloats(c.m * cg * c.kernel ** 2, seed + 5), [c.m, cg, c.kernel, c.kernel]) };
  if (c.bias === true) weights.b = new Tensor('float32', randomFloats(c.m, seed + 7), [c.m]);
  const attrs: Record<string, Attribute> = {};
  if (c.strides) attrs.strides = ints(c.strides);
  if (c.pads) attrs.pads = ints(c.pads);
  if (c.dilations) attrs.dilations = ints(c.dilations);
  if (c.group) attrs.group = { type: 'int', value: c.group };
  if (c.autoPad) attrs.auto_pad = { type: 'string', value: c.autoPad };
  return { weights, attrs };
}
