// Emits the AssemblyScript of the FFT convolution's transforms that f32-kernels.as calls: radix-2
// decimation-in-time FFTs of 16 and 32 points on f32x4 vectors (four tiles in the lanes), as straight-line
// code. The FFT is unrolled symbolically: zero terms (the imaginary parts of a real input, the half of a
// Hermitian spectrum that is not stored) are propagated and dropped, twiddles of 1, -1, +-i are relabellings
// and negations, those at 45 degrees one multiply per part, and only what an output needs is emitted.
// scripts/build-wasm.ts appends this to the source.

/** The FFT sizes the kernels run (the tile side of an FFT convolution). */
export const fftSizes = [16, 32] as const;
export type FftSize = (typeof fftSizes)[number];

/** A computed vector: the text that computes it and what it reads, emitted once, when an output needs it. */
interface Node {
  readonly name: string;
  readonly text: string;
  readonly deps: readonly Node[];
}

/** A real term: a node, possibly negated, or zero (null). */
type Term = { readonly node: Node; readonly neg: boolean } | null;

interface Complex {
  readonly re: Term;
  readonly im: Term;
}

/** Builds the nodes of one function and emits those its outputs need, in dependency order. */
class Unroller {
  private count = 0;

  node(text: string, deps: readonly Node[]): Node {
    return { name: `t${this.count++}`, text, deps };
  }

  load(address: string): Term {
    return { node: this.node(`v128.load(${address})`, []), neg: false };
  }

  neg(a: Term): Term {
    return a === null ? null : { node: a.node, neg: !a.neg };
  }

  add(a: Term, b: Term): Term {
    if (a === null) return b;
    if (b === null) return a;
    if (a.neg === b.neg) return { node: this.node(`f32x4.add(${a.node.name}, ${b.node.name})`, [a.node, b.node]), neg: a.neg };
    // One of them is negated: the other minus it.
    const [p, n] = a.neg ? [b, a] : [a, b];
    return { node: this.node(`f32x4.sub(${p.node.name}, ${n.node.name})`, [p.node, n.node]), neg: false };
  }

  sub(a: Term, b: Term): Term {
    return this.add(a, this.neg(b));
  }

  scale(a: Term, c: number): Term {
    if (a === null || c === 0) return null;
    if (Math.abs(c) === 1) return c < 0 ? this.neg(a) : a;
    return { node: this.node(`f32x4.mul(f32x4.splat(${Math.fround(Math.abs(c))}), ${a.node.name})`, [a.node]), neg: a.neg !== c < 0 };
  }

  /** z times e^(i theta), theta a multiple of pi / 16. */
  rotate(z: Complex, theta: number): Complex {
    const c = roundUnit(Math.cos(theta));
    const s = roundUnit(Math.sin(theta));
    if (s === 0) return c === 1 ? z : { re: this.neg(z.re), im: this.neg(z.im) };
    if (c === 0) return s === 1 ? { re: this.neg(z.im), im: z.re } : { re: z.im, im: this.neg(z.re) };
    if (Math.abs(c) === Math.abs(s)) {
      // (re + i im)(c + i s) with |c| = |s|: c (re - sign im) + i c (sign re + im), sign = s / c.
      const sign = Math.sign(s / c);
      return { re: this.scale(this.sub(z.re, this.scale(z.im, sign)), c), im: this.scale(this.add(this.scale(z.re, sign), z.im), c) };
    }
    return {
      re: this.sub(this.scale(z.re, c), this.scale(z.im, s)),
      im: this.add(this.scale(z.re, s), this.scale(z.im, c)),
    };
  }

  /** The DFT of x, sum over j of x_j e^(sign 2 pi i j k / n), by recursive decimation in time. */
  fft(x: readonly Complex[], sign: 1 | -1): Complex[] {
    const n = x.length;
    if (n === 1) return [...x];
    const even = this.fft(x.filter((_, i) => i % 2 === 0), sign);
    const odd = this.fft(x.filter((_, i) => i % 2 === 1), sign);
    const out = new Array<Complex>(n);
    for (let k = 0; k < n / 2; k++) {
      const t = this.rotate(odd[k], (sign * 2 * Math.PI * k) / n);
      out[k] = { re: this.add(even[k].re, t.re), im: this.add(even[k].im, t.im) };
      out[k + n / 2] = { re: this.sub(even[k].re, t.re), im: this.sub(even[k].im, t.im) };
    }
    return out;
  }

  /** The lines that store each (address, term), preceded by every node they need, each once. */
  emit(stores: readonly (readonly [string, Term])[]): string[] {
    const lines: string[] = [];
    const done = new Set<Node>();
    const visit = (node: Node): void => {
      if (done.has(node)) return;
      done.add(node);
      node.deps.forEach(visit);
      lines.push(`  const ${node.name} = ${node.text};`);
    };
    for (const [address, term] of stores) {
      if (term === null) {
        lines.push(`  v128.store(${address}, f32x4.splat(0));`);
        continue;
      }
      visit(term.node);
      lines.push(`  v128.store(${address}, ${term.neg ? `f32x4.neg(${term.node.name})` : term.node.name});`);
    }
    return lines;
  }
}

/** cos or sin rounded to exactly 0 or +-1 where it is one of them. */
function roundUnit(v: number): number {
  for (const exact of [0, 1, -1]) if (Math.abs(v - exact) < 1e-12) return exact;
  return v;
}

/**
 * The half-complex index of each part of a real signal's spectrum, as the kernels store it: Re 0, Re 1,
 * Im 1, ..., Re n/2-1, Im n/2-1, Re n/2 (n reals in all).
 */
function halfComplexRe(k: number, n: number): number {
  return k === 0 ? 0 : k === n / 2 ? n - 1 : 2 * k - 1;
}

/** A function; the unrolled FFTs are too large to inline at every call. */
function fn(name: string, params: string, body: string[], inline = false): string {
  return [`${inline ? '@inline ' : ''}function ${name}(${params}): void {`, ...body, '}'].join('\n');
}

/** Forward DFT of n real vectors (at src + j ss) into its n half-complex parts (at dst + h ds). */
function realForward(n: number): string {
  const u = new Unroller();
  const x = Array.from({ length: n }, (_, j) => ({ re: u.load(`src + ${j} * ss`), im: null }));
  const y = u.fft(x, -1);
  const stores: [string, Term][] = [];
  for (let k = 0; k <= n / 2; k++) {
    stores.push([`dst + ${halfComplexRe(k, n)} * ds`, y[k].re]);
    if (k > 0 && k < n / 2) stores.push([`dst + ${2 * k} * ds`, y[k].im]);
  }
  return fn(`fftRealForward${n}`, 'src: usize, ss: usize, dst: usize, ds: usize', u.emit(stores));
}

/** Forward DFT of n complex vectors (Re at src + j ss, Im si further) into n (Re at dst + k ds, Im di further). */
function complexForward(n: number): string {
  const u = new Unroller();
  const x = Array.from({ length: n }, (_, j) => ({ re: u.load(`src + ${j} * ss`), im: u.load(`src + ${j} * ss + si`) }));
  const y = u.fft(x, -1);
  const stores = y.flatMap((z, k) => [[`dst + ${k} * ds`, z.re], [`dst + ${k} * ds + di`, z.im]] as [string, Term][]);
  return fn(`fftComplexForward${n}`, 'src: usize, ss: usize, si: usize, dst: usize, ds: usize, di: usize', u.emit(stores));
}

/**
 * Inverse DFT (unscaled, sum over k of X_k e^(2 pi i j k / n)) of a Hermitian spectrum given by its n
 * half-complex parts (at src + h ss): the n real outputs, at dst + j ds.
 */
function realInverse(n: number): string {
  const u = new Unroller();
  const parts = Array.from({ length: n }, (_, h) => u.load(`src + ${h} * ss`));
  const half: Complex[] = [];
  for (let k = 0; k <= n / 2; k++) half.push({ re: parts[halfComplexRe(k, n)], im: k > 0 && k < n / 2 ? parts[2 * k] : null });
  const x = Array.from({ length: n }, (_, k) => (k <= n / 2 ? half[k] : { re: half[n - k].re, im: u.neg(half[n - k].im) }));
  const y = u.fft(x, 1);
  return fn(`fftRealInverse${n}`, 'src: usize, ss: usize, dst: usize, ds: usize', u.emit(y.map((z, j) => [`dst + ${j} * ds`, z.re])));
}

/** Inverse DFT (unscaled) of n complex vectors (Re at src + k ss, Im si further) into n (Re at dst + j ds, Im di further). */
function complexInverse(n: number): string {
  const u = new Unroller();
  const x = Array.from({ length: n }, (_, k) => ({ re: u.load(`src + ${k} * ss`), im: u.load(`src + ${k} * ss + si`) }));
  const y = u.fft(x, 1);
  const stores = y.flatMap((z, j) => [[`dst + ${j} * ds`, z.re], [`dst + ${j} * ds + di`, z.im]] as [string, Term][]);
  return fn(`fftComplexInverse${n}`, 'src: usize, ss: usize, si: usize, dst: usize, ds: usize, di: usize', u.emit(stores));
}

function dispatcher(name: string, params: string, args: string): string {
  const body = fftSizes.map((n, i) => `  ${i === 0 ? 'if' : 'else'} ${i === fftSizes.length - 1 ? '' : `(n == ${n}) `}${name}${n}(${args});`);
  return fn(name, `n: i32, ${params}`, body, true);
}

/** The generated AssemblyScript, to follow f32-kernels.as. */
export function fftTransformSource(): string {
  const parts = ['', '// Generated by src/backends/cpu/wasm/fft-emit.ts: radix-2 FFTs unrolled on f32x4 vectors.'];
  for (const n of fftSizes) parts.push(realForward(n), complexForward(n), realInverse(n), complexInverse(n));
  const real = 'src: usize, ss: usize, dst: usize, ds: usize';
  const complex = 'src: usize, ss: usize, si: usize, dst: usize, ds: usize, di: usize';
  parts.push(
    dispatcher('fftRealForward', real, 'src, ss, dst, ds'),
    dispatcher('fftComplexForward', complex, 'src, ss, si, dst, ds, di'),
    dispatcher('fftRealInverse', real, 'src, ss, dst, ds'),
    dispatcher('fftComplexInverse', complex, 'src, ss, si, dst, ds, di'),
    '',
  );
  return parts.join('\n');
}
