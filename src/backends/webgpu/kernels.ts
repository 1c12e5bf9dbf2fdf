import { type Binding, type Storage, emitShader } from './wgsl.js';

/**
 * The WGSL kernels, as templates over the storage type and a few compile-time choices. Parameters are
 * read from the uniform block in the order each template documents; `prepared.ts` packs them.
 */

/** What a layer applies to its results before it stores them: nothing, ReLU, or Clip's bounds. */
export type Epilogue = 'none' | 'relu' | 'clip';

/** The epilogue's WGSL on `v`; Clip reads its bounds as float parameters `at` and `at + 1`. */
export function epilogue(e: Epilogue, at: number): string {
  if (e === 'relu') return 'v = max(v, 0.0);';
  if (e === 'clip') return `v = clamp(v, pf(${at}u), pf(${at + 1}u));`;
  return '';
}

/**
 * A tile of the convolution GEMM: `m` x `n` outputs per workgroup from (m / rm) x (n / rn) threads that
 * each hold rm x rn accumulators, stepping through K `k` at a time in workgroup memory.
 */
export interface ConvTile {
  readonly name: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly rm: number;
  readonly rn: number;
  /**
   * Each thread's rm x rn outputs contiguous (rather than strided across the tile), read from
   * workgroup memory in vec4s: a quarter of the loads, for tiles whose rm and rn are multiples of 4.
   */
  readonly vector?: boolean;
}

/** The tiles the planner chooses among, by measurement where the adapter can time dispatches. */
export const convTiles: readonly ConvTile[] = [
  { name: '64x64', m: 64, n: 64, k: 16, rm: 4, rn: 4 },
  { name: '128x128', m: 128, n: 128, k: 8, rm: 8, rn: 8 },
  { name: '32x64', m: 32, n: 64, k: 16, rm: 2, rn: 4 },
  { name: '128x128v', m: 128, n: 128, k: 16, rm: 8, rn: 8, vector: true },
  { name: '64x64v', m: 64, n: 64, k: 16, rm: 4, rn: 4, vector: true },
  { name: '128x64v', m: 128, n: 64, k: 16, rm: 8, rn: 4, vector: true },
];

/**
 * The implicit GEMM's parameters (see `convGemm`), its group, K slice and tile origin, and the column of
 * B (im2col of X) that this invocation gathers at every K step, decomposed once.
 */
export function convGemmPrologue(TM: number, TN: number): string {
  return `
  let P = p(0u); let OHW = p(1u); let OW = p(2u); let mg = p(3u); let K = p(4u);
  let C = p(5u); let H = p(6u); let W = p(7u); let Cg = p(8u); let KH = p(9u); let KW = p(10u);
  let sh = p(11u); let sw = p(12u); let pt = i32(p(13u)); let pl = i32(p(14u)); let dh = p(15u); let dw = p(16u);
  let groups = p(19u); let splits = p(20u); let kPerSplit = p(21u);
  let g = wid.z % groups;
  let split = wid.z / groups;
  let kBegin = split * kPerSplit;
  let kEnd = min(K, kBegin + kPerSplit);
  let m0 = wid.y * ${TM}u;
  let p0 = wid.x * ${TN}u;
  let KHW = KH * KW;
  let bCol = lidx % ${TN}u;
  let bp = p0 + bCol;
  let bValid = bp < P;
  let bn = bp / OHW;
  let bs = bp % OHW;
  let bih0 = i32((bs / OW) * sh) - pt;
  let biw0 = i32((bs % OW) * sw) - pl;
  let bBase = (bn * C + g * Cg) * H * W;`;
}

/** The implicit GEMM's buffers: X, W, bias, Y, and the split-K scratch. */
export const convBindings: readonly Binding[] = [
  { name: 'x', access: 'read', type: 'T' },
  { name: 'w', access: 'read', type: 'T' },
  { name: 'bias', access: 'read', type: 'T' },
  { name: 'y', access: 'read_write', type: 'T' },
  { name: 'partial', access: 'read_write', type: 'f32' },
];

/** `var b`: im2col(X)[kb, bp] as `type`, zero in the padding and past K or P. */
export function gatherB(type: 'f32' | 'f16'): string {
  return `var b = ${type}(0.0);
      if (bValid && kb < kEnd) {
        let c = kb / KHW;
        let r = kb % KHW;
        let ih = bih0 + i32((r / KW) * dh);
        let iw = biw0 + i32((r % KW) * dw);
        if (ih >= 0 && ih < i32(H) && iw >= 0 && iw < i32(W)) {
          b = ${type}(x[bBase + (c * H + u32(ih)) * W + u32(iw)]);
        }
      }`;
}

/**
 * Convolution as an implicit GEMM, also serving Gemm/MatMul as a 1x1 convolution over a 1x1 image:
 * C[m, p] = sum_k W[g*mg + m, k] * im2col(X)[k, p] for group g = wid.z % groups, p = n*OH*OW + s.
 * The im2col matrix is never built: each tile of B is gathered from X into workgroup memory.
 * With splits > 1 (split-K) the z dimension also picks a slice of K, and the partial sums go to a
 * float32 scratch buffer that `splitReduce` finishes; otherwise bias and ReLU are applied here and the
 * result is written at channel `offset` of an output with `outChannels` channels (a Concat's slice).
 *
 * Params: 0 P, 1 OH*OW, 2 OW, 3 mg, 4 K, 5 C, 6 H, 7 W, 8 Cg, 9 KH, 10 KW, 11 sh, 12 sw, 13 pt, 14 pl,
 * 15 dh, 16 dw, 17 outChannels, 18 offset, 19 groups, 20 splits, 21 K per split, 22 and 23 Clip's bounds.
 */
export function convGemm(storage: Storage, epi: Epilogue, tile: ConvTile = convTiles[0]): string {
  const { m: TM, n: TN, k: TK, rm: RM, rn: RN } = tile;
  const tx = TN / RN;
  const ty = TM / RM;
  const threads = tx * ty;
  if (threads % TN !== 0 || threads % TK !== 0 || (TM * TK) % threads !== 0 || (TK * TN) % threads !== 0) {
    throw new Error(`conv tile ${tile.name} does not divide its loads among ${threads} threads`);
  }
  return emitShader({
    storage,
    bindings: convBindings,
    workgroup: [tx, ty],
    declarations: tile.vector === true
      ? `
var<workgroup> As: array<vec4<f32>, ${(TK * TM) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(TK * TN) / 4}>;`
      : `
var<workgroup> As: array<f32, ${TK * TM}>;
var<workgroup> Bs: array<f32, ${TK * TN}>;`,
    body: `${convGemmPrologue(TM, TN)}
  let tx = lid.x; let ty = lid.y;
  // The K offset of A this thread loads, at rows lidx / TK + (threads / TK) q.
  let aK = lidx % ${TK}u;
  let aRow = lidx / ${TK}u;

  var acc: array<f32, ${RM * RN}>;
  for (var i = 0u; i < ${RM * RN}u; i++) { acc[i] = 0.0; }

  for (var k0 = kBegin; k0 < kEnd; k0 += ${TK}u) {
    for (var q = 0u; q < ${(TM * TK) / threads}u; q++) {
      let row = aRow + ${threads / TK}u * q;
      let m = m0 + row;
      let k = k0 + aK;
      var a = 0.0;
      if (m < mg && k < kEnd) { a = f32(w[(g * mg + m) * K + k]); }
      ${tile.vector === true ? `As[(aK * ${TM}u + row) / 4u][row % 4u] = a;` : `As[aK * ${TM}u + row] = a;`}
    }
    for (var q = 0u; q < ${(TK * TN) / threads}u; q++) {
      let kk = lidx / ${TN}u + ${threads / TN}u * q;
      let kb = k0 + kk;
      ${gatherB('f32')}
      ${tile.vector === true ? `Bs[(kk * ${TN}u + bCol) / 4u][bCol % 4u] = b;` : `Bs[kk * ${TN}u + bCol] = b;`}
    }
    workgroupBarrier();
    ${tile.vector === true ? vectorInner(tile) : `for (var kk = 0u; kk < ${TK}u; kk++) {
      var av: array<f32, ${RM}>;
      var bv: array<f32, ${RN}>;
      for (var i = 0u; i < ${RM}u; i++) { av[i] = As[kk * ${TM}u + ty + ${ty}u * i]; }
      for (var j = 0u; j < ${RN}u; j++) { bv[j] = Bs[kk * ${TN}u + tx + ${tx}u * j]; }
      for (var i = 0u; i < ${RM}u; i++) {
        for (var j = 0u; j < ${RN}u; j++) { acc[i * ${RN}u + j] = fma(av[i], bv[j], acc[i * ${RN}u + j]); }
      }
    }`}
    workgroupBarrier();
  }

  let outChannels = p(17u); let offset = p(18u);
  for (var i = 0u; i < ${RM}u; i++) {
    let m = m0 + ${tile.vector === true ? `ty * ${RM}u + i` : `ty + ${ty}u * i`};
    if (m >= mg) { continue; }
    let gm = g * mg + m;
    for (var j = 0u; j < ${RN}u; j++) {
      let col = p0 + ${tile.vector === true ? `tx * ${RN}u + j` : `tx + ${tx}u * j`};
      if (col >= P) { continue; }
      if (splits > 1u) {
        partial[(split * groups * mg + gm) * P + col] = acc[i * ${RN}u + j];
      } else {
        var v = acc[i * ${RN}u + j] + f32(bias[gm]);
        ${epilogue(epi, 22)}
        y[((col / OHW) * outChannels + offset + gm) * OHW + col % OHW] = T(v);
      }
    }
  }`,
  });
}

/** The multiply-adds of one K step for a vector tile: rows and columns of a thread are contiguous. */
function vectorInner(tile: ConvTile): string {
  const { m: TM, n: TN, k: TK, rm: RM, rn: RN } = tile;
  const lines: string[] = [];
  for (let i4 = 0; i4 < RM / 4; i4++) lines.push(`let a${i4} = As[kk * ${TM / 4}u + ty * ${RM / 4}u + ${i4}u];`);
  for (let j4 = 0; j4 < RN / 4; j4++) lines.push(`let b${j4} = Bs[kk * ${TN / 4}u + tx * ${RN / 4}u + ${j4}u];`);
  for (let i = 0; i < RM; i++) {
    for (let j4 = 0; j4 < RN / 4; j4++) {
      // acc[i * RN + 4 j4 .. + 3] += a_i * b_j4, as four scalars (the accumulators stay a flat array).
      for (let c = 0; c < 4; c++) {
        const at = i * RN + 4 * j4 + c;
        lines.push(`acc[${at}] = fma(a${Math.floor(i / 4)}[${i % 4}], b${j4}[${c}], acc[${at}]);`);
      }
    }
  }
  const body = lines.join('\n      ');
  return `for (var kk = 0u; kk < ${TK}u; kk++) {\n      ${body}\n    }`;
}

/**
 * Finishes a split-K convolution: sums the splits' partial results, adds the bias, applies ReLU and
 * writes the output slice. Params: 0 P, 1 OH*OW, 2 M (all groups), 3 splits, 4 outChannels, 5 offset,
 * 6 and 7 Clip's bounds.
 */
export function splitReduce(storage: Storage, epi: Epilogue): string {
  return emitShader({
    storage,
    bindings: [
      { name: 'partial', access: 'read', type: 'f32' },
      { name: 'bias', access: 'read', type: 'T' },
      { name: 'y', access: 'read_write', type: 'T' },
    ],
    workgroup: [256],
    body: `
  let P = p(0u); let OHW = p(1u); let M = p(2u); let splits = p(3u);
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= M * P) { return; }
  let m = i / P;
  let col = i % P;
  var v = f32(bias[m]);
  for (var s = 0u; s < splits; s++) { v += partial[s * M * P + i]; }
  ${epilogue(epi, 6)}
  y[((col / OHW) * p(4u) + p(5u) + m) * OHW + col % OHW] = T(v);`,
  });
}

/** A GEMV's buffers: x and W as `v` (scalars or vec4s), bias, y. */
function gemvBindings(v: string): Binding[] {
  return [
    { name: 'x', access: 'read', type: v },
    { name: 'w', access: 'read', type: v },
    { name: 'bias', access: 'read', type: 'T' },
    { name: 'y', access: 'read_write', type: 'T' },
  ];
}

/** Rows of W one GEMV workgroup reduces: 8 rows x 32 lanes. */
export const gemvRows = 8;

/**
 * A fully connected layer at batch 1, bound by reading W once: y[m] = W[m, :] . x + bias[m], 32 lanes per
 * row reading W in vec4s where K allows. Params: 0 M, 1 K (in vectors when `vector`), 2 outChannels,
 * 3 offset, 4 and 5 Clip's bounds.
 */
export function gemv(storage: Storage, epi: Epilogue, vector: boolean): string {
  const v = vector ? 'vec4<T>' : 'T';
  const dot = vector ? 'dot(vec4<f32>(w[row * K + k]), vec4<f32>(x[k]))' : 'f32(w[row * K + k]) * f32(x[k])';
  return emitShader({
    storage,
    bindings: gemvBindings(v),
    workgroup: [256],
    declarations: `var<workgroup> sums: array<f32, 256>;`,
    body: `
  let M = p(0u); let K = p(1u);
  let lane = lidx % 32u;
  let row = (wid.x + wid.y * nwg.x) * ${gemvRows}u + lidx / 32u;
  var acc = 0.0;
  if (row < M) {
    for (var k = lane; k < K; k += 32u) { acc += ${dot}; }
  }
  sums[lidx] = acc;
  workgroupBarrier();
  for (var half = 16u; half > 0u; half /= 2u) {
    if (lane < half) { sums[lidx] += sums[lidx + half]; }
    workgroupBarrier();
  }
  if (lane == 0u && row < M) {
    var v = sums[lidx] + f32(bias[row]);
    ${epilogue(epi, 4)}
    y[p(3u) + row] = T(v);
  }`,
  });
}

/** The most images the batched GEMV takes: a fully connected layer at batch 2 to this. */
export const gemvBatchMax = 8;

/**
 * A fully connected layer at a small batch, bound by reading W once: y[n, m] = W[m, :] . x[n, :] +
 * bias[m] for every image n < N, 32 lanes per row reading W (in vec4s where K allows) and keeping one
 * sum per image. Params: 0 M, 1 K (in vectors when `vector`), 2 outChannels, 3 offset, 4 and 5 Clip's
 * bounds, 6 N (at most gemvBatchMax).
 */
export function gemvBatch(storage: Storage, epi: Epilogue, vector: boolean): string {
  const v = vector ? 'vec4<T>' : 'T';
  const B = gemvBatchMax;
  const load = vector ? 'vec4<f32>(w[row * K + k])' : 'f32(w[row * K + k])';
  const dot = vector ? `dot(wk, vec4<f32>(x[n * K + k]))` : `wk * f32(x[n * K + k])`;
  return emitShader({
    storage,
    bindings: gemvBindings(v),
    workgroup: [256],
    declarations: `var<workgroup> sums: array<f32, ${256 * B}>;`,
    body: `
  let M = p(0u); let K = p(1u); let N = p(6u);
  let lane = lidx % 32u;
  let row = (wid.x + wid.y * nwg.x) * ${gemvRows}u + lidx / 32u;
  var acc: array<f32, ${B}>;
  if (row < M) {
    for (var k = lane; k < K; k += 32u) {
      let wk = ${load};
      for (var n = 0u; n < N; n++) { acc[n] += ${dot}; }
    }
  }
  for (var n = 0u; n < ${B}u; n++) { sums[n * 256u + lidx] = acc[n]; }
  workgroupBarrier();
  for (var half = 16u; half > 0u; half /= 2u) {
    if (lane < half) {
      for (var n = 0u; n < N; n++) { sums[n * 256u + lidx] += sums[n * 256u + lidx + half]; }
    }
    workgroupBarrier();
  }
  if (lane < N && row < M) {
    var v = sums[lane * 256u + lidx - lane] + f32(bias[row]);
    ${epilogue(epi, 4)}
    y[lane * p(2u) + p(3u) + row] = T(v);
  }`,
  });
}

/**
 * A kernel of one thread per element: reads `x` (and any `extra` bindings), writes `y`; the body sees
 * `i`, the element, already checked against the count in parameter 0.
 */
function perElement(storage: Storage, body: string, opts: { input?: string; workgroup?: number; extra?: Binding[] } = {}): string {
  const size = opts.workgroup ?? 256;
  return emitShader({
    storage,
    bindings: [{ name: 'x', access: 'read', type: opts.input ?? 'T' }, ...(opts.extra ?? []), { name: 'y', access: 'read_write', type: 'T' }],
    workgroup: [size],
    body: `
  let i = gid.x + gid.y * nwg.x * ${size}u;
  if (i >= p(0u)) { return; }${body}`,
  });
}

/**
 * 2-D max or average pooling, one thread per output element. Params: 0 outputs, 1 H, 2 W, 3 OH, 4 OW,
 * 5 KH, 6 KW, 7 sh, 8 sw, 9 pt, 10 pl, 11 H + pb, 12 W + pr, 13 count_include_pad.
 * A window that runs past the end padding (ceil mode) never counts the overhang.
 */
export function pool2d(storage: Storage, kind: 'max' | 'avg'): string {
  return perElement(storage, `
  let H = i32(p(1u)); let W = i32(p(2u)); let OH = p(3u); let OW = p(4u);
  let plane = i / (OH * OW);
  let s = i % (OH * OW);
  let h0 = i32((s / OW) * p(7u)) - i32(p(9u));
  let w0 = i32((s % OW) * p(8u)) - i32(p(10u));
  let h1 = min(h0 + i32(p(5u)), i32(p(11u)));
  let w1 = min(w0 + i32(p(6u)), i32(p(12u)));
  let padded = f32((h1 - h0) * (w1 - w0));
  let hb = max(h0, 0); let he = min(h1, H);
  let wb = max(w0, 0); let we = min(w1, W);
  let base = plane * u32(H * W);
  ${kind === 'max' ? 'var v = -3.402823e38;' : 'var v = 0.0;'}
  for (var h = hb; h < he; h++) {
    for (var w = wb; w < we; w++) {
      let e = f32(x[base + u32(h * W + w)]);
      ${kind === 'max' ? 'v = max(v, e);' : 'v += e;'}
    }
  }
  ${kind === 'avg' ? 'v /= select(f32((he - hb) * (we - wb)), padded, p(13u) != 0u);' : ''}
  y[i] = T(v);`);
}

/** The mean or max of each plane (GlobalAveragePool, GlobalMaxPool). Params: 0 planes, 1 plane size. */
export function globalPool(storage: Storage, kind: 'max' | 'avg'): string {
  return perElement(storage, `
  let n = p(1u);
  ${kind === 'max' ? 'var v = -3.402823e38;' : 'var v = 0.0;'}
  for (var k = 0u; k < n; k++) {
    let e = f32(x[i * n + k]);
    ${kind === 'max' ? 'v = max(v, e);' : 'v += e;'}
  }
  ${kind === 'avg' ? 'v /= f32(n);' : ''}
  y[i] = T(v);`, { workgroup: 64 });
}

/**
 * LRN across channels: y = x / (bias + alpha/size * sum of x^2 over the window)^beta.
 * Params: 0 elements, 1 C, 2 plane, 3 channels before, 4 channels after, 5 alpha/size, 6 bias, 7 beta.
 */
export function lrn(storage: Storage): string {
  return perElement(storage, `
  let C = i32(p(1u)); let plane = p(2u);
  let c = i32((i / plane) % u32(C));
  let base = i - u32(c) * plane;
  var sum = 0.0;
  for (var k = max(c - i32(p(3u)), 0); k <= min(c + i32(p(4u)), C - 1); k++) {
    let e = f32(x[base + u32(k) * plane]);
    sum += e * e;
  }
  y[i] = T(f32(x[i]) / pow(pf(6u) + pf(5u) * sum, pf(7u)));`);
}

/** Softmax over contiguous rows, one workgroup per row. Params: 0 rows, 1 row length. */
export function softmax(storage: Storage): string {
  return emitShader({
    storage,
    bindings: [
      { name: 'x', access: 'read', type: 'T' },
      { name: 'y', access: 'read_write', type: 'T' },
    ],
    workgroup: [256],
    declarations: 'var<workgroup> scratch: array<f32, 256>;',
    body: `
  let row = wid.x + wid.y * nwg.x;
  if (row >= p(0u)) { return; }
  let n = p(1u);
  let base = row * n;
  var m = -3.402823e38;
  for (var k = lidx; k < n; k += 256u) { m = max(m, f32(x[base + k])); }
  scratch[lidx] = m;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half /= 2u) {
    if (lidx < half) { scratch[lidx] = max(scratch[lidx], scratch[lidx + half]); }
    workgroupBarrier();
  }
  m = scratch[0];
  workgroupBarrier();
  var s = 0.0;
  for (var k = lidx; k < n; k += 256u) { s += exp(f32(x[base + k]) - m); }
  scratch[lidx] = s;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half /= 2u) {
    if (lidx < half) { scratch[lidx] += scratch[lidx + half]; }
    workgroupBarrier();
  }
  s = scratch[0];
  for (var k = lidx; k < n; k += 256u) { y[base + k] = T(exp(f32(x[base + k]) - m) / s); }`,
  });
}

/** The elementwise functions of one input; `a` and `b` are float parameters 1 and 2 (Clip's bounds, alpha). */
export const unaryExpressions: Readonly<Record<string, string>> = {
  Relu: 'max(v, 0.0)',
  Clip: 'clamp(v, pf(1u), pf(2u))',
  LeakyRelu: 'select(v * pf(1u), v, v >= 0.0)',
  Sigmoid: '1.0 / (1.0 + exp(-v))',
  Tanh: 'tanh(v)',
  Identity: 'v',
};

/** y = f(x) elementwise. Params: 0 elements, 1 and 2 the function's float parameters. */
export function unary(storage: Storage, op: string, input: Storage = storage): string {
  return perElement(storage, `
  let v = f32(x[i]);
  y[i] = T(${unaryExpressions[op]});`, { input });
}

export const binaryExpressions: Readonly<Record<string, string>> = {
  Add: 'a + b',
  Sub: 'a - b',
  Mul: 'a * b',
  Div: 'a / b',
};

/** The largest rank the broadcasting binary kernel takes. */
export const maxBinaryRank = 6;

/**
 * y = a op b with broadcasting. Params: 0 elements, 1 rank, then per axis (outermost first) the output
 * size, a's stride and b's stride (0 along broadcast axes).
 */
export function binary(storage: Storage, op: string): string {
  return perElement(storage, `
  let rank = p(1u);
  var rest = i;
  var ia = 0u; var ib = 0u;
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let at = 2u + 3u * u32(d);
    let size = p(at);
    let coord = rest % size;
    rest /= size;
    ia += coord * p(at + 1u);
    ib += coord * p(at + 2u);
  }
  let a = f32(x[ia]); let b = f32(xb[ib]);
  y[i] = T(${binaryExpressions[op]});`, { extra: [{ name: 'xb', access: 'read', type: 'T' }] });
}

/**
 * Copies rows of one Concat input into its slice of the output. Params: 0 elements, 1 the input's row
 * length, 2 the output's row length, 3 the slice's offset in the row.
 */
export function copySlice(storage: Storage): string {
  return perElement(storage, `
  let row = p(1u);
  y[(i / row) * p(2u) + p(3u) + i % row] = x[i];`);
}

/** y = x * scale[c] + shift[c] over [N, C, plane] (an unfolded BatchNormalization). Params: 0 elements, 1 C, 2 plane. */
export function channelAffine(storage: Storage): string {
  return perElement(storage, `
  let c = (i / p(2u)) % p(1u);
  y[i] = T(fma(f32(x[i]), f32(scale[c]), f32(shift[c])));`, { extra: [{ name: 'scale', access: 'read', type: 'T' }, { name: 'shift', access: 'read', type: 'T' }] });
}
