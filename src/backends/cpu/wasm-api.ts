// The part of the WebAssembly JavaScript API the cpu backend uses. The project compiles against ES2022
// and Node's types, neither of which declares it; a module-local declaration keeps the global types clean.

export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: ArrayBufferView | ArrayBuffer) => WasmModule;
  Instance: new (module: WasmModule, imports?: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
}

/** The runtime's WebAssembly object (Node and browsers both have it). */
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
