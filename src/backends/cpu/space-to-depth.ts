// Strided convolutions through Winograd. A convolution with strides sh x sw over x equals one with unit
// strides over z = space-to-depth(x), whose channels are x's channels times the sh * sw phases of the
// stride: z[n][(c sh + py) sw + px][i][j] = x[n][c][i sh + py - pt][j sw + px - pl], and whose kernel
// w'[o][(c sh + py) sw + px][a][b] = w[o][c][a sh + py][b sw + px] is ceil(kh / sh) x ceil(kw / sw), padded
// with zero taps to 3x3 or 5x5. CaffeNet's conv1 (11x11, stride 4) becomes a 3x3 convolution over 48
// channels, with 1.2x the multiplies of the original, which Winograd F(4x4,3x3) then cuts by 4x.

import { type WinogradConv, winogradName, winogradVariantOf, winogradVariantsFor } from './winograd.js';
import { type WinogradFilter, type WinogradVariant, alphaOf } from './winograd-transforms.js';

/** A strided convolution rewritten as space-to-depth and a unit-stride convolution Winograd runs. */
export interface SpaceToDepthConv {
  readonly images: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly strides: readonly [number, number];
  readonly padTop: number;
  readonly padLeft: number;
  /** The unit-stride convolution over z, with no padding (z holds the original padding as zeros). */
  readonly conv: WinogradConv;
}

/** Bytes of z. */
export const spaceToDepthBytes = (s: SpaceToDepthConv): number => s.images * s.conv.channels * s.conv.height * s.conv.width * 4;

/** The candidate's name, as `algorithms()` reports it: 'space-to-depth 4x4 + winograd F(4x4,3x3)'. */
export function spaceToDepthName(s: SpaceToDepthConv, v: WinogradVariant): string {
  return `space-to-depth ${s.strides[0]}x${s.strides[1]} + ${winogradName(v)}`;
}

/** The Winograd variant of a space-to-depth candidate's name, or undefined for another name. */
export function winogradAfterSpaceToDepth(name: string): WinogradVariant | undefined {
  const match = /^space-to-depth \d+x\d+ \+ (winograd .*)$/.exec(name);
  return match === null ? undefined : winogradVariantOf(match[1]);
}

/**
 * The rewrite of a convolution with strides above 1 (and dilations 1), where it pays: its kernel over z is
 * at most 5x5, and the multiplies of the best Winograd variant over z are at most half the original's.
 */
export function spaceToDepthOf(args: {
  images: number; channels: number; height: number; width: number; outChannels: number; outHeight: number; outWidth: number;
  groups: number; kernel: readonly [number, number]; strides: readonly [number, number]; dilations: readonly [number, number];
  padTop: number; padLeft: number; weights: Float32Array;
}): SpaceToDepthConv | undefined {
  const { kernel: [kh, kw], strides: [sh, sw], groups } = args;
  if (sh * sw === 1 || args.dilations.some((d) => d !== 1)) return undefined;
  const side = Math.max(Math.ceil(kh / sh), Math.ceil(kw / sw));
  if (side > 5) return undefined;
  const r: WinogradFilter = side <= 3 ? 3 : 5;
  const best = Math.max(...winogradVariantsFor(r).map((v) => (v.m * v.m * r * r) / alphaOf(v) ** 2));
  if ((r * r * sh * sw) / best > 0.5 * kh * kw) return undefined;
  const cg = args.channels / groups;
  const zcg = cg * sh * sw;
  // w'[o][(c sh + py) sw + px][a][b] = w[o][c][a sh + py][b sw + px], zero past the original kernel.
  const weights = new Float32Array(args.outChannels * zcg * r * r);
  for (let o = 0; o < args.outChannels; o++) {
    for (let c = 0; c < cg; c++) {
      for (let py = 0; py < sh; py++) {
        for (let px = 0; px < sw; px++) {
          const to = ((o * zcg + (c * sh + py) * sw + px) * r) * r;
          for (let a = 0; a < r && a * sh + py < kh; a++) {
            for (let b = 0; b < r && b * sw + px < kw; b++) weights[to + a * r + b] = args.weights[((o * cg + c) * kh + a * sh + py) * kw + b * sw + px];
          }
        }
      }
    }
  }
  return {
    images: args.images, channels: args.channels, height: args.height, width: args.width,
    strides: [sh, sw], padTop: args.padTop, padLeft: args.padLeft,
    conv: {
      images: args.images, channels: args.channels * sh * sw, height: args.outHeight + r - 1, width: args.outWidth + r - 1,
      outChannels: args.outChannels, outHeight: args.outHeight, outWidth: args.outWidth, groups, padTop: 0, padLeft: 0,
      kernel: r, weights,
    },
  };
}

/** The candidates a space-to-depth rewrite offers: one per Winograd variant of its kernel. */
export function spaceToDepthCandidates(s: SpaceToDepthConv): string[] {
  return winogradVariantsFor(s.conv.kernel).map((v) => spaceToDepthName(s, v));
}

/** The i32 parameter block of f32_space_to_depth. */
export function encodeSpaceToDepth(s: SpaceToDepthConv, x: number, z: number): Int32Array {
  return Int32Array.from([x, z, s.images, s.channels, s.height, s.width, s.strides[0], s.strides[1], s.padTop, s.padLeft, s.conv.height, s.conv.width]);
}
