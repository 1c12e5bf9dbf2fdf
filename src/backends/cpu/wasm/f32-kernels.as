// joule's f32 CPU kernels, in AssemblyScript. One source, two builds (scripts/build-wasm.ts): with
// relaxed SIMD enabled, ASC_FEATURE_RELAXED_SIMD folds `madd` to f32x4.relaxed_madd (a fused multiply-add);
// without it, to a multiply and an add. Every entry point takes a block of i32 parameters in the shared
// memory and a thread index: thread `ith` of `nth` computes a fixed set of output tiles, and each output
// element is computed by one thread with the same order of operations whatever nth is, so results do not
// depend on the thread count. Nothing here allocates: all memory is planned by the host.

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline function param(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/**
 * f32_gemm_6x8: C[0..mr, 0..nr] = epilogue(bias[i] + sum over k of A[i, k] * B[k, j]), or with the sums
 * starting from the 6x8 tile at `init` (rows 32 bytes apart) instead of the bias where `init` is not 0: a
 * GEMM blocked along k goes on from its partial sums. A is packed as
 * k-major groups of 6 floats; row k of B is 8 floats at b + k * ldb. C(i, j) is at c + i * rsc + j * csc;
 * a full tile with contiguous rows is stored as vectors, any other through the 6x8 scratch `tmp`. The
 * epilogue clamps to the two floats at `bounds` ([0, +inf] for ReLU, Clip's), or nothing when it is 0.
 * It is applied to the stored tile, after the accumulators are dead: clamping them in registers made V8
 * keep them in memory through the k-loop, at half the speed.
 * The k-loop is rolled with pointer increments: V8 compiles unrolled offsets into spills.
 */
function f32_gemm_6x8(k: i32, a: usize, b: usize, ldb: usize, bias: usize, bounds: usize, c: usize, rsc: usize, csc: usize, mr: i32, nr: i32, tmp: usize, init: usize): void {
  let c00 = f32x4.splat(load<f32>(bias, 0)), c01 = c00;
  let c10 = f32x4.splat(load<f32>(bias, 4)), c11 = c10;
  let c20 = f32x4.splat(load<f32>(bias, 8)), c21 = c20;
  let c30 = f32x4.splat(load<f32>(bias, 12)), c31 = c30;
  let c40 = f32x4.splat(load<f32>(bias, 16)), c41 = c40;
  let c50 = f32x4.splat(load<f32>(bias, 20)), c51 = c50;
  if (init != 0) {
    c00 = v128.load(init, 0); c01 = v128.load(init, 16);
    c10 = v128.load(init, 32); c11 = v128.load(init, 48);
    c20 = v128.load(init, 64); c21 = v128.load(init, 80);
    c30 = v128.load(init, 96); c31 = v128.load(init, 112);
    c40 = v128.load(init, 128); c41 = v128.load(init, 144);
    c50 = v128.load(init, 160); c51 = v128.load(init, 176);
  }
  for (let kk = 0; kk < k; kk++) {
    const b0 = v128.load(b, 0);
    const b1 = v128.load(b, 16);
    let s = v128.load32_splat(a, 0);
    c00 = madd(s, b0, c00); c01 = madd(s, b1, c01);
    s = v128.load32_splat(a, 4);
    c10 = madd(s, b0, c10); c11 = madd(s, b1, c11);
    s = v128.load32_splat(a, 8);
    c20 = madd(s, b0, c20); c21 = madd(s, b1, c21);
    s = v128.load32_splat(a, 12);
    c30 = madd(s, b0, c30); c31 = madd(s, b1, c31);
    s = v128.load32_splat(a, 16);
    c40 = madd(s, b0, c40); c41 = madd(s, b1, c41);
    s = v128.load32_splat(a, 20);
    c50 = madd(s, b0, c50); c51 = madd(s, b1, c51);
    a += 24;
    b += ldb;
  }
  const full = mr == 6 && nr == 8 && csc == 4;
  const out = full ? c : tmp;
  const rs = full ? rsc : 32;
  v128.store(out, c00, 0); v128.store(out, c01, 16);
  v128.store(out + rs, c10, 0); v128.store(out + rs, c11, 16);
  v128.store(out + 2 * rs, c20, 0); v128.store(out + 2 * rs, c21, 16);
  v128.store(out + 3 * rs, c30, 0); v128.store(out + 3 * rs, c31, 16);
  v128.store(out + 4 * rs, c40, 0); v128.store(out + 4 * rs, c41, 16);
  v128.store(out + 5 * rs, c50, 0); v128.store(out + 5 * rs, c51, 16);
  if (bounds != 0) {
    const l = v128.load32_splat(bounds, 0), h = v128.load32_splat(bounds, 4);
    let row = out;
    for (let i = 0; i < 6; i++) {
      v128.store(row, f32x4.min(f32x4.max(v128.load(row), l), h));
      v128.store(row, f32x4.min(f32x4.max(v128.load(row, 16), l), h), 16);
      row += rs;
    }
  }
  if (full) return;
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) store<f32>(c + <usize>i * rsc + <usize>j * csc, load<f32>(tmp + <usize>(i * 32 + j * 4)));
  }
}

/**
 * f32_gemm_5x8: f32_gemm_6x8 with five rows, for the plain-SIMD build: there a multiply-add is a multiply
 * and an add, whose product needs a register of its own, and the 6x8 tile's twelve accumulators no longer
 * fit beside it (V8 spilled them: 16-29 GFLOP/s, where this tile runs at about 43).
 */
function f32_gemm_5x8(k: i32, a: usize, b: usize, ldb: usize, bias: usize, bounds: usize, c: usize, rsc: usize, csc: usize, mr: i32, nr: i32, tmp: usize, init: usize): void {
  let c00 = f32x4.splat(load<f32>(bias, 0)), c01 = c00;
  let c10 = f32x4.splat(load<f32>(bias, 4)), c11 = c10;
  let c20 = f32x4.splat(load<f32>(bias, 8)), c21 = c20;
  let c30 = f32x4.splat(load<f32>(bias, 12)), c31 = c30;
  let c40 = f32x4.splat(load<f32>(bias, 16)), c41 = c40;
  if (init != 0) {
    c00 = v128.load(init, 0); c01 = v128.load(init, 16);
    c10 = v128.load(init, 32); c11 = v128.load(init, 48);
    c20 = v128.load(init, 64); c21 = v128.load(init, 80);
    c30 = v128.load(init, 96); c31 = v128.load(init, 112);
    c40 = v128.load(init, 128); c41 = v128.load(init, 144);
  }
  for (let kk = 0; kk < k; kk++) {
    const b0 = v128.load(b, 0);
    const b1 = v128.load(b, 16);
    let s = v128.load32_splat(a, 0);
    c00 = madd(s, b0, c00); c01 = madd(s, b1, c01);
    s = v128.load32_splat(a, 4);
    c10 = madd(s, b0, c10); c11 = madd(s, b1, c11);
    s = v128.load32_splat(a, 8);
    c20 = madd(s, b0, c20); c21 = madd(s, b1, c21);
    s = v128.load32_splat(a, 12);
    c30 = madd(s, b0, c30); c31 = madd(s, b1, c31);
    s = v128.load32_splat(a, 16);
    c40 = madd(s, b0, c40); c41 = madd(s, b1, c41);
    a += 20;
    b += ldb;
  }
  const full = mr == 5 && nr == 8 && csc == 4;
  const out = full ? c : tmp;
  const rs = full ? rsc : 32;
  v128.store(out, c00, 0); v128.store(out, c01, 16);
  v128.store(out + rs, c10, 0); v128.store(out + rs, c11, 16);
  v128.store(out + 2 * rs, c20, 0); v128.store(out + 2 * rs, c21, 16);
  v128.store(out + 3 * rs, c30, 0); v128.store(out + 3 * rs, c31, 16);
  v128.store(out + 4 * rs, c40, 0); v128.store(out + 4 * rs, c41, 16);
  if (bounds != 0) {
    const l = v128.load32_splat(bounds, 0), h = v128.load32_splat(bounds, 4);
    let row = out;
    for (let i = 0; i < 5; i++) {
      v128.store(row, f32x4.min(f32x4.max(v128.load(row), l), h));
      v128.store(row, f32x4.min(f32x4.max(v128.load(row, 16), l), h), 16);
      row += rs;
    }
  }
  if (full) return;
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) store<f32>(c + <usize>i * rsc + <usize>j * csc, load<f32>(tmp + <usize>(i * 32 + j * 4)));
  }
}

/** Rows of the GEMM tile: 6 where multiply-add is fused (relaxed SIMD), 5 otherwise (src/backends/cpu/jobs.ts). */
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;

/** Packs columns [p0, p0 + 8) of B(k, p) = b + k * bsk + p * bsp into k-major rows of 8 (zeros past np). */
function packStrided(dst: usize, b: usize, k: i32, bsk: usize, bsp: usize, p0: i32, np: i32): void {
  for (let kk = 0; kk < k; kk++) {
    const row = b + <usize>kk * bsk;
    for (let j = 0; j < 8; j++) {
      const p = p0 + j;
      store<f32>(dst + <usize>j * 4, p < np ? load<f32>(row + <usize>p * bsp) : 0);
    }
    dst += 32;
  }
}

/**
 * Packs columns [p0, p0 + 8) of the im2col matrix of one image and group: row k = (c, ky, kx) holds
 * X[c, oy * sh - ph + ky * dh, ox * sw - pw + kx * dw] for output pixel p = (oy, ox), zero in the padding.
 * Where the 8 pixels lie in one output row and the stride is 1, a row of the panel is 8 consecutive
 * inputs: copied as two vectors when they are all inside the image. No division in the inner loops.
 */
function packIm2col(dst: usize, x: usize, prm: usize, k: i32, p0: i32, np: i32): void {
  const h = param(prm, 22), w = param(prm, 23), ow = param(prm, 24);
  const kh = param(prm, 25), kw = param(prm, 26), sh = param(prm, 27), sw = param(prm, 28);
  const ph = param(prm, 29), pw = param(prm, 30), dh = param(prm, 31), dw = param(prm, 32);
  const channels = k / (kh * kw);
  const oy0 = p0 / ow, ox0 = p0 - oy0 * ow;
  if (sw == 1 && ox0 + 8 <= ow && p0 + 8 <= np) {
    // One output row: row (c, ky, kx) of the panel is X[c, iy, ix0 .. ix0 + 7].
    const iyBase = oy0 * sh - ph, ixBase = ox0 - pw;
    let plane = x;
    for (let c = 0; c < channels; c++) {
      for (let ky = 0; ky < kh; ky++) {
        const iy = iyBase + ky * dh;
        const inside = <u32>iy < <u32>h;
        const row = plane + <usize>(iy * w) * 4;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ixBase + kx * dw;
          if (inside && ix >= 0 && ix + 8 <= w) {
            const from = row + <usize>ix * 4;
            v128.store(dst, v128.load(from), 0);
            v128.store(dst, v128.load(from, 16), 16);
          } else {
            for (let j = 0; j < 8; j++) {
              const jx = ix + j;
              store<f32>(dst + <usize>j * 4, inside && <u32>jx < <u32>w ? load<f32>(row + <usize>jx * 4) : 0);
            }
          }
          dst += 32;
        }
      }
      plane += <usize>(h * w) * 4;
    }
    return;
  }
  // Anywhere else, pixel by pixel: column j of the panel, rows (c, ky, kx) in order.
  let oy = oy0, ox = ox0;
  for (let j = 0; j < 8; j++) {
    let out = dst + <usize>j * 4;
    if (p0 + j >= np) {
      for (let kk = 0; kk < k; kk++) {
        store<f32>(out, 0);
        out += 32;
      }
      continue;
    }
    const iyBase = oy * sh - ph, ixBase = ox * sw - pw;
    let plane = x;
    for (let c = 0; c < channels; c++) {
      for (let ky = 0; ky < kh; ky++) {
        const iy = iyBase + ky * dh;
        const inside = <u32>iy < <u32>h;
        const row = plane + <usize>(iy * w) * 4;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ixBase + kx * dw;
          store<f32>(out, inside && <u32>ix < <u32>w ? load<f32>(row + <usize>ix * 4) : 0);
          out += 32;
        }
      }
      plane += <usize>(h * w) * 4;
    }
    if (++ox == ow) {
      ox = 0;
      oy++;
    }
  }
}

/**
 * Convolution and fully connected layers as packed GEMM, per image and group: C = A * B + bias with A the
 * packed weights (panels of MR rows: 6, or 5 in the plain-SIMD build; float32, or float16 widened a row
 * tile at a time where word 36 says so) and B read directly (mode 0: contiguous columns, row stride bsk), packed
 * from a strided matrix (mode 1) or packed by im2col (mode 2). Parameters: see src/backends/cpu/jobs.ts.
 * Work items are (image, group, chunk of column panels, block of row tiles), split evenly over threads.
 */
export function f32_conv_gemm_6x8(prm: usize, ith: i32, nth: i32): void {
  const a = <usize>param(prm, 0), b = <usize>param(prm, 1), bias = <usize>param(prm, 2), c = <usize>param(prm, 3);
  const scratch = <usize>param(prm, 4) + <usize>param(prm, 5) * <usize>ith;
  const images = param(prm, 6), groups = param(prm, 7), mg = param(prm, 8), np = param(prm, 9), k = param(prm, 10);
  const mode = param(prm, 11);
  const bsk = <usize>param(prm, 12), bsp = <usize>param(prm, 13), bImage = <usize>param(prm, 14), bGroup = <usize>param(prm, 15);
  const csm = <usize>param(prm, 16), csp = <usize>param(prm, 17), cImage = <usize>param(prm, 18), cGroup = <usize>param(prm, 19);
  const act = param(prm, 20), nb = param(prm, 21), rowBlocks = param(prm, 33), aHalf = param(prm, 36) != 0;
  // Bytes from one panel of 8 columns of C to the next: 8 columns' worth unless word 37 says otherwise.
  const cPanel: usize = param(prm, 37) != 0 ? <usize>param(prm, 37) : 8 * csp;
  // The epilogue's bounds are words 34 and 35 of the block: [0, +inf] for ReLU, Clip's own.
  const bounds: usize = act == 0 ? 0 : prm + 34 * 4;
  const tmp = scratch;
  const packed = scratch + 256;
  // Float16 weights are widened a row tile at a time, after the packed columns.
  const aWide = packed + <usize>(nb * k) * 32;
  const aBytes: usize = aHalf ? 2 : 4;
  const rowTiles = (mg + MR - 1) / MR, panels = (np + 7) / 8, chunks = (panels + nb - 1) / nb;
  const tilesPerBlock = (rowTiles + rowBlocks - 1) / rowBlocks;
  const items = images * groups * chunks * rowBlocks;
  const first = <i32>((<i64>items * ith) / nth), last = <i32>((<i64>items * (ith + 1)) / nth);
  let packedKey = -1;
  for (let item = first; item < last; item++) {
    const block = item % rowBlocks;
    const key = item / rowBlocks;
    const chunk = key % chunks;
    const g = (key / chunks) % groups;
    const n = key / (chunks * groups);
    const bBase = b + <usize>n * bImage + <usize>g * bGroup;
    const panel0 = chunk * nb, panel1 = min(panel0 + nb, panels);
    if (mode != 0 && key != packedKey) {
      for (let q = panel0; q < panel1; q++) {
        const dst = packed + <usize>((q - panel0) * k) * 32;
        if (mode == 1) packStrided(dst, bBase, k, bsk, bsp, q * 8, np);
        else packIm2col(dst, bBase, prm, k, q * 8, np);
      }
      packedKey = key;
    }
    const cBase = c + <usize>n * cImage + <usize>g * cGroup;
    const aGroup = a + <usize>(g * rowTiles * MR) * <usize>k * aBytes;
    const rt1 = min((block + 1) * tilesPerBlock, rowTiles);
    for (let rt = block * tilesPerBlock; rt < rt1; rt++) {
      const m0 = rt * MR;
      const mr = min(MR, mg - m0);
      let aTile = aGroup + <usize>m0 * <usize>k * aBytes;
      if (aHalf) {
        widenHalves(aWide, aTile, MR * k);
        aTile = aWide;
      }
      const biasTile = bias + <usize>(g * mg + m0) * 4;
      for (let q = panel0; q < panel1; q++) {
        const p0 = q * 8;
        const nr = min(8, np - p0);
        const bp = mode == 0 ? bBase + <usize>p0 * 4 : packed + <usize>((q - panel0) * k) * 32;
        const ldb = mode == 0 ? bsk : 32;
        const cTile = cBase + <usize>m0 * csm + <usize>q * cPanel;
        if (MR == 6) f32_gemm_6x8(k, aTile, bp, ldb, biasTile, bounds, cTile, csm, csp, mr, nr, tmp, 0);
        else f32_gemm_5x8(k, aTile, bp, ldb, biasTile, bounds, cTile, csm, csp, mr, nr, tmp, 0);
      }
    }
  }
}

/** Widens n float16 values at `src` to float32 at `dst`, eight at a time. */
function widenHalves(dst: usize, src: usize, n: i32): void {
  const mask = i32x4.splat(0x8fffffff), scale = f32x4.splat(5.192296858534828e33);
  const n8 = n & ~7;
  let i = 0;
  for (; i < n8; i += 8) {
    const h = v128.load(src);
    v128.store(dst, halfToFloat(i32x4.extend_low_i16x8_s(h), mask, scale));
    v128.store(dst, halfToFloat(i32x4.extend_high_i16x8_s(h), mask, scale), 16);
    src += 16;
    dst += 32;
  }
  for (; i < n; i++) {
    store<f32>(dst, halfToFloatScalar(<u32>load<u16>(src)));
    src += 2;
    dst += 4;
  }
}

/**
 * Packs rows r0 .. r0 + MR - 1 of a row-major matrix (rows `rowBytes` apart, float32, or float16 where
 * `half`), columns [k0, k0 + kc), into the k-major groups of MR floats the GEMM reads: four columns at a
 * time, as a 4x4 transpose of the first four rows and lane stores of the rest. Rows past `rows` repeat
 * the last one (computed, never stored).
 */
function packRows(dst: usize, w: usize, rowBytes: usize, r0: i32, rows: i32, k0: i32, kc: i32, half: bool): void {
  const elem: usize = half ? 2 : 4;
  const at = w + <usize>k0 * elem;
  const p0 = at + <usize>r0 * rowBytes;
  const p1 = at + <usize>(r0 + min(1, rows - 1)) * rowBytes;
  const p2 = at + <usize>(r0 + min(2, rows - 1)) * rowBytes;
  const p3 = at + <usize>(r0 + min(3, rows - 1)) * rowBytes;
  const p4 = at + <usize>(r0 + min(4, rows - 1)) * rowBytes;
  const p5 = at + <usize>(r0 + min(5, rows - 1)) * rowBytes;
  const mask = i32x4.splat(0x8fffffff), scale = f32x4.splat(5.192296858534828e33);
  const step: usize = MR * 4;
  const k8 = kc & ~7;
  let kk = 0;
  let off: usize = 0;
  while (kk < k8) {
    if (half) {
      const h0 = v128.load(p0 + off), h1 = v128.load(p1 + off), h2 = v128.load(p2 + off);
      const h3 = v128.load(p3 + off), h4 = v128.load(p4 + off), h5 = MR == 6 ? v128.load(p5 + off) : h4;
      pack4(dst,
        halfToFloat(i32x4.extend_low_i16x8_s(h0), mask, scale), halfToFloat(i32x4.extend_low_i16x8_s(h1), mask, scale),
        halfToFloat(i32x4.extend_low_i16x8_s(h2), mask, scale), halfToFloat(i32x4.extend_low_i16x8_s(h3), mask, scale),
        halfToFloat(i32x4.extend_low_i16x8_s(h4), mask, scale), halfToFloat(i32x4.extend_low_i16x8_s(h5), mask, scale));
      pack4(dst + 4 * step,
        halfToFloat(i32x4.extend_high_i16x8_s(h0), mask, scale), halfToFloat(i32x4.extend_high_i16x8_s(h1), mask, scale),
        halfToFloat(i32x4.extend_high_i16x8_s(h2), mask, scale), halfToFloat(i32x4.extend_high_i16x8_s(h3), mask, scale),
        halfToFloat(i32x4.extend_high_i16x8_s(h4), mask, scale), halfToFloat(i32x4.extend_high_i16x8_s(h5), mask, scale));
      off += 16;
    } else {
      pack4(dst, v128.load(p0 + off), v128.load(p1 + off), v128.load(p2 + off), v128.load(p3 + off), v128.load(p4 + off), v128.load(p5 + off));
      pack4(dst + 4 * step, v128.load(p0 + off, 16), v128.load(p1 + off, 16), v128.load(p2 + off, 16),
        v128.load(p3 + off, 16), v128.load(p4 + off, 16), v128.load(p5 + off, 16));
      off += 32;
    }
    dst += 8 * step;
    kk += 8;
  }
  for (; kk < kc; kk++) {
    for (let i = 0; i < MR; i++) {
      const row = i == 0 ? p0 : i == 1 ? p1 : i == 2 ? p2 : i == 3 ? p3 : i == 4 ? p4 : p5;
      const v = half ? halfToFloatScalar(<u32>load<u16>(row + off)) : load<f32>(row + off);
      store<f32>(dst + <usize>i * 4, v);
    }
    off += elem;
    dst += step;
  }
}

/** Stores four columns of MR rows (row i's four values in vector ri) as four k-major groups of MR floats. */
@inline function pack4(dst: usize, r0: v128, r1: v128, r2: v128, r3: v128, r4: v128, r5: v128): void {
  const step: usize = MR * 4;
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i64x2.shuffle(t0, t1, 0, 2));
  v128.store(dst + step, i64x2.shuffle(t0, t1, 1, 3));
  v128.store(dst + 2 * step, i64x2.shuffle(t2, t3, 0, 2));
  v128.store(dst + 3 * step, i64x2.shuffle(t2, t3, 1, 3));
  if (MR == 6) {
    const u0 = i32x4.shuffle(r4, r5, 0, 4, 1, 5), u1 = i32x4.shuffle(r4, r5, 2, 6, 3, 7);
    v128.store64_lane(dst, u0, 0, 16);
    v128.store64_lane(dst + step, u0, 1, 16);
    v128.store64_lane(dst + 2 * step, u1, 0, 16);
    v128.store64_lane(dst + 3 * step, u1, 1, 16);
  } else {
    v128.store32_lane(dst, r4, 0, 16);
    v128.store32_lane(dst + step, r4, 1, 16);
    v128.store32_lane(dst + 2 * step, r4, 2, 16);
    v128.store32_lane(dst + 3 * step, r4, 3, 16);
  }
}

/**
 * Fully connected layers at batch > 1: Y[p, m] = epilogue(bias[m] + W[m, :] . X[p, :]) with W row-major
 * [M, K], float32 or float16 (widened as it is packed), read from memory once: each thread takes a range
 * of row tiles and walks K in blocks of kc, packing the block of X (every batch item, kept in its L2
 * cache) and then, per row tile, the block of W, which it multiplies with every panel of 8 batch items.
 * A tile's sums go on from its partial sums in Y, in the same order as one unblocked pass. Parameters:
 * 0 W, 1 X, 2 bias, 3 Y, 4 scratch, 5 scratch bytes per thread, 6 M, 7 batch, 8 K, 9 kc (a multiple of 8),
 * 10 W is float16, 11 epilogue (0 none, 1 ReLU, 2 Clip), 12 and 13 the epilogue's bounds (f32).
 */
export function f32_fc_gemm(prm: usize, ith: i32, nth: i32): void {
  const w = <usize>param(prm, 0), x = <usize>param(prm, 1), bias = <usize>param(prm, 2), y = <usize>param(prm, 3);
  const scratch = <usize>param(prm, 4) + <usize>param(prm, 5) * <usize>ith;
  const m = param(prm, 6), np = param(prm, 7), k = param(prm, 8), kc = param(prm, 9), half = param(prm, 10) != 0;
  const bounds: usize = param(prm, 11) == 0 ? 0 : prm + 12 * 4;
  const tmp = scratch, aPacked = scratch + 256, bPacked = aPacked + <usize>(MR * kc) * 4;
  const rowTiles = (m + MR - 1) / MR, panels = (np + 7) / 8;
  const rt0 = <i32>((<i64>rowTiles * ith) / nth), rt1 = <i32>((<i64>rowTiles * (ith + 1)) / nth);
  const rowBytes = <usize>k * (half ? 2 : 4), csp = <usize>m * 4;
  for (let k0 = 0; k0 < k; k0 += kc) {
    const kb = min(kc, k - k0);
    const last = k0 + kb == k;
    for (let q = 0; q < panels; q++) packStrided(bPacked + <usize>(q * kb) * 32, x + <usize>k0 * 4, kb, 4, <usize>k * 4, q * 8, np);
    for (let rt = rt0; rt < rt1; rt++) {
      const m0 = rt * MR;
      const mr = min(MR, m - m0);
      packRows(aPacked, w, rowBytes, m0, m - m0, k0, kb, half);
      for (let q = 0; q < panels; q++) {
        const p0 = q * 8;
        const nr = min(8, np - p0);
        const c = y + <usize>m0 * 4 + <usize>p0 * csp;
        if (k0 > 0) {
          for (let i = 0; i < mr; i++) {
            for (let j = 0; j < nr; j++) store<f32>(tmp + <usize>(i * 32 + j * 4), load<f32>(c + <usize>i * 4 + <usize>j * csp));
          }
        }
        const init = k0 > 0 ? tmp : 0;
        const bp = bPacked + <usize>(q * kb) * 32;
        if (MR == 6) f32_gemm_6x8(kb, aPacked, bp, 32, bias + <usize>m0 * 4, last ? bounds : 0, c, 4, csp, mr, nr, tmp, init);
        else f32_gemm_5x8(kb, aPacked, bp, 32, bias + <usize>m0 * 4, last ? bounds : 0, c, 4, csp, mr, nr, tmp, init);
      }
    }
  }
}

/**
 * f32_gemv_4x4: y[m] = epilogue(bias[m] + W[m, :] . x) for row-major W [M, K]: the fully connected layers
 * at batch 1, bound by reading W. Four rows at a time, each in four lanes summed in a fixed order.
 * Parameters: 0 W, 1 x, 2 bias, 3 y, 4 M, 5 K, 6 epilogue (0 none, 1 ReLU, 2 Clip), 7 and 8 Clip's bounds (f32).
 */
export function f32_gemv_4x4(prm: usize, ith: i32, nth: i32): void {
  const w = <usize>param(prm, 0), x = <usize>param(prm, 1), bias = <usize>param(prm, 2), y = <usize>param(prm, 3);
  const m = param(prm, 4), k = param(prm, 5), act = param(prm, 6);
  const quads = (m + 3) / 4;
  const q0 = <i32>((<i64>quads * ith) / nth), q1 = <i32>((<i64>quads * (ith + 1)) / nth);
  const k4 = k & ~3;
  const rowBytes = <usize>k * 4;
  for (let q = q0; q < q1; q++) {
    const r0 = q * 4;
    const rows = min(4, m - r0);
    // Rows past the end repeat the last row: computed, never stored.
    const w0 = w + <usize>r0 * rowBytes;
    const w1 = w + <usize>(r0 + min(1, rows - 1)) * rowBytes;
    const w2 = w + <usize>(r0 + min(2, rows - 1)) * rowBytes;
    const w3 = w + <usize>(r0 + min(3, rows - 1)) * rowBytes;
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    let off: usize = 0;
    const end = <usize>k4 * 4;
    while (off < end) {
      const xv = v128.load(x + off);
      a0 = madd(v128.load(w0 + off), xv, a0);
      a1 = madd(v128.load(w1 + off), xv, a1);
      a2 = madd(v128.load(w2 + off), xv, a2);
      a3 = madd(v128.load(w3 + off), xv, a3);
      off += 16;
    }
    for (let r = 0; r < rows; r++) {
      const acc = r == 0 ? a0 : r == 1 ? a1 : r == 2 ? a2 : a3;
      const wr = r == 0 ? w0 : r == 1 ? w1 : r == 2 ? w2 : w3;
      let s: f32 = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
      for (let kk = k4; kk < k; kk++) s += load<f32>(wr + <usize>kk * 4) * load<f32>(x + <usize>kk * 4);
      s += load<f32>(bias + <usize>(r0 + r) * 4);
      if (act == 1) s = max(s, <f32>0);
      else if (act == 2) s = min(max(s, reinterpret<f32>(param(prm, 7))), reinterpret<f32>(param(prm, 8)));
      store<f32>(y + <usize>(r0 + r) * 4, s);
    }
  }
}

/**
 * Widens four float16 bit patterns, sign-extended to 32 bits, to float32, exactly for zeros, subnormals
 * and normals, in three operations: a shift left by 13 moves the exponent and mantissa into float32's
 * places and the sign to bit 31 (its copies in bits 28 to 30 are masked off); the result reads as a
 * float 2^-112 times too small (a subnormal one for subnormal halves), and one multiply by 2^112
 * rescales it, keeping the sign. (Infinities and NaNs, which weights do not hold, come out as large
 * finite values.)
 */
@inline function halfToFloat(h: v128, mask: v128, scale: v128): v128 {
  return f32x4.mul(v128.and(i32x4.shl(h, 13), mask), scale);
}

@inline function halfToFloatScalar(h: u32): f32 {
  const magnitude = reinterpret<f32>((h & 0x7fff) << 13) * <f32>5.192296858534828e33;
  return reinterpret<f32>(reinterpret<u32>(magnitude) | ((h & 0x8000) << 16));
}

/**
 * f16_gemv_4x4: f32_gemv_4x4 with W stored as float16 (half the bytes to read, which is what bounds
 * the layer), widened in registers, the products summed in float32 in the same fixed order.
 * Parameters: 0 W (u16), 1 x, 2 bias, 3 y, 4 M, 5 K, 6 epilogue, 7 and 8 Clip's bounds.
 */
export function f16_gemv_4x4(prm: usize, ith: i32, nth: i32): void {
  const w = <usize>param(prm, 0), x = <usize>param(prm, 1), bias = <usize>param(prm, 2), y = <usize>param(prm, 3);
  const m = param(prm, 4), k = param(prm, 5), act = param(prm, 6);
  const quads = (m + 3) / 4;
  const q0 = <i32>((<i64>quads * ith) / nth), q1 = <i32>((<i64>quads * (ith + 1)) / nth);
  const k8 = k & ~7;
  const rowBytes = <usize>k * 2;
  for (let q = q0; q < q1; q++) {
    const r0 = q * 4;
    const rows = min(4, m - r0);
    const w0 = w + <usize>r0 * rowBytes;
    const w1 = w + <usize>(r0 + min(1, rows - 1)) * rowBytes;
    const w2 = w + <usize>(r0 + min(2, rows - 1)) * rowBytes;
    const w3 = w + <usize>(r0 + min(3, rows - 1)) * rowBytes;
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    const mask = i32x4.splat(0x8fffffff), scale = f32x4.splat(5.192296858534828e33);
    let off: usize = 0;
    const end = <usize>k8 * 2;
    while (off < end) {
      const xl = v128.load(x + off * 2), xh = v128.load(x + off * 2 + 16);
      let h = v128.load(w0 + off);
      a0 = madd(halfToFloat(i32x4.extend_low_i16x8_s(h), mask, scale), xl, a0);
      a0 = madd(halfToFloat(i32x4.extend_high_i16x8_s(h), mask, scale), xh, a0);
      h = v128.load(w1 + off);
      a1 = madd(halfToFloat(i32x4.extend_low_i16x8_s(h), mask, scale), xl, a1);
      a1 = madd(halfToFloat(i32x4.extend_high_i16x8_s(h), mask, scale), xh, a1);
      h = v128.load(w2 + off);
      a2 = madd(halfToFloat(i32x4.extend_low_i16x8_s(h), mask, scale), xl, a2);
      a2 = madd(halfToFloat(i32x4.extend_high_i16x8_s(h), mask, scale), xh, a2);
      h = v128.load(w3 + off);
      a3 = madd(halfToFloat(i32x4.extend_low_i16x8_s(h), mask, scale), xl, a3);
      a3 = madd(halfToFloat(i32x4.extend_high_i16x8_s(h), mask, scale), xh, a3);
      off += 16;
    }
    for (let r = 0; r < rows; r++) {
      const acc = r == 0 ? a0 : r == 1 ? a1 : r == 2 ? a2 : a3;
      const wr = r == 0 ? w0 : r == 1 ? w1 : r == 2 ? w2 : w3;
      let s: f32 = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
      for (let kk = k8; kk < k; kk++) s += halfToFloatScalar(<u32>load<u16>(wr + <usize>kk * 2)) * load<f32>(x + <usize>kk * 4);
      s += load<f32>(bias + <usize>(r0 + r) * 4);
      if (act == 1) s = max(s, <f32>0);
      else if (act == 2) s = min(max(s, reinterpret<f32>(param(prm, 7))), reinterpret<f32>(param(prm, 8)));
      store<f32>(y + <usize>(r0 + r) * 4, s);
    }
  }
}

/**
 * 2-D pooling of NCHW planes, one output row at a time: the window's input rows are reduced column by
 * column into a row padded on both sides (max: -inf, so padding never wins; average: 0), then each
 * window's columns are reduced along that row in kernel order. The average divides by the taps inside the
 * input (count_include_pad 0) or inside the input and its padding, never a ceil-mode overhang (1).
 * Work items are (plane, output row). Parameters: 0 x, 1 y, 2 scratch, 3 scratch bytes per thread,
 * 4 planes, 5 ih, 6 iw, 7 oh, 8 ow, 9 kh, 10 kw, 11 sh, 12 sw, 13-16 pads top, left, bottom, right,
 * 17 padded row width, 18 count_include_pad.
 */
@inline function pool2d(prm: usize, ith: i32, nth: i32, isMax: bool): void {
  const x = <usize>param(prm, 0), y = <usize>param(prm, 1);
  const tp = <usize>param(prm, 2) + <usize>param(prm, 3) * <usize>ith;
  const planes = param(prm, 4), ih = param(prm, 5), iw = param(prm, 6), oh = param(prm, 7), ow = param(prm, 8);
  const kh = param(prm, 9), kw = param(prm, 10), sh = param(prm, 11), sw = param(prm, 12);
  const pt = param(prm, 13), pl = param(prm, 14), pb = param(prm, 15), pr = param(prm, 16), tw = param(prm, 17);
  const includePad = param(prm, 18);
  const fill: f32 = isMax ? -Infinity : 0;
  const items = planes * oh;
  const first = <i32>((<i64>items * ith) / nth), last = <i32>((<i64>items * (ith + 1)) / nth);
  // The padding columns of the row never change.
  for (let j = 0; j < pl; j++) store<f32>(tp + <usize>j * 4, fill);
  for (let j = pl + iw; j < tw; j++) store<f32>(tp + <usize>j * 4, fill);
  const row = tp + <usize>pl * 4;
  const rowBytes = <usize>iw * 4;
  for (let item = first; item < last; item++) {
    const p = item / oh, oy = item - p * oh;
    const y0 = oy * sh - pt;
    const r0 = max(y0, 0), r1 = min(y0 + kh, ih);
    const src = x + <usize>p * <usize>ih * rowBytes;
    if (r1 <= r0) {
      for (let j = 0; j < iw; j++) store<f32>(row + <usize>j * 4, fill);
    } else {
      // The first row is read in place, not copied: a call to memory.copy costs more than a short row.
      let acc = src + <usize>r0 * rowBytes;
      if (r1 - r0 == 1) {
        let j = 0;
        for (; j + 4 <= iw; j += 4) v128.store(row + <usize>j * 4, v128.load(acc + <usize>j * 4));
        for (; j < iw; j++) store<f32>(row + <usize>j * 4, load<f32>(acc + <usize>j * 4));
      }
      for (let r = r0 + 1; r < r1; r++) {
        const s = src + <usize>r * rowBytes;
        let j = 0;
        for (; j + 4 <= iw; j += 4) {
          const a = v128.load(acc + <usize>j * 4), b = v128.load(s + <usize>j * 4);
          v128.store(row + <usize>j * 4, isMax ? f32x4.max(a, b) : f32x4.add(a, b));
        }
        for (; j < iw; j++) {
          const a = load<f32>(acc + <usize>j * 4), b = load<f32>(s + <usize>j * 4);
          store<f32>(row + <usize>j * 4, isMax ? max<f32>(a, b) : a + b);
        }
        acc = row;
      }
    }
    const out = y + <usize>item * <usize>ow * 4;
    let ox = 0;
    if (sw == 1) {
      for (; ox + 4 <= ow; ox += 4) {
        let acc = v128.load(tp + <usize>ox * 4);
        for (let k = 1; k < kw; k++) {
          const b = v128.load(tp + <usize>(ox + k) * 4);
          acc = isMax ? f32x4.max(acc, b) : f32x4.add(acc, b);
        }
        v128.store(out + <usize>ox * 4, acc);
      }
    } else if (sw == 2) {
      // Four outputs from the even lanes of two vectors per tap, while both vectors lie in the row.
      for (; ox + 4 <= ow && 2 * ox + 7 + kw <= tw; ox += 4) {
        const t = tp + <usize>(2 * ox) * 4;
        let acc = i32x4.shuffle(v128.load(t), v128.load(t, 16), 0, 2, 4, 6);
        for (let k = 1; k < kw; k++) {
          const at = t + <usize>k * 4;
          const b = i32x4.shuffle(v128.load(at), v128.load(at, 16), 0, 2, 4, 6);
          acc = isMax ? f32x4.max(acc, b) : f32x4.add(acc, b);
        }
        v128.store(out + <usize>ox * 4, acc);
      }
    }
    for (; ox < ow; ox++) {
      const t = tp + <usize>(ox * sw) * 4;
      let acc = load<f32>(t);
      for (let k = 1; k < kw; k++) {
        const b = load<f32>(t + <usize>k * 4);
        acc = isMax ? max<f32>(acc, b) : acc + b;
      }
      store<f32>(out + <usize>ox * 4, acc);
    }
    if (!isMax) {
      const rows = includePad ? min(y0 + kh, ih + pb) - y0 : r1 - r0;
      for (ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - pl;
        const cols = includePad ? min(x0 + kw, iw + pr) - x0 : min(x0 + kw, iw) - max(x0, 0);
        store<f32>(out + <usize>ox * 4, load<f32>(out + <usize>ox * 4) / <f32>(rows * cols));
      }
    }
  }
}

/** f32_maxpool2d__simd128: 2-D MaxPool of NCHW planes (see pool2d). */
export function f32_maxpool2d__simd128(prm: usize, ith: i32, nth: i32): void {
  pool2d(prm, ith, nth, true);
}

/** f32_avgpool2d__simd128: 2-D AveragePool of NCHW planes (see pool2d). */
export function f32_avgpool2d__simd128(prm: usize, ith: i32, nth: i32): void {
  pool2d(prm, ith, nth, false);
}

/**
 * f32_lrn__simd128: LRN across the channels of NCHW: y = x / (bias + scale * sum of x^2 over channels
 * c - below .. c + above)^beta, four positions at a time, each sum in channel order. beta 0.75 (every Caffe
 * network) takes b^0.75 as sqrt(b) * sqrt(sqrt(b)) (correctly rounded square roots); any other beta an f64
 * pow per element. Work items are (image, channel) planes. Parameters: 0 x, 1 y, 2 images, 3 channels,
 * 4 plane (elements), 5 below, 6 above, 7 scale, 8 bias, 9 beta (7-9 f32 bits).
 */
export function f32_lrn__simd128(prm: usize, ith: i32, nth: i32): void {
  const x = <usize>param(prm, 0), y = <usize>param(prm, 1);
  const images = param(prm, 2), channels = param(prm, 3), plane = param(prm, 4), below = param(prm, 5), above = param(prm, 6);
  const scale = load<f32>(prm + 28), bias = load<f32>(prm + 32), beta = load<f32>(prm + 36);
  const planeBytes = <usize>plane * 4;
  const items = images * channels;
  const first = <i32>((<i64>items * ith) / nth), last = <i32>((<i64>items * (ith + 1)) / nth);
  const fast = beta == 0.75;
  const scalev = f32x4.splat(scale), biasv = f32x4.splat(bias);
  for (let item = first; item < last; item++) {
    const n = item / channels, c = item - n * channels;
    const k0 = max(c - below, 0), k1 = min(c + above, channels - 1);
    const xk = x + <usize>(n * channels + k0) * planeBytes;
    const xc = x + <usize>item * planeBytes, yc = y + <usize>item * planeBytes;
    let s = 0;
    if (fast) {
      for (; s + 4 <= plane; s += 4) {
        let sq = f32x4.splat(0);
        let at = xk + <usize>s * 4;
        for (let k = k0; k <= k1; k++) {
          const v = v128.load(at);
          sq = f32x4.add(sq, f32x4.mul(v, v));
          at += planeBytes;
        }
        const r = f32x4.sqrt(f32x4.add(biasv, f32x4.mul(scalev, sq)));
        v128.store(yc + <usize>s * 4, f32x4.div(v128.load(xc + <usize>s * 4), f32x4.mul(r, f32x4.sqrt(r))));
      }
    }
    for (; s < plane; s++) {
      let sq: f32 = 0;
      let at = xk + <usize>s * 4;
      for (let k = k0; k <= k1; k++) {
        const v = load<f32>(at);
        sq = sq + v * v;
        at += planeBytes;
      }
      const b = bias + scale * sq;
      let d: f32;
      if (fast) {
        const r = Mathf.sqrt(b);
        d = r * Mathf.sqrt(r);
      } else {
        d = <f32>Math.pow(<f64>b, <f64>beta);
      }
      store<f32>(yc + <usize>s * 4, load<f32>(xc + <usize>s * 4) / d);
    }
  }
}

/**
 * f32_concat: Concat as copies. Row o of the output is the rows o of the inputs side by side; the output's
 * elements are split evenly over threads and each copies the parts of the inputs that land in its share.
 * Parameters: 0 y, 1 outer rows, 2 output row bytes, 3 inputs, then per input: source, row bytes, offset
 * of its block in the output row.
 */
export function f32_concat(prm: usize, ith: i32, nth: i32): void {
  const y = <usize>param(prm, 0), outer = param(prm, 1), rowBytes = <i64>param(prm, 2), count = param(prm, 3);
  const total = (<i64>outer * rowBytes) >> 2;
  const lo = ((total * ith) / nth) << 2, hi = ((total * (ith + 1)) / nth) << 2;
  for (let o = 0; o < outer; o++) {
    const rowStart = <i64>o * rowBytes;
    if (rowStart >= hi || rowStart + rowBytes <= lo) continue;
    for (let i = 0; i < count; i++) {
      const src = <usize>param(prm, 4 + 3 * i), bytes = <i64>param(prm, 5 + 3 * i), offset = <i64>param(prm, 6 + 3 * i);
      const a = max(rowStart + offset, lo), b = min(rowStart + offset + bytes, hi);
      if (a >= b) continue;
      memory.copy(y + <usize>a, src + <usize>(<i64>o * bytes + a - rowStart - offset), <usize>(b - a));
    }
  }
}

// Winograd F(m x m, r x r) for convolutions with unit strides and dilations (windows of alpha = m + r - 1):
// Y = A^T [U . V] A per tile, with U = G g G^T the weights transformed at prepare, V = B^T d B the input
// windows transformed by f32_winograd_input__simd128, the products summed over channels by
// f32_conv_gemm_6x8 (one GEMM per window position) and A^T M A taken by f32_winograd_output__simd128.
// B^T and A^T are applied by winogradBT and winogradAT, straight-line code generated per variant from its
// interpolation points (winograd-emit.ts appends it to this source); a parameter picks the variant.

/** Copies n floats; on short rows a loop beats a call to memory.copy. */
@inline function copyFloats(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + <usize>j * 4, v128.load(src + <usize>j * 4));
  for (; j < n; j++) store<f32>(dst + <usize>j * 4, load<f32>(src + <usize>j * 4));
}

/** Zeroes n floats; on short rows a loop beats a call to memory.fill. */
@inline function zeroFloats(dst: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + <usize>j * 4, zero);
  for (; j < n; j++) store<f32>(dst + <usize>j * 4, 0);
}

/** Lanes p, p + step, p + 2 step and p + 3 step: the same column of four neighbouring tiles. */
@inline function gather4(p: usize, step: usize): v128 {
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + step));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * step));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * step));
}

/** Stores the transpose of the 4x4 matrix whose rows are a, b, c and d: its rows 0 .. count-1 at dst, dst + ds, ... */
@inline function storeTransposed(a: v128, b: v128, c: v128, d: v128, dst: usize, ds: usize, count: i32): void {
  const ab0 = i32x4.shuffle(a, b, 0, 4, 1, 5), ab1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const cd0 = i32x4.shuffle(c, d, 0, 4, 1, 5), cd1 = i32x4.shuffle(c, d, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(ab0, cd0, 0, 1, 4, 5));
  if (count > 1) v128.store(dst + ds, i32x4.shuffle(ab0, cd0, 2, 3, 6, 7));
  if (count > 2) v128.store(dst + 2 * ds, i32x4.shuffle(ab1, cd1, 0, 1, 4, 5));
  if (count > 3) v128.store(dst + 3 * ds, i32x4.shuffle(ab1, cd1, 2, 3, 6, 7));
}

/**
 * g[s] (16 bytes apart) = lanes src[s], src[m + s], src[2m + s], src[3m + s] for s < alpha: column s of
 * four neighbouring tiles m floats apart. Tiles of 2 and 4 are read as vectors and shuffled; the row
 * must be readable 16 bytes past the last tile's window (the input transform's rows are padded to it).
 */
@inline function gatherTiles(src: usize, m: i32, alpha: i32, g: usize): void {
  if (m == 4) {
    const v0 = v128.load(src), v1 = v128.load(src, 16), v2 = v128.load(src, 32), v3 = v128.load(src, 48), v4 = v128.load(src, 64);
    storeTransposed(v0, v1, v2, v3, g, 16, 4);
    storeTransposed(v1, v2, v3, v4, g + 64, 16, alpha - 4);
  } else if (m == 2) {
    for (let s = 0; s < alpha; s++) {
      const at = src + <usize>s * 4;
      v128.store(g + <usize>s * 16, i32x4.shuffle(v128.load(at), v128.load(at, 16), 0, 2, 4, 6));
    }
  } else {
    for (let s = 0; s < alpha; s++) v128.store(g + <usize>s * 16, gather4(src + <usize>s * 4, <usize>m * 4));
  }
}

/**
 * f32_winograd_input__simd128: V[xi * alpha + nu][c][t] = (B^T d B)[xi][nu] for the alpha x alpha window d of
 * channel c that tile t reads (zero outside the input); tiles t run over the images of the job, row-major
 * within each image. Work items are (image, channel, tile row): the window's alpha input rows are copied
 * into zero-padded rows, combined by B^T down the rows four columns at a time, then across the columns four
 * tiles at a time. Parameters: 0 x, 1 V, 2 scratch, 3 scratch bytes per thread, 4 images, 5 channels, 6 h,
 * 7 w, 8 pad top, 9 pad left, 10 tile rows, 11 tile columns, 12 V's row stride (floats), 13 m, 14 padded
 * row width (floats, a multiple of 4, at least pad left + w and the columns of four tiles past the last),
 * 15 alpha, 16 variant (its index in winogradVariants), 17 the first tile row (a pass may cover only some
 * of an image's tile rows, `tile rows` of them, from this one).
 */
export function f32_winograd_input__simd128(prm: usize, ith: i32, nth: i32): void {
  const x = <usize>param(prm, 0), v = <usize>param(prm, 1);
  const tp = <usize>param(prm, 2) + <usize>param(prm, 3) * <usize>ith;
  const images = param(prm, 4), channels = param(prm, 5), h = param(prm, 6), w = param(prm, 7);
  const pt = param(prm, 8), pl = param(prm, 9), th = param(prm, 10), tw = param(prm, 11);
  const ldv = <usize>param(prm, 12), m = param(prm, 13), rw = param(prm, 14);
  const alpha = param(prm, 15), variant = param(prm, 16), ty0 = param(prm, 17);
  const rowBytes = <usize>rw * 4;
  const d = tp, e = tp + <usize>alpha * rowBytes, g = e + <usize>alpha * rowBytes, gt = g + <usize>alpha * 16;
  const posStride = <usize>channels * ldv * 4;
  const items = images * channels * th;
  const first = <i32>((<i64>items * ith) / nth), last = <i32>((<i64>items * (ith + 1)) / nth);
  for (let item = first; item < last; item++) {
    const ty = item % th, nc = item / th;
    const c = nc % channels, n = nc / channels;
    const plane = x + <usize>nc * <usize>(h * w) * 4;
    for (let r = 0; r < alpha; r++) {
      const row = d + <usize>r * rowBytes;
      const iy = (ty0 + ty) * m - pt + r;
      if (<u32>iy < <u32>h) {
        zeroFloats(row, pl);
        copyFloats(row + <usize>pl * 4, plane + <usize>(iy * w) * 4, w);
        zeroFloats(row + <usize>(pl + w) * 4, rw - pl - w);
      } else {
        zeroFloats(row, rw);
      }
    }
    // Down the rows, four columns at a time: e_xi = sum over r of B^T[xi][r] d_r.
    for (let col: usize = 0; col < rowBytes; col += 16) winogradBT(variant, d + col, rowBytes, e + col, rowBytes);
    // Across the columns, four tiles at a time: V[xi][nu] = sum over s of B^T[nu][s] e_xi[tile * m + s].
    const tileBytes = <usize>m * 4;
    const vRow = v + <usize>c * ldv * 4 + <usize>(n * th * tw + ty * tw) * 4;
    for (let tx = 0; tx < tw; tx += 4) {
      const lanes = min(4, tw - tx);
      for (let xi = 0; xi < alpha; xi++) {
        const src = e + <usize>xi * rowBytes + <usize>tx * tileBytes;
        gatherTiles(src, m, alpha, g);
        const dst = vRow + <usize>(xi * alpha) * posStride + <usize>tx * 4;
        if (lanes == 4) {
          winogradBT(variant, g, 16, dst, posStride);
          continue;
        }
        winogradBT(variant, g, 16, gt, 16);
        for (let nu = 0; nu < alpha; nu++) {
          for (let j = 0; j < lanes; j++) store<f32>(dst + <usize>nu * posStride + <usize>j * 4, load<f32>(gt + <usize>(nu * 16 + j * 4)));
        }
      }
    }
  }
}

/**
 * f32_winograd_output__simd128: Y[n][o][ty * m + u][tx * m + v] = epilogue(bias[o] + (A^T M A)[u][v]), with
 * the GEMMs' sums M laid out per output channel o and block of 8 tiles, positions inside: M(xi * alpha +
 * nu, o, t) at ((o * ld / 8 + t / 8) * alpha^2 + xi * alpha + nu) * 8 + t % 8 floats, so that the work item
 * (o, four tiles) reads one contiguous run (where [position][o][t] had it read alpha^2 runs far apart, more
 * streams than the hardware prefetches). Tiles t run over the pass's images and tile rows, row-major;
 * outputs are cropped at the right and bottom edges. Parameters: 0 M, 1 y, 2 bias, 3 scratch, 4 scratch
 * bytes per thread, 5 images, 6 output channels, 7 oh, 8 ow, 9 tile rows, 10 tile columns, 11 ld (tiles
 * rounded up to 8), 12 m, 13 epilogue (0 none, 1 ReLU, 2 Clip), 14 and 15 Clip's bounds (f32), 16 alpha,
 * 17 variant (its index in winogradVariants), 18 bytes from one image of y to the next (more than its own
 * size where the layer writes its slice of a Concat's output), 19 the first tile row of the pass.
 */
export function f32_winograd_output__simd128(prm: usize, ith: i32, nth: i32): void {
  const mb = <usize>param(prm, 0), y = <usize>param(prm, 1), bias = <usize>param(prm, 2);
  const sp = <usize>param(prm, 3) + <usize>param(prm, 4) * <usize>ith;
  const images = param(prm, 5), outc = param(prm, 6), oh = param(prm, 7), ow = param(prm, 8);
  const th = param(prm, 9), tw = param(prm, 10), ld = param(prm, 11), m = param(prm, 12);
  const act = param(prm, 13);
  const lo = reinterpret<f32>(param(prm, 14)), hi = reinterpret<f32>(param(prm, 15));
  const alpha = param(prm, 16), variant = param(prm, 17), yImage = <usize>param(prm, 18), ty0 = param(prm, 19);
  const sq = sp + <usize>(m * alpha) * 16;
  const blockBytes = <usize>(alpha * alpha) * 32;
  const channelBytes = <usize>(ld >> 3) * blockBytes;
  const planeBytes = <usize>(oh * ow) * 4;
  const tilesPerImage = th * tw, tiles = images * tilesPerImage, quads = (tiles + 3) >> 2;
  const lov = f32x4.splat(lo), hiv = f32x4.splat(hi), zero = f32x4.splat(0);
  const items = outc * quads;
  const first = <i32>((<i64>items * ith) / nth), last = <i32>((<i64>items * (ith + 1)) / nth);
  for (let item = first; item < last; item++) {
    const o = item / quads;
    const t0 = (item - o * quads) << 2;
    const base = mb + <usize>o * channelBytes + <usize>(t0 >> 3) * blockBytes + <usize>(t0 & 7) * 4;
    // Down the rows: s[u][nu] = sum over xi of A^T[u][xi] M[xi][nu]; lane j is tile t0 + j.
    for (let nu = 0; nu < alpha; nu++) winogradAT(variant, base + <usize>nu * 32, <usize>alpha * 32, sp + <usize>nu * 16, <usize>alpha * 16);
    const b = f32x4.splat(load<f32>(bias + <usize>o * 4));
    const n = t0 / tilesPerImage, within = t0 - n * tilesPerImage;
    const ty = within / tw, tx = within - ty * tw;
    const plane = y + <usize>n * yImage + <usize>o * planeBytes;
    if (t0 + 4 <= tiles && tx + 4 <= tw && (tx + 4) * m <= ow && (m == 4 || m == 2)) {
      // Four whole tiles of one tile row: each output row's 4m values are the transpose of the m vectors.
      const rows = min(m, oh - (ty0 + ty) * m);
      for (let u = 0; u < rows; u++) {
        winogradAT(variant, sp + <usize>(u * alpha) * 16, 16, sq, 16);
        let a0 = f32x4.add(v128.load(sq), b), a1 = f32x4.add(v128.load(sq, 16), b);
        let a2 = m == 4 ? f32x4.add(v128.load(sq, 32), b) : zero, a3 = m == 4 ? f32x4.add(v128.load(sq, 48), b) : zero;
        if (act == 1) {
          a0 = f32x4.max(a0, zero); a1 = f32x4.max(a1, zero); a2 = f32x4.max(a2, zero); a3 = f32x4.max(a3, zero);
        } else if (act == 2) {
          a0 = f32x4.min(f32x4.max(a0, lov), hiv); a1 = f32x4.min(f32x4.max(a1, lov), hiv);
          a2 = f32x4.min(f32x4.max(a2, lov), hiv); a3 = f32x4.min(f32x4.max(a3, lov), hiv);
        }
        const dst = plane + <usize>((((ty0 + ty) * m + u) * ow + tx * m) * 4);
        if (m == 4) {
          storeTransposed(a0, a1, a2, a3, dst, 16, 4);
        } else {
          v128.store(dst, i32x4.shuffle(a0, a1, 0, 4, 1, 5));
          v128.store(dst, i32x4.shuffle(a0, a1, 2, 6, 3, 7), 16);
        }
      }
      continue;
    }
    // Anywhere else (the edges, four tiles across two tile rows or images), tile by tile.
    const blo = load<f32>(bias + <usize>o * 4);
    for (let u = 0; u < m; u++) {
      winogradAT(variant, sp + <usize>(u * alpha) * 16, 16, sq, 16);
      for (let j = 0; j < 4 && t0 + j < tiles; j++) {
        const t = t0 + j;
        const nj = t / tilesPerImage, wj = t - nj * tilesPerImage;
        const tyj = wj / tw, txj = wj - tyj * tw;
        const oy = (ty0 + tyj) * m + u;
        if (oy >= oh) continue;
        const row = y + <usize>nj * yImage + <usize>o * planeBytes + <usize>(oy * ow) * 4;
        for (let v = 0; v < m; v++) {
          const ox = txj * m + v;
          if (ox >= ow) break;
          let s = load<f32>(sq + <usize>(v * 16 + j * 4)) + blo;
          if (act == 1) s = max(s, <f32>0);
          else if (act == 2) s = min(max(s, lo), hi);
          store<f32>(row + <usize>ox * 4, s);
        }
      }
    }
  }
}

/**
 * f32_space_to_depth: z[n][(c * sh + py) * sw + px][i][j] = x[n][c][i * sh + py - pt][j * sw + px - pl], zero
 * outside x. A convolution with strides sh, sw over x is a convolution with unit strides over z, with
 * sh * sw times the channels and a kernel ceil(kh / sh) x ceil(kw / sw), which Winograd can run. Work items
 * are rows of z. Parameters: 0 x, 1 z, 2 images, 3 channels, 4 h, 5 w, 6 sh, 7 sw, 8 pad top, 9 pad left,
 * 10 z's height, 11 z's width.
 */
export function f32_space_to_depth(prm: usize, ith: i32, nth: i32): void {
  const x = <usize>param(prm, 0), z = <usize>param(prm, 1);
  const images = param(prm, 2), channels = param(prm, 3), h = param(prm, 4), w = param(prm, 5);
  const sh = param(prm, 6), sw = param(prm, 7), pt = param(prm, 8), pl = param(prm, 9);
  const zh = param(prm, 10), zw = param(prm, 11);
  const items = images * channels * sh * sw * zh;
  const first = <i32>((<i64>items * ith) / nth), last = <i32>((<i64>items * (ith + 1)) / nth);
  for (let item = first; item < last; item++) {
    const i = item % zh, plane = item / zh;
    const px = plane % sw, py = (plane / sw) % sh, nc = plane / (sw * sh);
    const dst = z + <usize>item * <usize>zw * 4;
    const iy = i * sh + py - pt;
    if (<u32>iy >= <u32>h) {
      memory.fill(dst, 0, <usize>zw * 4);
      continue;
    }
    const src = x + (<usize>nc * <usize>h + <usize>iy) * <usize>w * 4;
    // The columns j whose source px - pl + j * sw lies in [0, w).
    const j0 = min(zw, max(0, (pl - px + sw - 1) / sw));
    const lastSource = w - 1 - px + pl;
    const j1 = lastSource < 0 ? j0 : max(j0, min(zw, lastSource / sw + 1));
    memory.fill(dst, 0, <usize>j0 * 4);
    let s = src + <usize>(j0 * sw + px - pl) * 4;
    const step = <usize>sw * 4;
    for (let j = j0; j < j1; j++) {
      store<f32>(dst + <usize>j * 4, load<f32>(s));
      s += step;
    }
    memory.fill(dst + <usize>j1 * 4, 0, <usize>(zw - j1) * 4);
  }
}

// FFT convolution for unit-stride convolutions (overlap-save over n x n tiles, n = 16 or 32): each tile
// of the input is taken to the frequency domain by a real 2-D FFT (f32_fft_input__simd128), the products
// with the transformed weights are summed over channels as one complex GEMM per frequency bin (run by
// f32_conv_gemm_6x8 as a real GEMM over [Re; Im] with the weights as [[Re, -Im], [Im, Re]]), and the
// inverse FFT (f32_fft_output__simd128) keeps the outputs that did not wrap around. The bins of a tile are
// those of rows ky = 0 .. n/2 of the spectrum, kx = 0 .. n/2 for the real rows ky = 0 and n/2 (the rest
// is their conjugate) and kx = 0 .. n-1 for the others: n^2/2 + 2 bins, stored as complex, the imaginary
// parts of the four real ones zero. The FFTs are generated by wasm/fft-emit.ts.

/** The index of bin (ky, kx) among a tile's bins. */
@inline function fftBin(n: i32, ky: i32, kx: i32): i32 {
  if (ky == 0) return kx;
  return (n >> 1) + 1 + (ky - 1) * n + kx;
}

/**
 * Writes a complex vector pair to a bin (Re at dst, Im `part` bytes further): whole vectors where all four
 * lanes are tiles of the job, lane by lane otherwise.
 */
@inline function putBin(dst: usize, part: usize, re: v128, im: v128, lanes: i32): void {
  if (lanes == 4) {
    v128.store(dst, re);
    v128.store(dst + part, im);
    return;
  }
  for (let j = 0; j < lanes; j++) {
    store<f32>(dst + <usize>j * 4, f32x4.extract_lane(re, 0));
    store<f32>(dst + part + <usize>j * 4, f32x4.extract_lane(im, 0));
    re = f32x4.shuffle(re, re, 1, 2, 3, 0);
    im = f32x4.shuffle(im, im, 1, 2, 3, 0);
  }
}

/**
 * f32_fft_input__simd128: V[bin][g][part][c'][t] for channel c = g cg + c' and tile t: the 2-D DFT of the
 * n x n window of the (zero-padded) input that tile t reads, part 0 its real part and 1 its imaginary
 * part. Tiles t run over the images of the job, row-major within each image. Work items are (channel,
 * four consecutive tiles), the four tiles in the lanes, whatever rows or images they lie in: their
 * windows are gathered, transformed down the columns (a real FFT), then along the rows. Parameters: 0 x,
 * 1 V, 2 scratch, 3 scratch bytes per thread, 4 images, 5 channels, 6 h, 7 w, 8 pad top, 9 pad left,
 * 10 tile rows, 11 tile columns, 12 V's row stride (floats), 13 tile step down (mh), 14 tile step across
 * (mw), 15 n, 16 groups.
 */
export function f32_fft_input__simd128(prm: usize, ith: i32, nth: i32): void {
  const x = <usize>param(prm, 0), v = <usize>param(prm, 1);
  const tp = <usize>param(prm, 2) + <usize>param(prm, 3) * <usize>ith;
  const images = param(prm, 4), channels = param(prm, 5), h = param(prm, 6), w = param(prm, 7);
  const pt = param(prm, 8), pl = param(prm, 9), th = param(prm, 10), tw = param(prm, 11);
  const ldv = <usize>param(prm, 12), mh = param(prm, 13), mw = param(prm, 14);
  const n = param(prm, 15), groups = param(prm, 16);
  const half = n >> 1;
  const rowBytes = <usize>n * 16;
  // d: the four windows, lane j tile j, n rows of n vectors; e: their columns' half-complex parts; f: one row's spectrum.
  const d = tp, e = d + <usize>n * rowBytes, f = e + <usize>n * rowBytes;
  const cg = channels / groups;
  const binStride = <usize>(2 * channels) * ldv * 4, partStride = <usize>cg * ldv * 4;
  const zero = f32x4.splat(0);
  const tiles = images * th * tw, groupsOfFour = (tiles + 3) >> 2;
  const items = channels * groupsOfFour;
  const first = <i32>((<i64>items * ith) / nth), last = <i32>((<i64>items * (ith + 1)) / nth);
  for (let item = first; item < last; item++) {
    const t0 = (item % groupsOfFour) << 2, c = item / groupsOfFour;
    const lanes = min(4, tiles - t0);
    memory.fill(d, 0, <usize>n * rowBytes);
    for (let j = 0; j < lanes; j++) {
      const t = t0 + j, tx = t % tw, ty = (t / tw) % th, im = t / (tw * th);
      const plane = x + (<usize>im * <usize>channels + <usize>c) * <usize>(h * w) * 4;
      const x0 = tx * mw - pl, q0 = max(0, -x0), q1 = min(n, w - x0);
      for (let r = 0; r < n; r++) {
        const iy = ty * mh - pt + r;
        if (<u32>iy >= <u32>h) continue;
        const src = plane + <usize>(iy * w + x0) * 4, dst = d + <usize>r * rowBytes + <usize>j * 4;
        for (let q = q0; q < q1; q++) store<f32>(dst + <usize>q * 16, load<f32>(src + <usize>q * 4));
      }
    }
    // Down the columns: e's rows are the half-complex parts of ky = 0 .. n/2.
    for (let q = 0; q < n; q++) fftRealForward(n, d + <usize>q * 16, rowBytes, e + <usize>q * 16, rowBytes);
    // Along the rows.
    const vTiles = v + (<usize>((c / cg) * 2 * cg + c % cg) * ldv + <usize>t0) * 4;
    for (let ky = 0; ky <= half; ky++) {
      if (ky == 0 || ky == half) {
        // A real row: its spectrum's parts kx = 0 .. n/2, in half-complex order in f.
        fftRealForward(n, e + <usize>(ky == 0 ? 0 : n - 1) * rowBytes, 16, f, 16);
        for (let kx = 0; kx <= half; kx++) {
          const re = v128.load(f + <usize>(kx == 0 ? 0 : kx == half ? n - 1 : 2 * kx - 1) * 16);
          const imv = kx == 0 || kx == half ? zero : v128.load(f + <usize>(2 * kx) * 16);
          putBin(vTiles + <usize>fftBin(n, ky, kx) * binStride, partStride, re, imv, lanes);
        }
      } else {
        // A complex row (Re in e's row 2 ky - 1, Im in row 2 ky): all n of its bins.
        const bin0 = vTiles + <usize>fftBin(n, ky, 0) * binStride;
        if (lanes == 4) {
          fftComplexForward(n, e + <usize>(2 * ky - 1) * rowBytes, 16, rowBytes, bin0, binStride, partStride);
          continue;
        }
        fftComplexForward(n, e + <usize>(2 * ky - 1) * rowBytes, 16, rowBytes, f, 32, 16);
        for (let kx = 0; kx < n; kx++) putBin(bin0 + <usize>kx * binStride, partStride, v128.load(f + <usize>kx * 32), v128.load(f + <usize>kx * 32 + 16), lanes);
      }
    }
  }
}

/**
 * f32_fft_output__simd128: Y[n][o][ty mh + u][tx mw + v] = epilogue(bias[o] + IDFT(M)[u][v]) for u < mh, v < mw
 * (cropped at the bottom and right edges), with M[bin][g][part][o'][t] the GEMMs' sums for output channel
 * o = g mg + o' and tile t (the 1 / n^2 of the inverse is in the weights). Work items are (output channel,
 * four consecutive tiles), the tiles in the lanes. Parameters: 0 M, 1 y, 2 bias, 3 scratch, 4 scratch
 * bytes per thread, 5 images, 6 output channels, 7 oh, 8 ow, 9 tile rows, 10 tile columns, 11 M's row
 * stride (floats), 12 mh, 13 mw, 14 epilogue (0 none, 1 ReLU, 2 Clip), 15 and 16 Clip's bounds (f32),
 * 17 n, 18 groups, 19 bytes from one image of y to the next.
 */
export function f32_fft_output__simd128(prm: usize, ith: i32, nth: i32): void {
  const mb = <usize>param(prm, 0), y = <usize>param(prm, 1), bias = <usize>param(prm, 2);
  const sp = <usize>param(prm, 3) + <usize>param(prm, 4) * <usize>ith;
  const images = param(prm, 5), outc = param(prm, 6), oh = param(prm, 7), ow = param(prm, 8);
  const th = param(prm, 9), tw = param(prm, 10), ldm = <usize>param(prm, 11), mh = param(prm, 12), mw = param(prm, 13);
  const act = param(prm, 14);
  const lo = reinterpret<f32>(param(prm, 15)), hi = reinterpret<f32>(param(prm, 16));
  const n = param(prm, 17), groups = param(prm, 18), yImage = <usize>param(prm, 19);
  const half = n >> 1;
  const mg = outc / groups;
  const binStride = <usize>(2 * outc) * ldm * 4, partStride = <usize>mg * ldm * 4;
  // s: the half-complex rows (ky) of the inverse along the rows, n columns each; f: one row's parts; q: the
  // results, n rows of mw vectors.
  const s = sp, f = s + <usize>(n * n) * 16, q = f + <usize>n * 16;
  const lov = f32x4.splat(lo), hiv = f32x4.splat(hi), zero = f32x4.splat(0);
  const tiles = images * th * tw, groupsOfFour = (tiles + 3) >> 2;
  const items = outc * groupsOfFour;
  const first = <i32>((<i64>items * ith) / nth), last = <i32>((<i64>items * (ith + 1)) / nth);
  for (let item = first; item < last; item++) {
    const t0 = (item % groupsOfFour) << 2, o = item / groupsOfFour;
    const lanes = min(4, tiles - t0);
    const b = f32x4.splat(load<f32>(bias + <usize>o * 4));
    const mTiles = mb + (<usize>((o / mg) * 2 * mg + o % mg) * ldm + <usize>t0) * 4;
    // Along the rows: the inverse of each ky's bins.
    for (let ky = 0; ky <= half; ky++) {
      const bin0 = mTiles + <usize>fftBin(n, ky, 0) * binStride;
      if (ky == 0 || ky == half) {
        for (let kx = 0; kx <= half; kx++) {
          const at = bin0 + <usize>kx * binStride;
          v128.store(f + <usize>(kx == 0 ? 0 : kx == half ? n - 1 : 2 * kx - 1) * 16, v128.load(at));
          if (kx != 0 && kx != half) v128.store(f + <usize>(2 * kx) * 16, v128.load(at + partStride));
        }
        fftRealInverse(n, f, 16, s + <usize>((ky == 0 ? 0 : n - 1) * n) * 16, 16);
      } else {
        fftComplexInverse(n, bin0, binStride, partStride, s + <usize>((2 * ky - 1) * n) * 16, 16, <usize>(n * 16));
      }
    }
    // Down the columns: the real inverse of each column's half-complex parts, then the bias and epilogue.
    for (let vv = 0; vv < mw; vv++) {
      fftRealInverse(n, s + <usize>vv * 16, <usize>(n * 16), q + <usize>vv * 16, <usize>mw * 16);
    }
    for (let u = 0; u < mh; u++) {
      for (let vv = 0; vv < mw; vv++) {
        const at = q + <usize>(u * mw + vv) * 16;
        let acc = f32x4.add(v128.load(at), b);
        if (act == 1) acc = f32x4.max(acc, zero);
        else if (act == 2) acc = f32x4.min(f32x4.max(acc, lov), hiv);
        v128.store(at, acc);
      }
    }
    // Each lane to its tile's outputs, cropped at the edges.
    for (let j = 0; j < lanes; j++) {
      const t = t0 + j, tx = t % tw, ty = (t / tw) % th, im = t / (tw * th);
      const plane = y + <usize>im * yImage + <usize>o * <usize>(oh * ow) * 4;
      const rows = min(mh, oh - ty * mh), columns = min(mw, ow - tx * mw);
      for (let u = 0; u < rows; u++) {
        const out = plane + <usize>((ty * mh + u) * ow + tx * mw) * 4, src = q + <usize>(u * mw) * 16 + <usize>j * 4;
        for (let vv = 0; vv < columns; vv++) store<f32>(out + <usize>vv * 4, load<f32>(src + <usize>vv * 16));
      }
    }
  }
}

/**
 * f32_softmax: y = exp(x - max) / sum(exp(x - max)) over each row of `cols` contiguous floats, the sum in
 * f64. Work items are rows. Parameters: 0 x, 1 y, 2 rows, 3 cols.
 */
export function f32_softmax(prm: usize, ith: i32, nth: i32): void {
  const x = <usize>param(prm, 0), y = <usize>param(prm, 1), rows = param(prm, 2), cols = param(prm, 3);
  const first = <i32>((<i64>rows * ith) / nth), last = <i32>((<i64>rows * (ith + 1)) / nth);
  for (let r = first; r < last; r++) {
    const src = x + <usize>r * <usize>cols * 4, dst = y + <usize>r * <usize>cols * 4;
    let max: f32 = -Infinity;
    for (let k = 0; k < cols; k++) max = Mathf.max(max, load<f32>(src + <usize>k * 4));
    let sum: f64 = 0;
    for (let k = 0; k < cols; k++) {
      const e = Mathf.exp(load<f32>(src + <usize>k * 4) - max);
      store<f32>(dst + <usize>k * 4, e);
      sum += <f64>e;
    }
    const scale = <f32>(1 / sum);
    for (let k = 0; k < cols; k++) store<f32>(dst + <usize>k * 4, load<f32>(dst + <usize>k * 4) * scale);
  }
}

/**
 * f32_conv_direct: direct convolution, for layers whose groups hold fewer output channels than the GEMM
 * tile has rows (depthwise ones: the GEMM would compute one row of six). y[n][o][oy][ox] = epilogue(b[o] +
 * sum over c, ky, kx of w[o][c][ky][kx] x[n][g cg + c][oy sh - pt + ky dh][ox sw - pl + kx dw]), g = o / mg,
 * zero outside x; the sum in the order c, ky, kx. With strides 1 and 2 across, four outputs whose
 * every tap lies in the row are computed as a vector. Work items are (image, output channel, output row). Parameters:
 * 0 x, 1 w (float32 [outc, cg, kh, kw]), 2 bias, 3 y, 4 images, 5 channels, 6 h, 7 w, 8 outc, 9 oh,
 * 10 ow, 11 groups, 12 kh, 13 kw, 14 sh, 15 sw, 16 pad top, 17 pad left, 18 dh, 19 dw, 20 epilogue
 * (0 none, 1 ReLU, 2 Clip), 21 and 22 Clip's bounds (f32), 23 bytes from one image of y to the next.
 */
export function f32_conv_direct(prm: usize, ith: i32, nth: i32): void {
  const x = <usize>param(prm, 0), wt = <usize>param(prm, 1), bias = <usize>param(prm, 2), y = <usize>param(prm, 3);
  const images = param(prm, 4), channels = param(prm, 5), h = param(prm, 6), w = param(prm, 7);
  const outc = param(prm, 8), oh = param(prm, 9), ow = param(prm, 10), groups = param(prm, 11);
  const kh = param(prm, 12), kw = param(prm, 13), sh = param(prm, 14), sw = param(prm, 15);
  const pt = param(prm, 16), pl = param(prm, 17), dh = param(prm, 18), dw = param(prm, 19), act = param(prm, 20);
  const lo = reinterpret<f32>(param(prm, 21)), hi = reinterpret<f32>(param(prm, 22)), yImage = <usize>param(prm, 23);
  const cg = channels / groups, mg = outc / groups;
  const lov = f32x4.splat(lo), hiv = f32x4.splat(hi), zero = f32x4.splat(0);
  const planeBytes = <usize>(h * w) * 4;
  const items = images * outc * oh;
  const first = <i32>((<i64>items * ith) / nth), last = <i32>((<i64>items * (ith + 1)) / nth);
  for (let item = first; item < last; item++) {
    const oy = item % oh, no = item / oh;
    const o = no % outc, n = no / outc;
    const xGroup = x + (<usize>n * <usize>channels + <usize>((o / mg) * cg)) * planeBytes;
    const wo = wt + <usize>(o * cg * kh * kw) * 4;
    const b = load<f32>(bias + <usize>o * 4);
    const out = y + <usize>n * yImage + (<usize>o * <usize>oh + <usize>oy) * <usize>ow * 4;
    const iy0 = oy * sh - pt;
    // Vectors of four outputs where every tap, and every float the vector loads, lies in the row: unit
    // strides read four inputs, stride 2 the even lanes of eight.
    const vector = sw == 1 || sw == 2;
    const vx0 = vector ? min(ow, (pl + sw - 1) / sw) : ow;
    const reach = w + pl - (kw - 1) * dw;
    const vx1 = !vector || reach < 0 ? vx0 : max(vx0, min(ow, sw == 1 ? reach : reach / 2));
    let ox = 0;
    while (ox < ow) {
      if (ox >= vx0 && ox + 4 <= vx1) {
        let acc = f32x4.splat(b);
        for (let c = 0; c < cg; c++) {
          const plane = xGroup + <usize>c * planeBytes;
          for (let ky = 0; ky < kh; ky++) {
            const iy = iy0 + ky * dh;
            if (<u32>iy >= <u32>h) continue;
            const row = plane + <usize>(iy * w + ox * sw - pl) * 4;
            const taps = wo + <usize>((c * kh + ky) * kw) * 4;
            if (sw == 1) {
              for (let kx = 0; kx < kw; kx++) acc = madd(v128.load32_splat(taps + <usize>kx * 4), v128.load(row + <usize>(kx * dw) * 4), acc);
            } else {
              for (let kx = 0; kx < kw; kx++) {
                const at = row + <usize>(kx * dw) * 4;
                acc = madd(v128.load32_splat(taps + <usize>kx * 4), i32x4.shuffle(v128.load(at), v128.load(at, 16), 0, 2, 4, 6), acc);
              }
            }
          }
        }
        if (act == 1) acc = f32x4.max(acc, zero);
        else if (act == 2) acc = f32x4.min(f32x4.max(acc, lov), hiv);
        v128.store(out + <usize>ox * 4, acc);
        ox += 4;
        continue;
      }
      let s = b;
      const ix0 = ox * sw - pl;
      for (let c = 0; c < cg; c++) {
        const plane = xGroup + <usize>c * planeBytes;
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky * dh;
          if (<u32>iy >= <u32>h) continue;
          const row = plane + <usize>(iy * w) * 4;
          const taps = wo + <usize>((c * kh + ky) * kw) * 4;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx * dw;
            if (<u32>ix < <u32>w) s += load<f32>(taps + <usize>kx * 4) * load<f32>(row + <usize>ix * 4);
          }
        }
      }
      if (act == 1) s = max(s, <f32>0);
      else if (act == 2) s = min(max(s, lo), hi);
      store<f32>(out + <usize>ox * 4, s);
      ox++;
    }
  }
}
