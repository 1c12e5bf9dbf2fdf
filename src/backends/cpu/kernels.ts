import { decodeBase64, enableWasmFeature } from '../../platform/host.js';
import { relaxedWasm, simd128Wasm } from './wasm/kernels.generated.js';
import { type WasmModule, wasm } from './wasm-api.js';

/** Which build of the kernels runs: relaxed SIMD (fused multiply-add) or plain SIMD (multiply, then add). */
export type KernelBuild = 'relaxed' | 'simd128';

/** The kernels' entry points, in the order the thread pool numbers them. */
export const kernelNames = [
  'f32_conv_gemm_6x8', 'f32_gemv_4x4', 'f32_maxpool2d__simd128', 'f32_avgpool2d__simd128', 'f32_lrn__simd128', 'f32_concat',
  'f16_gemv_4x4', 'f32_winograd_input__simd128', 'f32_winograd_output__simd128', 'f32_space_to_depth',
  'f32_fft_input__simd128', 'f32_fft_output__simd128', 'f32_softmax', 'f32_conv_direct', 'f32_fc_gemm',
] as const;
export type KernelName = (typeof kernelNames)[number];
export type KernelFn = (params: number, ith: number, nth: number) => void;

// The smallest module that uses a relaxed SIMD instruction: (func (param v128) (result v128)
// local.get 0 local.get 0 local.get 0 f32x4.relaxed_madd). It validates only where relaxed SIMD is on.
const relaxedProbe = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7b, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0xfd, 0x85, 0x02, 0x0b,
]);

let relaxedAvailable: boolean | undefined;

/** Whether this runtime runs relaxed SIMD; in Node 20 it is behind a V8 flag, turned on before the first compile (browsers have it on or off). */
export function hasRelaxedSimd(): boolean {
  if (relaxedAvailable === undefined) {
    if (!wasm.validate(relaxedProbe)) enableWasmFeature('relaxed-simd');
    relaxedAvailable = wasm.validate(relaxedProbe);
  }
  return relaxedAvailable;
}

const modules = new Map<KernelBuild, WasmModule>();

/** The compiled kernels of a build (compiled once per process); by default the best this runtime runs. */
export function kernelModule(build: KernelBuild = hasRelaxedSimd() ? 'relaxed' : 'simd128'): WasmModule {
  let module = modules.get(build);
  if (module === undefined) {
    if (build === 'relaxed' && !hasRelaxedSimd()) throw new Error('this runtime does not support relaxed SIMD');
    module = new wasm.Module(decodeBase64(build === 'relaxed' ? relaxedWasm : simd128Wasm));
    modules.set(build, module);
  }
  return module;
}
