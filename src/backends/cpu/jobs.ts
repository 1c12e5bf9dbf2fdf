// The parameter blocks of the wasm kernels (f32-kernels.as reads them by index) and the packing of
// weights into the layout the GEMM microkernel wants.

/**
 * Rows of the GEMM microkernel's tile (output channels) in each kernel build, and its columns (output
 * pixels or batch items). The relaxed build's tile is 6x8: twelve accumulators, two rows of B and a
 * broadcast of A fill the 15 vector registers V8 leaves to wasm on x64. The plain build needs one more
 * register for the product before each add, and its 6x8 tile spilled (16-29 GFLOP/s); it runs 5x8.
 */
export const tileRowsOf = (build: 'relaxed' | 'simd128'): number => (build === 'relaxed' ? 6 : 5);
export const tileCols = 8;
/** Bytes of each thread's scratch before its packed columns: the microkernel's 6x8 edge tile. */
const tileScratchBytes = 256;
/** Packed columns of B a thread keeps at once: sized to stay in the L2 cache. */
const packedBytesTarget = 192 * 1024;

/**
 * How the GEMM reads its B operand. Direct: rows of B lie at b + k * bsk with contiguous columns, read in
 * place (1x1 convolutions). Strided: B(k, p) = b + k * bsk + p * bsp, packed per chunk of columns (fully
 * connected layers, where B is X transposed). Im2col: B is the im2col matrix of an image, packed per chunk.
 */
export const BMode = { Direct: 0, Strided: 1, Im2col: 2 } as const;
export type BMode = (typeof BMode)[keyof typeof BMode];

/** The convolution window that im2col reads: input plane, output width and 2-D window attributes. */
export interface Im2colWindow {
  readonly height: number;
  readonly width: number;
  readonly outWidth: number;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padsBegin: readonly [number, number];
  readonly dilations: readonly [number, number];
}

/**
 * One f32_conv_gemm_6x8 job: for each image n and group g, C = epilogue(bias + A_g * B_{n,g}) with A_g the
 * packed weights [mg, k] of group g and B [k, np]. Byte offsets and byte strides throughout.
 */
export interface GemmJob {
  readonly a: number;
  readonly b: number;
  readonly bias: number;
  readonly c: number;
  readonly scratch: number;
  readonly images: number;
  readonly groups: number;
  readonly mg: number;
  readonly np: number;
  readonly k: number;
  readonly mode: BMode;
  readonly bsk: number;
  readonly bsp: number;
  readonly bImage: number;
  readonly bGroup: number;
  readonly csm: number;
  readonly csp: number;
  readonly cImage: number;
  readonly cGroup: number;
  readonly relu: boolean;
  /** Clip's bounds, when the epilogue clamps (it takes precedence over relu). */
  readonly clip?: readonly [number, number];
  readonly window?: Im2colWindow;
  /** A holds float16 values, widened a row tile at a time. */
  readonly aHalf?: boolean;
  /** Bytes from one panel of 8 columns of C to the next (default 8 * csp: C's columns are evenly spaced). */
  readonly cPanel?: number;
}

/** Column panels per packed chunk for a reduction of length k. */
export function panelsPerChunk(k: number): number {
  return Math.max(1, Math.floor(packedBytesTarget / (k * tileCols * 4)));
}

/** Bytes of scratch each thread needs for a job with reduction length k (float16 weights widened included). */
export function gemmScratchBytes(k: number): number {
  return tileScratchBytes + panelsPerChunk(k) * k * tileCols * 4 + tileRowsOf('relaxed') * k * 4;
}

/** The i32 parameter block of a GEMM job run on `threads` threads. */
export function encodeGemmJob(job: GemmJob, threads: number, tileRows: number): Int32Array {
  const nb = panelsPerChunk(job.k);
  const panels = Math.ceil(job.np / tileCols);
  const columnItems = job.images * job.groups * Math.ceil(panels / nb);
  const rowTiles = Math.ceil(job.mg / tileRows);
  // Too few column chunks to keep every thread busy (small images, fully connected layers): split the
  // rows as well. Each output element is still computed whole by one thread.
  const rowBlocks = Math.min(rowTiles, Math.max(1, Math.ceil((4 * threads) / columnItems)));
  const w = job.window;
  return Int32Array.from([
    job.a, job.b, job.bias, job.c, job.scratch, gemmScratchBytes(job.k),
    job.images, job.groups, job.mg, job.np, job.k, job.mode,
    job.bsk, job.bsp, job.bImage, job.bGroup, job.csm, job.csp, job.cImage, job.cGroup,
    epilogueCode(job.relu, job.clip), nb,
    w?.height ?? 0, w?.width ?? 0, w?.outWidth ?? 1, w?.kernel[0] ?? 1, w?.kernel[1] ?? 1,
    w?.strides[0] ?? 1, w?.strides[1] ?? 1, w?.padsBegin[0] ?? 0, w?.padsBegin[1] ?? 0,
    w?.dilations[0] ?? 1, w?.dilations[1] ?? 1, rowBlocks,
    ...epilogueBounds(job.relu, job.clip),
    job.aHalf === true ? 1 : 0,
    job.cPanel ?? 0,
  ]);
}

/** The epilogue's code in a parameter block: 0 none, 1 ReLU, 2 Clip. */
export function epilogueCode(relu: boolean, clip: readonly [number, number] | undefined): number {
  return clip !== undefined ? 2 : relu ? 1 : 0;
}

/** The epilogue's bounds as i32 words, for the kernels that clamp their stored tiles: Clip's, or [0, +inf] for ReLU. */
function epilogueBounds(relu: boolean, clip: readonly [number, number] | undefined): number[] {
  return floatBits(clip ?? (relu ? [0, Infinity] : [0, 0]));
}

/** Floats as the i32 words that hold their bits. */
export function floatBits(values: readonly number[]): number[] {
  return Array.from(new Int32Array(Float32Array.from(values).buffer));
}

/** The i32 parameter block of an f32_gemv_4x4 job: y = epilogue(bias + W x) for row-major W [m, k]. */
export function encodeGemvJob(w: number, x: number, bias: number, y: number, m: number, k: number, relu: boolean, clip?: readonly [number, number]): Int32Array {
  return Int32Array.from([w, x, bias, y, m, k, epilogueCode(relu, clip), ...floatBits(clip ?? [0, 0])]);
}

/** Bytes of X's k-block that f32_fc_gemm keeps packed per thread: a share of the L2 cache. */
const fcPackedBytesTarget = 256 * 1024;

/** The k-block of f32_fc_gemm for a batch of `batch` items: a multiple of 8, at most K rounded up. */
export function fcBlock(batch: number, k: number): number {
  const panels = Math.ceil(batch / tileCols);
  const fits = Math.max(8, Math.floor(fcPackedBytesTarget / (panels * tileCols * 4) / 8) * 8);
  return Math.min(fits, Math.ceil(k / 8) * 8);
}

/** Bytes of scratch each thread needs for f32_fc_gemm: the edge tile, a packed block of W and one of X. */
export function fcScratchBytes(batch: number, k: number, tileRows: number): number {
  const kc = fcBlock(batch, k);
  return tileScratchBytes + tileRows * kc * 4 + Math.ceil(batch / tileCols) * kc * tileCols * 4;
}

/**
 * The i32 parameter block of an f32_fc_gemm job: Y [batch, m] = epilogue(bias + X [batch, k] W^T) with W
 * row-major [m, k] at `w`, float16 where `half`.
 */
export function encodeFcJob(
  at: { readonly w: number; readonly x: number; readonly bias: number; readonly y: number; readonly scratch: number; readonly scratchStride: number },
  m: number, batch: number, k: number, half: boolean, relu: boolean, clip?: readonly [number, number],
): Int32Array {
  return Int32Array.from([
    at.w, at.x, at.bias, at.y, at.scratch, at.scratchStride, m, batch, k, fcBlock(batch, k), half ? 1 : 0,
    epilogueCode(relu, clip), ...epilogueBounds(relu, clip),
  ]);
}

/**
 * Packs weights W [groups * mg, k] (row-major, row m of group g at (g * mg + m) * k) into the layout of the
 * microkernel: per group, panels of `tileRows` rows, each k-major (the values of column k together), rows
 * past mg zero. `scale` multiplies every weight (Gemm's alpha).
 */
export function packWeights(w: ArrayLike<number>, groups: number, mg: number, k: number, tileRows: number, scale = 1): Float32Array {
  const rowTiles = Math.ceil(mg / tileRows);
  const out = new Float32Array(groups * rowTiles * tileRows * k);
  for (let g = 0; g < groups; g++) {
    for (let rt = 0; rt < rowTiles; rt++) {
      const base = (g * rowTiles + rt) * tileRows * k;
      for (let i = 0; i < tileRows && rt * tileRows + i < mg; i++) {
        const row = (g * mg + rt * tileRows + i) * k;
        for (let kk = 0; kk < k; kk++) out[base + kk * tileRows + i] = scale * w[row + kk];
      }
    }
  }
  return out;
}
