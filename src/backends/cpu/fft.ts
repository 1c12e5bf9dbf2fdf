// FFT convolution on the cpu backend, as the 2015 study's cuDNN had it (FFT_TILING): overlap-save over
// n x n tiles. A tile of n x n inputs gives m = n - k + 1 outputs per axis for a k-tap kernel; its 2-D DFT
// (f32_fft_input__simd128) times the DFT of the weights, summed over channels, is one complex GEMM per
// frequency bin (f32_conv_gemm_6x8 over [Re; Im], the weights as [[Re, -Im], [Im, Re]]), and the inverse
// DFT (f32_fft_output__simd128) gives the outputs. Per output and (input, output) channel pair it costs
// 4 (n^2/2 + 2) / m^2 real multiplies, against k^2 for direct convolution: 2.6 for a 5x5 kernel on 32x32
// tiles (9.5x fewer), against 4 for Winograd F(4x4,5x5); but the transformed weights are (n^2/2 + 2) x 4
// floats per channel pair, and the GEMMs read them once per pass, so it wins only at large batches and
// on layers whose outputs fill the tiles. The FFTs are exact up to rounding (float32 error grows with
// log n), unlike Winograd's larger tiles.

import { BMode, encodeGemmJob, epilogueCode, floatBits, gemmScratchBytes, packWeights, tileCols } from './jobs.js';
import type { KernelName } from './kernels.js';
import { type FftSize, fftSizes } from './wasm/fft-emit.js';
import type { WinogradBuffers, WinogradConv } from './winograd.js';

/** A convolution with unit strides and dilations, any kernel size (kh, kw), pads and groups. */
export type FftConv = Omit<WinogradConv, 'kernel'> & { readonly kernel: readonly [number, number] };

/** The bins of a tile: rows ky = 0 .. n/2, of n/2 + 1 bins (ky = 0, n/2) or n (the others). */
export const fftBins = (n: number): number => (n * n) / 2 + 2;

/** The index of bin (ky, kx), as the kernels number them. */
function fftBin(n: number, ky: number, kx: number): number {
  return ky === 0 ? kx : n / 2 + 1 + (ky - 1) * n + kx;
}

/** The algorithm's name, as `algorithms()` reports it: 'fft 32x32'. */
export const fftName = (n: FftSize): string => `fft ${n}x${n}`;

/** The tile size of an FFT algorithm name, or undefined for any other name. */
export function fftSizeOf(name: string): FftSize | undefined {
  return fftSizes.find((n) => fftName(n) === name);
}

/** Bytes of a layer's transformed weights on n x n tiles. */
export function fftWeightBytes(conv: FftConv, n: number): number {
  return fftBins(n) * 4 * conv.outChannels * (conv.channels / conv.groups) * 4;
}

/** Real multiply-adds of the GEMMs per image on n x n tiles, counting the columns the GEMM pads to 8. */
function fftGemmWork(conv: FftConv, n: number): number {
  const tiles = Math.ceil(conv.outHeight / (n - conv.kernel[0] + 1)) * Math.ceil(conv.outWidth / (n - conv.kernel[1] + 1));
  const columns = Math.ceil((conv.images * tiles) / tileCols) * tileCols;
  return (fftBins(n) * 4 * conv.outChannels * (conv.channels / conv.groups) * columns) / conv.images;
}

/** Transformed weights past this many bytes are not worth their memory and bandwidth. */
const maxWeightBytes = 128 << 20;

/**
 * The tile size to try for a layer, or undefined where FFT cannot win: a kernel of 5 taps or more on one
 * axis, the tile that needs the fewest multiplies, and those fewer than half the direct convolution's and
 * than `rival` (another algorithm's multiply-adds per image, such as Winograd's), with weights that fit.
 */
export function fftTileFor(conv: FftConv, rival = Infinity): FftSize | undefined {
  const [kh, kw] = conv.kernel;
  if (Math.max(kh, kw) < 5) return undefined;
  const direct = conv.outHeight * conv.outWidth * conv.outChannels * (conv.channels / conv.groups) * kh * kw;
  let best: FftSize | undefined;
  for (const n of fftSizes) {
    if (kh > n / 2 || kw > n / 2 || fftWeightBytes(conv, n) > maxWeightBytes) continue;
    if (best === undefined || fftGemmWork(conv, n) < fftGemmWork(conv, best)) best = n;
  }
  if (best === undefined) return undefined;
  const work = fftGemmWork(conv, best);
  return work < 0.5 * direct && work < rival ? best : undefined;
}

/**
 * U[bin][g][part o][o'][part c][c'] = the DFT of the zero-padded filter (o, c), conjugated (the layer is a
 * correlation) and divided by n^2 (the inverse is unscaled), in float64, packed as the GEMM's A: one group
 * per (bin, convolution group), rows [Re; Im] of the outputs, columns [Re; Im] of the inputs.
 */
export function fftWeights(conv: FftConv, n: FftSize, tileRows: number): Float32Array {
  const [kh, kw] = conv.kernel;
  const cg = conv.channels / conv.groups;
  const mg = conv.outChannels / conv.groups;
  const bins = fftBins(n);
  const cos = Float64Array.from({ length: n }, (_, i) => Math.cos((2 * Math.PI * i) / n));
  const sin = Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / n));
  const u = new Float32Array(bins * conv.groups * 2 * mg * 2 * cg);
  const half = n / 2;
  // Along the rows first: t[ky][b] = sum over a of w[a][b] e^(-2 pi i ky a / n), ky = 0 .. n/2.
  const tr = new Float64Array((half + 1) * kw);
  const ti = new Float64Array((half + 1) * kw);
  const scale = 1 / (n * n);
  for (let o = 0; o < conv.outChannels; o++) {
    const g = Math.floor(o / mg);
    const oo = o % mg;
    for (let c = 0; c < cg; c++) {
      const w = (o * cg + c) * kh * kw;
      for (let ky = 0; ky <= half; ky++) {
        for (let b = 0; b < kw; b++) {
          let re = 0;
          let im = 0;
          for (let a = 0; a < kh; a++) {
            const v = conv.weights[w + a * kw + b];
            re += v * cos[(ky * a) % n];
            im -= v * sin[(ky * a) % n];
          }
          tr[ky * kw + b] = re;
          ti[ky * kw + b] = im;
        }
      }
      for (let ky = 0; ky <= half; ky++) {
        const columns = ky === 0 || ky === half ? half + 1 : n;
        for (let kx = 0; kx < columns; kx++) {
          // W = sum over b of t[ky][b] e^(-2 pi i kx b / n); U = conj(W) / n^2.
          let re = 0;
          let im = 0;
          for (let b = 0; b < kw; b++) {
            const cr = cos[(kx * b) % n];
            const si = -sin[(kx * b) % n];
            re += tr[ky * kw + b] * cr - ti[ky * kw + b] * si;
            im += tr[ky * kw + b] * si + ti[ky * kw + b] * cr;
          }
          const ur = re * scale;
          const ui = -im * scale;
          const base = (fftBin(n, ky, kx) * conv.groups + g) * 2 * mg * 2 * cg;
          // Rows oo (Re) and mg + oo (Im); columns c (Re) and cg + c (Im): [[Ur, -Ui], [Ui, Ur]].
          u[base + oo * 2 * cg + c] = ur;
          u[base + oo * 2 * cg + cg + c] = -ui;
          u[base + (mg + oo) * 2 * cg + c] = ui;
          u[base + (mg + oo) * 2 * cg + cg + c] = ur;
        }
      }
    }
  }
  return packWeights(u, bins * conv.groups, 2 * mg, 2 * cg, tileRows);
}

/** The frequency-domain data of one pass stays within this many bytes where one image allows it. */
const passBytesTarget = 64 << 20;

/** How an FFT layer runs: the tiles, images per pass and the memory a pass needs. */
export interface FftPlan {
  readonly n: FftSize;
  /** Outputs per tile down and across. */
  readonly mh: number;
  readonly mw: number;
  readonly tileRows: number;
  readonly tileColumns: number;
  readonly imagesPerPass: number;
  /** Bytes of V and M for one pass. */
  readonly workspaceBytes: number;
  readonly threadScratchBytes: number;
}

const roundUp = (v: number, to: number): number => Math.ceil(v / to) * to;

export function planFft(conv: FftConv, n: FftSize): FftPlan {
  const mh = n - conv.kernel[0] + 1;
  const mw = n - conv.kernel[1] + 1;
  const tileRows = Math.ceil(conv.outHeight / mh);
  const tileColumns = Math.ceil(conv.outWidth / mw);
  const bins = fftBins(n);
  const perImage = bins * 2 * (conv.channels + conv.outChannels) * tileRows * tileColumns * 4;
  const imagesPerPass = Math.max(1, Math.min(conv.images, Math.floor(passBytesTarget / perImage)));
  const ld = roundUp(imagesPerPass * tileRows * tileColumns, tileCols);
  // Four tiles' windows and their transform down the columns; the output's inverse rows and results.
  const inputScratch = (2 * n * n + 2 * n) * 16;
  const outputScratch = (2 * n * n + n) * 16;
  return {
    n, mh, mw, tileRows, tileColumns, imagesPerPass,
    // The output transform reads whole vectors of four tiles, up to three past the last.
    workspaceBytes: roundUp(bins * 2 * conv.channels * ld * 4, 64) + bins * 2 * conv.outChannels * ld * 4 + 64,
    threadScratchBytes: Math.max(inputScratch, outputScratch, gemmScratchBytes(2 * (conv.channels / conv.groups))),
  };
}

/**
 * Addresses an FFT layer's passes read and write, as a Winograd layer's: u the weights from fftWeights,
 * zeros fftZeroFloats of them.
 */
export type FftBuffers = WinogradBuffers;

/** Floats of zeros the GEMMs read as their bias. */
export const fftZeroFloats = (conv: FftConv, n: number): number => fftBins(n) * 2 * conv.outChannels + 8;

/** The kernels of every pass, in order, with their parameter blocks. */
export function encodeFft(conv: FftConv, plan: FftPlan, at: FftBuffers, relu: boolean, clip: readonly [number, number] | undefined, threads: number, gemmRows: number, yImageBytes = conv.outChannels * conv.outHeight * conv.outWidth * 4): [KernelName, Int32Array][] {
  const { n, mh, mw, tileRows, tileColumns } = plan;
  const bins = fftBins(n);
  const cg = conv.channels / conv.groups;
  const mg = conv.outChannels / conv.groups;
  const dispatches: [KernelName, Int32Array][] = [];
  for (let n0 = 0; n0 < conv.images; n0 += plan.imagesPerPass) {
    const images = Math.min(plan.imagesPerPass, conv.images - n0);
    const tiles = images * tileRows * tileColumns;
    const ld = roundUp(tiles, tileCols);
    const v = at.workspace;
    const mb = at.workspace + roundUp(bins * 2 * conv.channels * ld * 4, 64);
    const x = at.x + n0 * conv.channels * conv.height * conv.width * 4;
    const y = at.y + n0 * yImageBytes;
    dispatches.push(['f32_fft_input__simd128', Int32Array.from([
      x, v, at.scratch, at.scratchStride, images, conv.channels, conv.height, conv.width,
      conv.padTop, conv.padLeft, tileRows, tileColumns, ld, mh, mw, n, conv.groups,
    ])]);
    dispatches.push(['f32_conv_gemm_6x8', encodeGemmJob({
      a: at.u, b: v, bias: at.zeros, c: mb, scratch: at.scratch,
      images: 1, groups: bins * conv.groups, mg: 2 * mg, np: tiles, k: 2 * cg, mode: BMode.Direct,
      bsk: ld * 4, bsp: 4, bImage: 0, bGroup: 2 * cg * ld * 4,
      csm: ld * 4, csp: 4, cImage: 0, cGroup: 2 * mg * ld * 4,
      relu: false,
    }, threads, gemmRows)]);
    dispatches.push(['f32_fft_output__simd128', Int32Array.from([
      mb, y, at.bias, at.scratch, at.scratchStride, images, conv.outChannels, conv.outHeight, conv.outWidth,
      tileRows, tileColumns, ld, mh, mw, epilogueCode(relu, clip), ...floatBits(clip ?? [0, 0]), n, conv.groups, yImageBytes,
    ])]);
  }
  return dispatches;
}
