/**
 * The one small emitter every WGSL kernel goes through. A kernel is a template: TypeScript that returns
 * WGSL for a storage type and a few compile-time choices (tile, epilogue). Every size is read at run time
 * from a block of u32 parameters, so one compiled pipeline serves every batch size and layer shape, and
 * the WGSL text itself is the pipeline cache's key.
 */

/** How values are stored in GPU memory; arithmetic is f32 either way. */
export type Storage = 'f32' | 'f16';

/** Parameter words per dispatch: a 256-byte uniform slot. */
export const paramWords = 64;

export interface Binding {
  readonly name: string;
  /** 'read' for inputs, 'read_write' for outputs and scratch. */
  readonly access: 'read' | 'read_write';
  /** The element type: 'T' (the storage type), 'f32', 'u32', or a vector such as 'vec4<T>'. */
  readonly type: string;
}

export interface ShaderTemplate {
  readonly storage: Storage;
  readonly bindings: readonly Binding[];
  readonly workgroup: readonly [number, number?, number?];
  /** Directives after `enable f16;` (other extensions, diagnostics). */
  readonly directives?: readonly string[];
  /** Module-scope declarations (workgroup memory, helper functions, constants). */
  readonly declarations?: string;
  /** More parameters of `main`, such as `@builtin(subgroup_id) sg: u32`. */
  readonly builtins?: readonly string[];
  /** The body of `main`, which sees `gid`, `lid`, `wid` (global, local and workgroup ids) and `lidx`. */
  readonly body: string;
}

/** Emits a compute shader: parameters at binding 0, then each buffer binding in order. */
export function emitShader(t: ShaderTemplate): string {
  const [x, y = 1, z = 1] = t.workgroup;
  const bindings = t.bindings.map((b, i) => `@group(0) @binding(${i + 1}) var<storage, ${b.access}> ${b.name}: array<${b.type}>;`);
  return [
    t.storage === 'f16' || t.bindings.some((b) => b.type.includes('f16')) ? 'enable f16;' : '',
    ...(t.directives ?? []),
    `alias T = ${t.storage};`,
    `@group(0) @binding(0) var<uniform> params: array<vec4<u32>, ${paramWords / 4}>;`,
    'fn p(i: u32) -> u32 { return params[i / 4u][i % 4u]; }',
    'fn pf(i: u32) -> f32 { return bitcast<f32>(p(i)); }',
    ...bindings,
    t.declarations ?? '',
    `@compute @workgroup_size(${x}, ${y}, ${z})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,',
    '        @builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32,',
    `        @builtin(num_workgroups) nwg: vec3<u32>${(t.builtins ?? []).map((b) => `, ${b}`).join('')}) {`,
    t.body,
    '}',
  ].join('\n');
}

/** Packs numbers into a parameter block: integers as u32, values marked with `f32()` as float bits. */
export class Params {
  readonly words = new Uint32Array(paramWords);
  private readonly floats = new Float32Array(this.words.buffer);
  private length = 0;

  u32(...values: number[]): this {
    for (const v of values) {
      if (!Number.isInteger(v) || v < 0 || v >= 2 ** 32) throw new Error(`parameter ${v} is not a u32`);
      this.words[this.length++] = v;
    }
    return this;
  }

  f32(...values: number[]): this {
    for (const v of values) this.floats[this.length++] = v;
    return this;
  }
}
