// Direct convolution on the cpu backend (f32_conv_direct), for layers whose groups hold fewer output
// channels than the GEMM tile has rows: a depthwise layer runs the GEMM with one useful row of six, and
// direct convolution reads each input once per tap instead. Any kernel, strides, dilations and pads.

import { epilogueCode, floatBits } from './jobs.js';
import type { WinogradConv } from './winograd.js';

/** A convolution's full geometry, with its weights W [outChannels, channels / groups, kh, kw]. */
export type DirectConv = Omit<WinogradConv, 'kernel'> & {
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
};

/** The algorithm's name, as `algorithms()` reports it. */
export const directName = 'direct';

/** The i32 parameter block of f32_conv_direct, given the addresses of x, the weights, the bias and y. */
export function encodeDirect(conv: DirectConv, at: { x: number; w: number; bias: number; y: number }, relu: boolean, clip: readonly [number, number] | undefined, yImageBytes: number): Int32Array {
  return Int32Array.from([
    at.x, at.w, at.bias, at.y, conv.images, conv.channels, conv.height, conv.width,
    conv.outChannels, conv.outHeight, conv.outWidth, conv.groups, ...conv.kernel, ...conv.strides,
    conv.padTop, conv.padLeft, ...conv.dilations, epilogueCode(relu, clip), ...floatBits(clip ?? [0, 0]), yImageBytes,
  ]);
}
