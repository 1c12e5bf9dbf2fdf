import { fail } from './errors.js';

/** A dimension: a known size, or a symbol (such as the batch dimension 'N') whose size is fixed at run time. */
export type Dim = number | string;
export type Shape = readonly Dim[];

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isConcrete(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export function formatShape(shape: Shape | undefined): string {
  return shape === undefined ? '[?]' : `[${shape.join(', ')}]`;
}

/** Row-major strides of a concrete shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Maps a possibly negative axis into [0, rank), or fails naming the op. */
export function normalizeAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail('SHAPE_MISMATCH', `${what}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** NumPy multidirectional broadcasting over possibly symbolic shapes. */
export function broadcastShapes(shapes: readonly Shape[], what: string): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === 1) continue;
      // '?' is the weakest: any other dimension tells more about the result.
      if (dim === 1 || dim === d || dim === '?') dim = d;
      else if (d === '?') continue;
      else if (typeof dim === 'string' || typeof d === 'string') {
        // Two different symbols, or a symbol against a size: the size wins; a mismatch shows at run time.
        dim = typeof dim === 'number' ? dim : d;
      } else {
        fail('SHAPE_MISMATCH', `${what}: shapes ${shapes.map(formatShape).join(' and ')} cannot be broadcast`);
      }
    }
    out.push(dim);
  }
  return out;
}

/** Output size of a convolution or pooling window along one axis (floor, or ceil for Caffe-style pooling). */
export function windowOutputSize(
  input: number,
  kernel: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation: number,
  ceilMode: boolean,
): number {
  const span = dilation * (kernel - 1) + 1;
  const numer = input + padBegin + padEnd - span;
  let out = (ceilMode ? Math.ceil(numer / stride) : Math.floor(numer / stride)) + 1;
  // With ceil rounding the last window must start inside the input or the leading padding.
  if (ceilMode && (out - 1) * stride >= input + padBegin) out--;
  return out;
}

/** SAME_UPPER / SAME_LOWER padding of one axis: output = ceil(input / stride). */
export function autoPad(
  input: number,
  kernel: number,
  stride: number,
  dilation: number,
  mode: 'SAME_UPPER' | 'SAME_LOWER',
): [number, number] {
  const out = Math.ceil(input / stride);
  const total = Math.max(0, (out - 1) * stride + dilation * (kernel - 1) + 1 - input);
  const small = Math.floor(total / 2);
  return mode === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
}

// Symbolic dimension arithmetic. A symbolic product is written 'N' or '3*N*T'; enough to carry a batch
// dimension through Flatten and Reshape(-1) and back out again.
interface Monomial {
  coef: number;
  syms: string[];
}

function toMonomial(d: Dim): Monomial | undefined {
  if (typeof d === 'number') return { coef: d, syms: [] };
  if (d === '?') return undefined;
  let coef = 1;
  const syms: string[] = [];
  for (const part of d.split('*')) {
    const n = Number(part);
    if (part !== '' && Number.isInteger(n)) coef *= n;
    else syms.push(part);
  }
  return { coef, syms: syms.sort() };
}

function fromMonomial(m: Monomial): Dim {
  if (m.syms.length === 0) return m.coef;
  if (m.coef === 0) return 0;
  return m.coef === 1 ? m.syms.join('*') : `${m.coef}*${m.syms.join('*')}`;
}

/** The product of dimensions, symbolic where a symbol takes part; '?' where nothing is known. */
export function dimProduct(dims: readonly Dim[]): Dim {
  const acc: Monomial = { coef: 1, syms: [] };
  for (const d of dims) {
    const m = toMonomial(d);
    if (m === undefined) return '?';
    acc.coef *= m.coef;
    acc.syms.push(...m.syms);
  }
  acc.syms.sort();
  return fromMonomial(acc);
}

/** a / b for symbolic dimensions; '?' when the quotient is not a whole monomial. */
export function dimQuotient(a: Dim, b: Dim): Dim {
  const ma = toMonomial(a);
  const mb = toMonomial(b);
  if (ma === undefined || mb === undefined || mb.coef === 0 || ma.coef % mb.coef !== 0) return '?';
  const syms = [...ma.syms];
  for (const s of mb.syms) {
    const i = syms.indexOf(s);
    if (i < 0) return '?';
    syms.splice(i, 1);
  }
  return fromMonomial({ coef: ma.coef / mb.coef, syms });
}
