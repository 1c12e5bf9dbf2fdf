// Winograd F(m x m, r x r) convolution on the cpu backend (Lavin and Gray, 2016), for 3x3 and 5x5
// convolutions with unit strides and dilations: per tile of m x m outputs, Y = A^T [sum over c of U_c . V_c] A
// with U = G g G^T (the weights, transformed here once) and V = B^T d B (the input window, transformed by
// f32_winograd_input__simd128). The sums over channels are alpha^2 GEMMs, one per window position, run by
// f32_conv_gemm_6x8 as one job whose "groups" are (position, group) pairs; f32_winograd_output__simd128
// takes A^T M A, adds the bias and applies the epilogue. The multiplies of the GEMM drop by r^2 m^2 / alpha^2
// against direct convolution (F(2x2,3x3) 2.25x, F(4x4,3x3) 4x, F(2x2,5x5) 2.8x, F(4x4,5x5) 6.25x), at the
// price of the transforms and of f32 rounding that grows with alpha (winograd-transforms.ts has the matrices).

import { BMode, encodeGemmJob, epilogueCode, floatBits, gemmScratchBytes, packWeights, tileCols } from './jobs.js';
import type { KernelName } from './kernels.js';
import { type WinogradFilter, type WinogradVariant, alphaOf, winogradMatrices, winogradVariants } from './winograd-transforms.js';

/** The shapes of a convolution Winograd can run: kernel 3x3 or 5x5, strides and dilations 1, any pads and groups. */
export interface WinogradConv {
  readonly images: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly outChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly groups: number;
  readonly padTop: number;
  readonly padLeft: number;
  /** The filter's side, r. */
  readonly kernel: WinogradFilter;
  /** W [outChannels, channels / groups, r, r]. */
  readonly weights: Float32Array;
}

/** The algorithm's name, as `algorithms()` reports it: 'winograd F(4x4,3x3)'. */
export function winogradName(v: WinogradVariant): string {
  return `winograd F(${v.m}x${v.m},${v.r}x${v.r})`;
}

/** The Winograd variant of an algorithm name, or undefined for any other name. */
export function winogradVariantOf(name: string): WinogradVariant | undefined {
  return winogradVariants.find((v) => winogradName(v) === name);
}

/** The variants that run a filter of side r. */
export function winogradVariantsFor(r: WinogradFilter): WinogradVariant[] {
  return winogradVariants.filter((v) => v.r === r);
}

/**
 * U[g][xi * alpha + nu][o][c] = (G g_{o,c} G^T)[xi][nu] in float64, rounded once to float32, packed as the
 * GEMM's A with one "group" per (convolution group g, position): a GEMM job per convolution group.
 */
export function winogradWeights(conv: WinogradConv, v: WinogradVariant, tileRows: number): Float32Array {
  const { g } = winogradMatrices(v);
  const r = v.r;
  const alpha = alphaOf(v);
  const cg = conv.channels / conv.groups;
  const outc = conv.outChannels;
  const mg = outc / conv.groups;
  const u = new Float32Array(alpha * alpha * outc * cg);
  const t = new Float64Array(alpha * r);
  for (let o = 0; o < outc; o++) {
    for (let c = 0; c < cg; c++) {
      const w = (o * cg + c) * r * r;
      // t = G g (alpha x r), then U = t G^T.
      for (let xi = 0; xi < alpha; xi++) {
        for (let b = 0; b < r; b++) {
          let s = 0;
          for (let a = 0; a < r; a++) s += g[xi * r + a] * conv.weights[w + a * r + b];
          t[xi * r + b] = s;
        }
      }
      for (let xi = 0; xi < alpha; xi++) {
        for (let nu = 0; nu < alpha; nu++) {
          let s = 0;
          for (let b = 0; b < r; b++) s += t[xi * r + b] * g[nu * r + b];
          // o = group * mg + oi: U[group][position][oi][c].
          const group = Math.floor(o / mg);
          u[(((group * alpha * alpha + xi * alpha + nu) * mg) + o - group * mg) * cg + c] = s;
        }
      }
    }
  }
  return packWeights(u, alpha * alpha * conv.groups, outc / conv.groups, cg, tileRows);
}

/** Multiply-adds of the GEMMs per image, counting the columns the GEMM pads to 8. */
export function winogradGemmWork(conv: WinogradConv, v: WinogradVariant): number {
  const tiles = Math.ceil(conv.outHeight / v.m) * Math.ceil(conv.outWidth / v.m);
  const columns = Math.ceil((conv.images * tiles) / tileCols) * tileCols;
  return (alphaOf(v) ** 2 * conv.outChannels * (conv.channels / conv.groups) * columns) / conv.images;
}

/** V and M of one pass stay within this many bytes (L3-sized): several images, or some tile rows of one. */
const passBytesTarget = 8 << 20;

/** How a Winograd layer runs: images or tile rows per pass, and the memory a pass needs. */
export interface WinogradPlan {
  readonly variant: WinogradVariant;
  readonly tileRows: number;
  readonly tileColumns: number;
  readonly imagesPerPass: number;
  /** Tile rows per pass: all of an image's, or fewer where one image's V and M pass the target. */
  readonly rowsPerPass: number;
  /** Bytes of V and M for one pass (the workspace every Winograd layer of a graph shares). */
  readonly workspaceBytes: number;
  /** Scratch bytes each thread needs (the transforms' rows and the GEMM's edge tile). */
  readonly threadScratchBytes: number;
  /** Width of the input transform's zero-padded rows, in floats. */
  readonly rowWidth: number;
}

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

export function planWinograd(conv: WinogradConv, variant: WinogradVariant): WinogradPlan {
  const { m } = variant;
  const alpha = alphaOf(variant);
  const positions = alpha * alpha;
  const tileRows = Math.ceil(conv.outHeight / m);
  const tileColumns = Math.ceil(conv.outWidth / m);
  const perRow = positions * (conv.channels + conv.outChannels) * tileColumns * 4;
  const perImage = perRow * tileRows;
  const imagesPerPass = Math.max(1, Math.min(conv.images, Math.floor(passBytesTarget / perImage)));
  const rowsPerPass = imagesPerPass > 1 ? tileRows : Math.max(1, Math.min(tileRows, Math.floor(passBytesTarget / perRow)));
  // The column transform reads four tiles at a time, past the last tile of a row too.
  const rowWidth = roundUp(Math.max((roundUp(tileColumns, 4) - 1) * m + alpha, conv.padLeft + conv.width), 4);
  const ldv = roundUp(imagesPerPass * rowsPerPass * tileColumns, tileCols);
  const inputScratch = 2 * alpha * rowWidth * 4 + 2 * alpha * 16;
  const outputScratch = (m + 1) * alpha * 16;
  return {
    variant, tileRows, tileColumns, imagesPerPass, rowsPerPass, rowWidth,
    workspaceBytes: roundUp(positions * conv.channels * ldv * 4, 64) + positions * conv.outChannels * ldv * 4 + 64,
    threadScratchBytes: Math.max(inputScratch, outputScratch, gemmScratchBytes(conv.channels / conv.groups)),
  };
}

/** Addresses (byte offsets in the shared memory) a Winograd layer's passes read and write. */
export interface WinogradBuffers {
  readonly x: number;
  readonly y: number;
  /** The transformed weights, from winogradWeights. */
  readonly u: number;
  readonly bias: number;
  /** alpha^2 * outChannels + 8 zeros: the GEMMs add no bias (the output transform does). */
  readonly zeros: number;
  readonly workspace: number;
  readonly scratch: number;
  readonly scratchStride: number;
}

/** The kernels of every pass, in order, with their parameter blocks. */
export function encodeWinograd(conv: WinogradConv, plan: WinogradPlan, at: WinogradBuffers, relu: boolean, clip: readonly [number, number] | undefined, threads: number, tileRows: number, yImageBytes = conv.outChannels * conv.outHeight * conv.outWidth * 4): [KernelName, Int32Array][] {
  const { variant, tileColumns } = plan;
  const { m } = variant;
  const alpha = alphaOf(variant);
  const index = winogradVariants.indexOf(variant);
  const positions = alpha * alpha;
  const cg = conv.channels / conv.groups;
  const mg = conv.outChannels / conv.groups;
  const uGroupBytes = Math.ceil(mg / tileRows) * tileRows * cg * 4;
  const dispatches: [KernelName, Int32Array][] = [];
  for (let n0 = 0; n0 < conv.images; n0 += plan.imagesPerPass) {
    for (let ty0 = 0; ty0 < plan.tileRows; ty0 += plan.rowsPerPass) {
      const images = Math.min(plan.imagesPerPass, conv.images - n0);
      const rows = Math.min(plan.rowsPerPass, plan.tileRows - ty0);
      const tiles = images * rows * tileColumns;
      const ld = roundUp(tiles, tileCols);
      const v = at.workspace;
      const mb = at.workspace + roundUp(positions * conv.channels * ld * 4, 64);
      const x = at.x + n0 * conv.channels * conv.height * conv.width * 4;
      const y = at.y + n0 * yImageBytes;
      dispatches.push(['f32_winograd_input__simd128', Int32Array.from([
        x, v, at.scratch, at.scratchStride, images, conv.channels, conv.height, conv.width,
        conv.padTop, conv.padLeft, rows, tileColumns, ld, m, plan.rowWidth, alpha, index, ty0,
      ])]);
      // Per convolution group, one GEMM per position: V[position][c][t] read in place; M written per output
      // channel and block of 8 tiles, positions inside (f32_winograd_output__simd128 says why).
      const block = positions * tileCols * 4;
      for (let g = 0; g < conv.groups; g++) {
        dispatches.push(['f32_conv_gemm_6x8', encodeGemmJob({
          a: at.u + g * positions * uGroupBytes, b: v + g * cg * ld * 4, bias: at.zeros, c: mb + g * mg * (ld / tileCols) * block, scratch: at.scratch,
          images: 1, groups: positions, mg, np: tiles, k: cg, mode: BMode.Direct,
          bsk: ld * 4, bsp: 4, bImage: 0, bGroup: conv.channels * ld * 4,
          csm: (ld / tileCols) * block, csp: 4, cPanel: block, cImage: 0, cGroup: tileCols * 4,
          relu: false,
        }, threads, tileRows)]);
      }
      dispatches.push(['f32_winograd_output__simd128', Int32Array.from([
        mb, y, at.bias, at.scratch, at.scratchStride, images, conv.outChannels, conv.outHeight, conv.outWidth,
        rows, tileColumns, ld, m, epilogueCode(relu, clip), ...floatBits(clip ?? [0, 0]),
        alpha, index, yImageBytes, ty0,
      ])]);
    }
  }
  return dispatches;
}
