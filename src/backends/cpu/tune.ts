// The per-layer choice of algorithm on the cpu backend: a convolution Winograd can run has three candidates
// (im2col GEMM, F(2x2,r x r), F(4x4,r x r) for r = 3 or 5), directly or, for a strided one, after a
// space-to-depth rewrite, and one with a kernel of 5 taps or more also FFT where it can win; the pick is measured on the layer's real buffers once per (layer shape, threads,
// kernel build) and process, as cuDNN's "find" does, or taken from a fixed rule.

import type { BackendOptions } from '../backend.js';
import type { KernelBuild } from './kernels.js';
import type { WasmLayer } from './lower.js';
import { directName } from './direct.js';
import { fftName, fftTileFor } from './fft.js';
import { spaceToDepthCandidates, spaceToDepthName } from './space-to-depth.js';
import { fftSizes } from './wasm/fft-emit.js';
import { winogradGemmWork, winogradName, winogradVariantsFor } from './winograd.js';

/** For tests: when set, every convolution that has a candidate of this name runs it. */
export const forcedConvAlgorithm: { name?: string } = {};

/** Measured picks of this process, by layerKey. */
const measured = new Map<string, string>();

/** The shape signature of a convolution, the threads and the kernel build: what a measured pick depends on. */
function layerKey(layer: WasmLayer, threads: number, build: KernelBuild): string {
  const { images, groups, mg, np, k, bImage, window: w } = layer.job;
  const windowKey = w === undefined ? [] : [w.height, w.width, w.outWidth, ...w.kernel, ...w.strides, ...w.padsBegin, ...w.dilations];
  return [images, groups, mg, np, k, bImage, ...windowKey, threads, build].join(' ');
}

/**
 * The fixed rule: Winograd F(4x4,r x r) when the layer has channels enough to amortize the transforms
 * (16 in and out per group) over an output of at least 8x8 (3x3) or 7x7 (5x5), else the GEMM. (Measured on
 * 2 Zen 3 cores at batch 8, F(4x4) beat both F(2x2) and the GEMM on every 3x3 layer of CaffeNet and
 * GoogLeNet, 7x7 outputs too, and on every 5x5 layer: CaffeNet's conv2 2.7x faster than the GEMM.)
 * Direct convolution where a group has fewer output channels than the GEMM tile has rows (a depthwise
 * 3x3 layer at batch 8: 1.4x the GEMM's speed at stride 1, 2.5x at stride 2).
 */
function heuristic(layer: WasmLayer): string {
  if (layer.direct !== undefined) return directName;
  const conv = layer.winograd ?? layer.spaceToDepth?.conv;
  if (conv === undefined) return layer.algorithm;
  const cg = conv.channels / conv.groups;
  const mg = conv.outChannels / conv.groups;
  const side = conv.kernel === 5 ? 7 : 8;
  const f4 = winogradVariantsFor(conv.kernel).find((v) => v.m === 4)!;
  if (cg < 16 || mg < 16 || conv.outHeight < side || conv.outWidth < side) return layer.algorithm;
  return layer.spaceToDepth === undefined ? winogradName(f4) : spaceToDepthName(layer.spaceToDepth, f4);
}

/**
 * The algorithms a layer may run, the default first: one, unless the pick is to be measured. Measuring
 * ('measure', or 'auto', the default) times every candidate of a layer whose pick this process has not
 * measured yet. (F(4x4,3x3) and F(4x4,5x5) keep the zoo networks within 1e-4 of the reference in f32;
 * winograd.test.ts and zoo.test.ts check it.)
 */
export function candidates(layer: WasmLayer, options: BackendOptions, build: KernelBuild): string[] {
  const all = [layer.algorithm];
  let rival = Infinity;
  if (layer.winograd !== undefined) {
    const variants = winogradVariantsFor(layer.winograd.kernel);
    all.push(...variants.map(winogradName));
    rival = Math.min(...variants.map((v) => winogradGemmWork(layer.winograd!, v)));
  }
  if (layer.spaceToDepth !== undefined) all.push(...spaceToDepthCandidates(layer.spaceToDepth));
  if (layer.direct !== undefined) all.push(directName);
  const forced = forcedConvAlgorithm.name;
  if (forced !== undefined) {
    const [kh, kw] = layer.fft?.kernel ?? [Infinity, Infinity];
    const ffts = fftSizes.filter((n) => kh <= n / 2 && kw <= n / 2).map(fftName);
    return [[...all, ...ffts].find((name) => name === forced || name.endsWith(`+ ${forced}`)) ?? layer.algorithm];
  }
  // FFT where it can win (fewer multiplies than the rest, weights that fit): see fft.ts.
  const tile = layer.fft === undefined ? undefined : fftTileFor(layer.fft, rival);
  if (tile !== undefined) all.push(fftName(tile));
  if (all.length === 1) return all;
  if (options.tune === 'heuristic') return [heuristic(layer)];
  const known = measured.get(layerKey(layer, options.threads, build));
  return known !== undefined && all.includes(known) ? [known] : all;
}

/** Remembers a measured pick for the layers of this shape. */
export function rememberPick(layer: WasmLayer, threads: number, build: KernelBuild, name: string): void {
  measured.set(layerKey(layer, threads, build), name);
}

/**
 * The index of the fastest of `runs` (each runs one candidate once): one warm-up run each, then three
 * rounds that run every candidate still in the race once, in turn, so that a slow spell of the machine
 * hits them all alike; a candidate whose first timed run took over 2.5 times the best first run drops
 * out. The fastest median wins. `now` is the clock (a fake one in tests).
 */
export function fastest(runs: readonly (() => void)[], now: () => number = () => performance.now()): number {
  runs.forEach((run) => run());
  const times = runs.map(() => [] as number[]);
  let alive = runs.map((_, i) => i);
  for (let round = 0; round < 3; round++) {
    for (const i of alive) {
      const started = now();
      runs[i]();
      times[i].push(now() - started);
    }
    if (round === 0) {
      const best = Math.min(...alive.map((i) => times[i][0]));
      alive = alive.filter((i) => times[i][0] <= 2.5 * best);
    }
  }
  const median = (i: number): number => [...times[i]].sort((a, b) => a - b)[1];
  return alive.reduce((best, i) => (median(i) < median(best) ? i : best), alive[0]);
}
