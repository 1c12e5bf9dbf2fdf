/**
 * The packed GEMM and GEMV kernels against a naive float64 GEMM over edge shapes (1, primes, sizes that
 * are not multiples of the 6x8 or 5x8 tile), in both builds and on 1 and 2 threads, with sentinel values around
 * every output to catch writes out of bounds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArenaPlanner } from '../../../src/backends/cpu/arena.js';
import { BMode, encodeFcJob, encodeGemmJob, encodeGemvJob, fcBlock, fcScratchBytes, gemmScratchBytes, packWeights, tileRowsOf } from '../../../src/backends/cpu/jobs.js';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from '../../../src/core/float16.js';
import { type KernelBuild, hasRelaxedSimd } from '../../../src/backends/cpu/kernels.js';
import { ThreadPool } from '../../../src/backends/cpu/pool.js';
import { randomFloats } from '../../helpers/random.js';

const sizes = [1, 2, 5, 7, 8, 13, 31, 64, 97];
const guard = 1024; // sentinel floats on each side of the output
const sentinel = -12345.5;
const maxThreads = 2;

/** C [m, n] = bias + A [m, k] * B [k, n], in float64. */
function naive(a: Float32Array, b: Float32Array, bias: Float32Array, m: number, n: number, k: number, relu: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias[i];
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = relu ? Math.max(0, s) : s;
    }
  }
  return c;
}

const builds: KernelBuild[] = hasRelaxedSimd() ? ['relaxed', 'simd128'] : ['simd128'];
const pools = new Map<string, ThreadPool>();
const memoryBytes = 64 << 20;

function pool(build: KernelBuild, threads: number): ThreadPool {
  return pools.get(`${build}/${threads}`)!;
}

beforeAll(async () => {
  for (const build of builds) for (const threads of [1, maxThreads]) pools.set(`${build}/${threads}`, await ThreadPool.create(threads, memoryBytes, build));
});

afterAll(async () => {
  await Promise.all([...pools.values()].map((p) => p.close()));
});

interface Result {
  out: Float32Array;
  guardsIntact: boolean;
}

/** Runs one GEMM (transposed output for the strided mode, like a fully connected layer) and reads C back. */
function runGemm(p: ThreadPool, mode: BMode, a: Float32Array, b: Float32Array, bias: Float32Array, m: number, n: number, k: number, relu: boolean, aHalf = false): Result {
  const arena = new ArenaPlanner();
  const packedWide = packWeights(a, 1, m, k, tileRowsOf(p.build));
  const packed = aHalf ? float32ArrayToFloat16(packedWide) : packedWide;
  const aAt = arena.permanent(packed.byteLength);
  const bAt = arena.permanent(b.byteLength);
  const biasAt = arena.permanent(bias.byteLength + 32);
  const cAt = arena.permanent((m * n + 2 * guard) * 4);
  const scratchAt = arena.permanent(gemmScratchBytes(k) * p.threads);
  const prmAt = arena.permanent(256);
  expect(arena.size).toBeLessThan(memoryBytes);
  const f32 = new Float32Array(p.memory.buffer);
  if (packed instanceof Uint16Array) new Uint16Array(p.memory.buffer).set(packed, aAt / 2);
  else f32.set(packed, aAt / 4);
  // Strided mode reads B transposed (a fully connected layer's input, [n, k]).
  const bStored = mode === BMode.Strided ? transpose(b, k, n) : b;
  f32.set(bStored, bAt / 4);
  f32.set(bias, biasAt / 4);
  f32.fill(sentinel, cAt / 4, cAt / 4 + m * n + 2 * guard);
  const c = cAt + guard * 4;
  const transposed = mode === BMode.Strided;
  const job = encodeGemmJob(
    {
      a: aAt, b: bAt, bias: biasAt, c, scratch: scratchAt, images: 1, groups: 1, mg: m, np: n, k, mode,
      bsk: transposed ? 4 : n * 4, bsp: transposed ? k * 4 : 4, bImage: 0, bGroup: 0,
      csm: transposed ? 4 : n * 4, csp: transposed ? m * 4 : 4, cImage: 0, cGroup: 0, relu, aHalf,
    },
    p.threads,
    tileRowsOf(p.build),
  );
  new Int32Array(p.memory.buffer).set(job, prmAt / 4);
  p.run('f32_conv_gemm_6x8', prmAt);
  const view = new Float32Array(p.memory.buffer, cAt, m * n + 2 * guard);
  const guardsIntact = view.subarray(0, guard).every((v) => v === sentinel) && view.subarray(guard + m * n).every((v) => v === sentinel);
  const raw = view.slice(guard, guard + m * n);
  return { out: transposed ? transpose(raw, n, m) : raw, guardsIntact };
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

function maxError(got: Float32Array, want: Float64Array, k: number): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])) / Math.sqrt(k));
  return worst;
}

const shapes = sizes.flatMap((m) => sizes.flatMap((n) => sizes.map((k) => [m, n, k] as const)));

describe.each(builds)('f32_conv_gemm_6x8 (%s)', (build) => {
  for (const mode of [BMode.Direct, BMode.Strided]) {
    it(`matches a naive GEMM on ${shapes.length} shapes, mode ${mode}, 1 and ${maxThreads} threads, bit-identical across thread counts`, () => {
      for (const [m, n, k] of shapes) {
        const a = randomFloats(m * k, m * 1000 + k);
        const b = randomFloats(k * n, n * 7 + k);
        const bias = randomFloats(m, m + n);
        const relu = (m + n + k) % 2 === 0;
        const want = naive(a, b, bias, m, n, k, relu);
        const one = runGemm(pool(build, 1), mode, a, b, bias, m, n, k, relu);
        const two = runGemm(pool(build, maxThreads), mode, a, b, bias, m, n, k, relu);
        const label = `M=${m} N=${n} K=${k}`;
        expect(one.guardsIntact, `${label}: writes outside C`).toBe(true);
        expect(two.guardsIntact, `${label}: writes outside C (2 threads)`).toBe(true);
        expect(maxError(one.out, want, k), label).toBeLessThan(1e-6);
        expect(Buffer.from(two.out.buffer).equals(Buffer.from(one.out.buffer)), `${label}: thread counts disagree`).toBe(true);
      }
    });
  }

  it('f32_conv_gemm_6x8 with float16 weights gives the float32 GEMM\'s results on the same values, on 1 and 2 threads', () => {
    for (const [m, n, k] of shapes.filter((_, i) => i % 7 === 0)) {
      const a = float16ArrayToFloat32(float32ArrayToFloat16(randomFloats(m * k, m * 1000 + k)));
      const b = randomFloats(k * n, n * 7 + k);
      const bias = randomFloats(m, m + n);
      const wide = runGemm(pool(build, 1), BMode.Direct, a, b, bias, m, n, k, true);
      for (const threads of [1, maxThreads]) {
        const half = runGemm(pool(build, threads), BMode.Direct, a, b, bias, m, n, k, true, true);
        expect(half.guardsIntact).toBe(true);
        expect(Buffer.from(half.out.buffer).equals(Buffer.from(wide.out.buffer)), `M=${m} N=${n} K=${k}, ${threads} threads`).toBe(true);
      }
    }
  });

  // Batches of 1 to 97 items, K past one k-block (fcBlock: 8192 floats at batch 8, 1360 at 48) and not a multiple of 8.
  const fcShapes = [...sizes.flatMap((m) => sizes.map((n) => [m, n, 1 + ((m * n) % 37)] as const)), [13, 8, 8197], [7, 48, 2741], [31, 97, 700], [64, 50, 1365]] as const;
  for (const half of [false, true]) {
    it(`f32_fc_gemm with ${half ? 'float16' : 'float32'} weights matches a naive GEMM, bit-identical across thread counts and to f32_conv_gemm_6x8`, () => {
      expect(fcShapes.some(([, n, k]) => k > fcBlock(n, k) * 2)).toBe(true);
      for (const [m, n, k] of fcShapes) {
        const label = `M=${m} batch=${n} K=${k}`;
        const stored = float32ArrayToFloat16(randomFloats(m * k, m * 1000 + k));
        const w = half ? float16ArrayToFloat32(stored) : randomFloats(m * k, m * 1000 + k);
        const x = randomFloats(n * k, n * 7 + k);
        const bias = randomFloats(m, m + n);
        const relu = (m + n + k) % 2 === 0;
        const want = naive(w, transpose(x, n, k), bias, m, n, k, relu);
        const outs = [1, maxThreads].map((threads) => {
          const p = pool(build, threads);
          const weights = half ? stored : w;
          const arena = new ArenaPlanner();
          const scratchStride = fcScratchBytes(n, k, tileRowsOf(build));
          const [wAt, xAt, bAt, yAt, scratch, prmAt] = [weights.byteLength, x.byteLength, bias.byteLength + 32, (m * n + 2 * guard) * 4, scratchStride * threads, 64]
            .map((bytes) => arena.permanent(bytes));
          expect(arena.size).toBeLessThan(memoryBytes);
          if (half) new Uint16Array(p.memory.buffer).set(stored, wAt / 2);
          else new Float32Array(p.memory.buffer).set(w, wAt / 4);
          const f32 = new Float32Array(p.memory.buffer);
          f32.set(x, xAt / 4);
          f32.set(bias, bAt / 4);
          f32.fill(sentinel, yAt / 4, yAt / 4 + m * n + 2 * guard);
          new Int32Array(p.memory.buffer).set(encodeFcJob({ w: wAt, x: xAt, bias: bAt, y: yAt + guard * 4, scratch, scratchStride }, m, n, k, half, relu), prmAt / 4);
          p.run('f32_fc_gemm', prmAt);
          const view = new Float32Array(p.memory.buffer, yAt, m * n + 2 * guard);
          expect(view.subarray(0, guard).every((v) => v === sentinel) && view.subarray(guard + m * n).every((v) => v === sentinel), `${label}: writes outside Y`).toBe(true);
          return transpose(view.slice(guard, guard + m * n), n, m);
        });
        expect(maxError(outs[0], want, k), label).toBeLessThan(1e-6);
        expect(Buffer.from(outs[1].buffer).equals(Buffer.from(outs[0].buffer)), `${label}: thread counts disagree`).toBe(true);
        // The same sums in the same order as the unblocked GEMM over packed weights.
        const unblocked = runGemm(pool(build, 1), BMode.Strided, w, transpose(x, n, k), bias, m, n, k, relu);
        expect(Buffer.from(unblocked.out.buffer).equals(Buffer.from(outs[0].buffer)), `${label}: differs from f32_conv_gemm_6x8`).toBe(true);
      }
    });
  }

  it('f32_gemv_4x4 matches a naive GEMV, bit-identical across thread counts', () => {
    for (const m of sizes) {
      for (const k of sizes) {
        const w = randomFloats(m * k, m + 31 * k);
        const x = randomFloats(k, k);
        const bias = randomFloats(m, m);
        const want = naive(w, x, bias, m, 1, k, m % 2 === 0);
        const outs = [1, maxThreads].map((threads) => {
          const p = pool(build, threads);
          const arena = new ArenaPlanner();
          const [wAt, xAt, bAt, yAt, prmAt] = [w.byteLength, x.byteLength, bias.byteLength, (m + 2 * guard) * 4, 64].map((n) => arena.permanent(n));
          const f32 = new Float32Array(p.memory.buffer);
          f32.set(w, wAt / 4);
          f32.set(x, xAt / 4);
          f32.set(bias, bAt / 4);
          f32.fill(sentinel, yAt / 4, yAt / 4 + m + 2 * guard);
          new Int32Array(p.memory.buffer).set(encodeGemvJob(wAt, xAt, bAt, yAt + guard * 4, m, k, m % 2 === 0), prmAt / 4);
          p.run('f32_gemv_4x4', prmAt);
          const view = new Float32Array(p.memory.buffer, yAt, m + 2 * guard);
          expect(view.subarray(0, guard).every((v) => v === sentinel) && view.subarray(guard + m).every((v) => v === sentinel), `M=${m} K=${k}`).toBe(true);
          return view.slice(guard, guard + m);
        });
        expect(maxError(outs[0], want, k), `M=${m} K=${k}`).toBeLessThan(1e-6);
        expect(Buffer.from(outs[1].buffer).equals(Buffer.from(outs[0].buffer))).toBe(true);
      }
    }
  });
});
