// Emits the AssemblyScript of the Winograd transforms that f32-kernels.as calls, from the matrices of
// winograd-transforms.ts: per variant, B^T and A^T applied to alpha vectors as straight-line code (zero
// coefficients dropped, +-1 as adds and subtracts, the rest as multiply-adds in column order), and the
// dispatchers winogradBT / winogradAT that pick a variant by its index in winogradVariants. Generated
// code has the coefficients as constants: the loops over a coefficient table it replaces spent most of
// their time loading, testing and splatting coefficients. scripts/build-wasm.ts appends this to the source.

import { winogradMatrices, winogradVariants } from '../winograd-transforms.js';

/** A float as an AssemblyScript f32 literal (the matrices' entries are exact in float32). */
function literal(c: number): string {
  if (Math.fround(c) !== c) throw new Error(`transform coefficient ${c} is not exact in float32`);
  return Number.isInteger(c) ? `${c}.0` : String(c);
}

/** rows x cols matrix t applied to vectors x0 .. x{cols-1}: one expression per row. */
function rowExpressions(t: Float64Array, rows: number, cols: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    let acc = '';
    for (let j = 0; j < cols; j++) {
      const c = t[i * cols + j];
      if (c === 0) continue;
      const x = `x${j}`;
      if (acc === '') acc = c === 1 ? x : c === -1 ? `f32x4.neg(${x})` : `f32x4.mul(f32x4.splat(${literal(c)}), ${x})`;
      else acc = c === 1 ? `f32x4.add(${acc}, ${x})` : c === -1 ? `f32x4.sub(${acc}, ${x})` : `madd(f32x4.splat(${literal(c)}), ${x}, ${acc})`;
    }
    out.push(acc === '' ? 'f32x4.splat(0)' : acc);
  }
  return out;
}

/** One function: dst + i * ds = row i of t times the vectors at src + j * ss. */
function applyFunction(name: string, t: Float64Array, rows: number, cols: number): string {
  const lines = [`@inline function ${name}(src: usize, ss: usize, dst: usize, ds: usize): void {`];
  for (let j = 0; j < cols; j++) lines.push(`  const x${j} = v128.load(src + ${j} * ss);`);
  rowExpressions(t, rows, cols).forEach((e, i) => lines.push(`  v128.store(dst + ${i} * ds, ${e});`));
  lines.push('}');
  return lines.join('\n');
}

function dispatcher(name: string, targets: readonly string[]): string {
  const lines = [`@inline function ${name}(variant: i32, src: usize, ss: usize, dst: usize, ds: usize): void {`];
  targets.forEach((t, i) => lines.push(`  ${i === 0 ? 'if' : 'else if'} (variant == ${i}) ${t}(src, ss, dst, ds);`));
  lines.push('}');
  return lines.join('\n');
}

/** The generated AssemblyScript, to follow f32-kernels.as. */
export function winogradTransformSource(): string {
  const parts = ['', '// Generated from src/backends/cpu/winograd-transforms.ts by wasm/winograd-emit.ts.'];
  const bts: string[] = [];
  const ats: string[] = [];
  winogradVariants.forEach((v, i) => {
    const { bt, at } = winogradMatrices(v);
    const alpha = v.m + v.r - 1;
    const tag = `f${v.m}x${v.m}_${v.r}x${v.r}`;
    bts.push(`winogradBT_${tag}`);
    ats.push(`winogradAT_${tag}`);
    parts.push(`// Variant ${i}: F(${v.m}x${v.m},${v.r}x${v.r}), points ${v.points.join(', ')} and infinity.`);
    parts.push(applyFunction(bts[i], bt, alpha, alpha), applyFunction(ats[i], at, v.m, alpha));
  });
  parts.push(dispatcher('winogradBT', bts), dispatcher('winogradAT', ats), '');
  return parts.join('\n');
}
