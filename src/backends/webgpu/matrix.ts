import { float32ArrayToFloat16, float16ArrayToFloat32 } from '../../core/float16.js';
import { type Epilogue, convBindings, convGemmPrologue, epilogue, gatherB } from './kernels.js';
import { Params, emitShader } from './wgsl.js';

/**
 * Convolution on the GPU's matrix units (tensor cores), through Dawn's experimental subgroup matrices:
 * the implicit GEMM of `convGemm` with f16 operands in workgroup memory and f32 accumulators that each
 * subgroup multiplies as small matrices. Where an adapter has no subgroup matrices, the same kernel with
 * plain WGSL in place of the three built-ins (`emulated`) checks everything else on any adapter.
 */

/** A matrix product the device's subgroups compute: f16 operands, an f32 result (a GPUSubgroupMatrixConfig). */
export interface MatrixShape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

/** A workgroup's tile of the convolution GEMM, computed by subgroups on `mma`-sized matrices. */
export interface MatrixTile {
  readonly name: string;
  readonly m: number;
  readonly n: number;
  /** The K step per pass through workgroup memory. */
  readonly k: number;
  readonly mma: MatrixShape;
  /** Invocations per subgroup (the device's, fixed): the workgroup's 128 are split into 128 / subgroup. */
  readonly subgroup: number;
  /** Plain WGSL in place of the subgroup-matrix built-ins, for adapters without them (tests). */
  readonly emulated?: boolean;
  /**
   * How the built-ins take a matrix's layout: as a template parameter (`subgroupMatrixLoad<T, row_major>`,
   * Dawn's current spelling), or as a bool argument (the first releases').
   */
  readonly spelling?: MatrixSpelling;
}

export type MatrixSpelling = 'template' | 'argument';

const threads = 128;

/** How the workgroup's subgroups divide its tile: rows x columns of subgroup tiles. */
function subgroupGrid(subgroup: number): [number, number] {
  const count = threads / subgroup;
  let rows = 1;
  while (rows * rows < count) rows *= 2;
  return [rows, count / rows];
}

/** The 64x64 tile for a matrix shape and subgroup size, or undefined where they do not divide it. */
export function matrixTile(mma: MatrixShape, subgroup: number, emulated = false, spelling: MatrixSpelling = 'template'): MatrixTile | undefined {
  const [TM, TN] = [64, 64];
  if (!Number.isInteger(threads / subgroup) || subgroup < 1) return undefined;
  const [rows, cols] = subgroupGrid(subgroup);
  const [SM, SN] = [TM / rows, TN / cols];
  if (!Number.isInteger(SM) || !Number.isInteger(SN) || SM % mma.m !== 0 || SN % mma.n !== 0) return undefined;
  // Emulated, each invocation of a subgroup holds whole columns of its subgroup's tile.
  if (emulated && SN % subgroup !== 0) return undefined;
  const TK = Math.max(16, mma.k);
  if (TK % mma.k !== 0) return undefined;
  return { name: `${TM}x${TN} mma ${mma.m}x${mma.n}x${mma.k}${emulated ? ' emulated' : ''}`, m: TM, n: TN, k: TK, mma, subgroup, emulated, spelling };
}

/**
 * The convolution GEMM of `convGemm` (same parameters, same split-K scratch and epilogue, f16 storage)
 * with subgroup matrices: per K step the workgroup gathers A (weights) and B (im2col of X) into workgroup
 * memory as f16, each subgroup multiplies its rows of A by its columns of B into f32 accumulators, and at
 * the end the accumulators go through workgroup memory to the epilogue, so that stores stay coalesced.
 */
export function convGemmMatrix(epi: Epilogue, tile: MatrixTile): string {
  const { m: TM, n: TN, k: TK, mma, subgroup: S } = tile;
  const [rows, cols] = subgroupGrid(S);
  const [SM, SN] = [TM / rows, TN / cols];
  const [FM, FN] = [SM / mma.m, SN / mma.n];
  const tiles = (f: (i: number, j: number) => string): string[] =>
    Array.from({ length: FM * FN }, (_, t) => f(Math.floor(t / FN), t % FN));

  let accumulators: string;
  let multiply: string;
  let store: string;
  if (tile.emulated === true) {
    const perLane = SN / S;
    accumulators = `var acc: array<f32, ${SM * perLane}>;
  for (var i = 0u; i < ${SM * perLane}u; i++) { acc[i] = 0.0; }`;
    multiply = `for (var kk = 0u; kk < ${TK}u; kk++) {
      for (var c = 0u; c < ${perLane}u; c++) {
        let b = f32(Bs[kk * ${TN}u + sn0 + lane + ${S}u * c]);
        for (var r = 0u; r < ${SM}u; r++) { acc[c * ${SM}u + r] = fma(f32(As[(sm0 + r) * ${TK}u + kk]), b, acc[c * ${SM}u + r]); }
      }
    }`;
    store = `for (var c = 0u; c < ${perLane}u; c++) {
    for (var r = 0u; r < ${SM}u; r++) { Cs[(sm0 + r) * ${TN}u + sn0 + lane + ${S}u * c] = acc[c * ${SM}u + r]; }
  }`;
  } else {
    // Types are <component, columns, rows>.
    const left = `subgroup_matrix_left<f16, ${mma.k}, ${mma.m}>`;
    const right = `subgroup_matrix_right<f16, ${mma.n}, ${mma.k}>`;
    const result = `subgroup_matrix_result<f32, ${mma.n}, ${mma.m}>`;
    const argument = tile.spelling === 'argument';
    const load = (type: string, from: string, offset: string, stride: number): string =>
      argument ? `subgroupMatrixLoad<${type}>(&${from}, ${offset}, false, ${stride}u)` : `subgroupMatrixLoad<${type}, row_major>(&${from}, ${offset}, ${stride}u)`;
    const storeTo = (to: string, offset: string, value: string, stride: number): string =>
      argument ? `subgroupMatrixStore(&${to}, ${offset}, ${value}, false, ${stride}u);` : `subgroupMatrixStore<row_major>(&${to}, ${offset}, ${value}, ${stride}u);`;
    accumulators = tiles((i, j) => `var acc${i}_${j} = ${result}();`).join('\n  ');
    const steps: string[] = [];
    for (let kk = 0; kk < TK; kk += mma.k) {
      const lines = [
        ...Array.from({ length: FM }, (_, i) => `let a${i} = ${load(left, 'As', `(sm0 + ${i * mma.m}u) * ${TK}u + ${kk}u`, TK)};`),
        ...Array.from({ length: FN }, (_, j) => `let b${j} = ${load(right, 'Bs', `${kk * TN}u + sn0 + ${j * mma.n}u`, TN)};`),
        ...tiles((i, j) => `acc${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, acc${i}_${j});`),
      ];
      steps.push(`{\n      ${lines.join('\n      ')}\n    }`);
    }
    multiply = steps.join('\n    ');
    store = tiles((i, j) => storeTo('Cs', `(sm0 + ${i * mma.m}u) * ${TN}u + sn0 + ${j * mma.n}u`, `acc${i}_${j}`, TN)).join('\n  ');
  }

  return emitShader({
    storage: 'f16',
    // The subgroup's offsets come from its index, which uniformity analysis cannot see is uniform
    // within the subgroup: the check is turned off, and the device's self-test checks the results.
    directives: tile.emulated === true
      ? []
      : ['enable subgroups;', 'enable chromium_experimental_subgroup_matrix;', 'diagnostic(off, chromium.subgroup_matrix_uniformity);'],
    bindings: convBindings,
    workgroup: [threads],
    declarations: `
var<workgroup> As: array<f16, ${TM * TK}>;
var<workgroup> Bs: array<f16, ${TK * TN}>;
var<workgroup> Cs: array<f32, ${TM * TN}>;`,
    body: `${convGemmPrologue(TM, TN)}
  // This invocation's subgroup, and the part of the tile the subgroup computes.
  let sg = lidx / ${S}u;
  let lane = lidx % ${S}u;
  let sm0 = (sg / ${cols}u) * ${SM}u;
  let sn0 = (sg % ${cols}u) * ${SN}u;

  ${accumulators}

  for (var k0 = kBegin; k0 < kEnd; k0 += ${TK}u) {
    for (var q = 0u; q < ${(TM * TK) / threads}u; q++) {
      let e = lidx + ${threads}u * q;
      let m = m0 + e / ${TK}u;
      let k = k0 + e % ${TK}u;
      var a = f16(0.0);
      if (m < mg && k < kEnd) { a = f16(w[(g * mg + m) * K + k]); }
      As[e] = a;
    }
    for (var q = 0u; q < ${(TK * TN) / threads}u; q++) {
      let kk = lidx / ${TN}u + ${threads / TN}u * q;
      let kb = k0 + kk;
      ${gatherB('f16')}
      Bs[kk * ${TN}u + bCol] = b;
    }
    workgroupBarrier();
    ${multiply}
    workgroupBarrier();
  }

  ${store}
  workgroupBarrier();

  let outChannels = p(17u); let offset = p(18u);
  for (var q = 0u; q < ${(TM * TN) / threads}u; q++) {
    let e = lidx + ${threads}u * q;
    let m = m0 + e / ${TN}u;
    let col = p0 + e % ${TN}u;
    if (m >= mg || col >= P) { continue; }
    let gm = g * mg + m;
    if (splits > 1u) {
      partial[(split * groups * mg + gm) * P + col] = Cs[e];
    } else {
      var v = Cs[e] + f32(bias[gm]);
      ${epilogue(epi, 22)}
      y[((col / OHW) * outChannels + offset + gm) * OHW + col % OHW] = T(v);
    }
  }`,
  });
}

/**
 * Runs a matrix tile's kernel once on a small convolution (edges in M, N and K, two tiles each way)
 * and compares it with the same convolution computed here. Returns why it failed (compilation, or the
 * largest error), or undefined when it agrees. A device's subgroup matrices are used only after this.
 */
export async function checkMatrixTile(device: GPUDevice, tile: MatrixTile, code = convGemmMatrix('relu', tile)): Promise<string | undefined> {
  const [N, C, H, W, M, KH, KW] = [2, 5, 7, 9, 70, 3, 3];
  const [OH, OW] = [H, W]; // stride 1, pad 1
  const K = C * KH * KW;
  const P = N * OH * OW;
  let seed = 7;
  const random = (n: number): Float32Array => float16ArrayToFloat32(float32ArrayToFloat16(Float32Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed / 2 ** 32) * 2 - 1;
  })));
  const [x, w, bias] = [random(N * C * H * W), random(M * K), random(M)];
  const want = new Float32Array(N * M * OH * OW);
  for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let sum = bias[m];
    for (let c = 0; c < C; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const [ih, iw] = [oh + kh - 1, ow + kw - 1];
      if (ih >= 0 && ih < H && iw >= 0 && iw < W) sum += w[((m * C + c) * KH + kh) * KW + kw] * x[((n * C + c) * H + ih) * W + iw];
    }
    want[((n * M + m) * OH + oh) * OW + ow] = Math.max(sum, 0);
  }

  device.pushErrorScope('validation');
  const made: GPUBuffer[] = [];
  const buffer = (data: Uint16Array | Uint32Array | Float32Array, usage: number): GPUBuffer => {
    const b = device.createBuffer({ size: Math.ceil(Math.max(data.byteLength, 4) / 16) * 16, usage, mappedAtCreation: true });
    new Uint8Array(b.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    b.unmap();
    made.push(b);
    return b;
  };
  const run = async (): Promise<string | undefined> => {
    let pipeline: GPUComputePipeline;
    const module = device.createShaderModule({ code });
    try {
      pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    } catch (e) {
      const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
      const why = errors.length > 0 ? errors.map((m) => `line ${m.lineNum}: ${m.message}`).join('; ') : (e as Error).message;
      return `its kernel did not compile: ${why}`;
    }
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const params = new Params().u32(P, OH * OW, OW, M, K, C, H, W, C, KH, KW, 1, 1, 1, 1, 1, 1, M, 0, 1, 1, K).f32(0, 0);
    const out = buffer(new Uint16Array(want.length), storage);
    const bound = [
      buffer(params.words, GPUBufferUsage.UNIFORM),
      buffer(float32ArrayToFloat16(x), storage),
      buffer(float32ArrayToFloat16(w), storage),
      buffer(float32ArrayToFloat16(bias), storage),
      out,
      buffer(new Float32Array(4), storage),
    ];
    const read = device.createBuffer({ size: out.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    made.push(read);
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: bound.map((b, i) => ({ binding: i, resource: { buffer: b } })) });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(P / tile.n), Math.ceil(M / tile.m), 1);
    pass.end();
    encoder.copyBufferToBuffer(out, 0, read, 0, out.size);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const got = float16ArrayToFloat32(new Uint16Array(read.getMappedRange(), 0, want.length));
    read.unmap();
    let worst = 0;
    let scale = 0;
    want.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(got[i] - v));
      scale = Math.max(scale, Math.abs(v));
    });
    // The f16 products are exact; the f32 sums of 45 of them, and the f16 output, round.
    return worst <= 2e-3 * scale + 1e-3 ? undefined : `its result is off by ${worst.toExponential(2)} (outputs up to ${scale.toFixed(2)})`;
  };
  let failure: string | undefined;
  try {
    failure = await run();
  } catch (e) {
    failure = `it failed to run: ${(e as Error).message}`;
  } finally {
    for (const b of made) b.destroy();
  }
  const error = await device.popErrorScope();
  return failure ?? (error === null ? undefined : `WebGPU rejected it: ${error.message}`);
}
