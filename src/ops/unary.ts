import type { DType } from '../core/dtype.js';
import { mapBigInts, mapNumbers } from './broadcast.js';
import { Attrs, type OpDef, checkDType, floatTypes, numericTypes, requireInputs } from './op.js';

/** One elementwise unary op, described by its arithmetic. The output has the input's dtype and shape. */
interface UnarySpec {
  readonly type: string;
  readonly types: readonly DType[];
  /** The function on float64 numbers, given the node's attributes (read once per run). */
  fn(attrs: Attrs): (x: number) => number;
  /** The function on exact int64 values, for ops defined on integers. */
  big?: (x: bigint) => bigint;
}

function unaryOp(spec: UnarySpec): OpDef {
  return {
    type: spec.type,
    infer(ctx) {
      const [x] = requireInputs(ctx, 1);
      checkDType(ctx.node, 'input X', x.dtype, spec.types);
      return [x];
    },
    reference(ctx, [x]) {
      const out = ctx.outputs[0];
      if (x!.dtype === 'int64' && spec.big !== undefined) {
        const big = spec.big;
        return [mapBigInts([x!], out, ([v]) => big(v))];
      }
      const f = spec.fn(new Attrs(ctx.node));
      return [mapNumbers([x!], out, ([v]) => f(v))];
    },
  };
}

const signedTypes: readonly DType[] = ['float32', 'float16', 'int32', 'int64'];
const plain = (f: (x: number) => number) => () => f;

/**
 * erf(x) from the series (2/√π) e^(-x²) Σ (2x²)^n x / (1·3·...·(2n+1)), whose terms are all positive:
 * no cancellation, so it keeps full double precision near 0 (where float32 needs relative accuracy) and
 * up to |x| = 6, beyond which erf is ±1 in double.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const a = Math.abs(x);
  if (a >= 6) return Math.sign(x);
  const x2 = 2 * a * a;
  let term = a;
  let sum = a;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
}

/** log(1 + e^x) without overflow for large x. */
const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** Rounds halves to the nearest even integer, as ONNX Round (and NumPy) do. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const hardSigmoidOf = (alpha: number, beta: number) => (x: number) => Math.max(0, Math.min(1, alpha * x + beta));

export const abs = unaryOp({ type: 'Abs', types: numericTypes, fn: plain(Math.abs), big: (x) => (x < 0n ? -x : x) });
export const neg = unaryOp({ type: 'Neg', types: signedTypes, fn: plain((x) => -x), big: (x) => -x });
export const sign = unaryOp({ type: 'Sign', types: numericTypes, fn: plain(Math.sign), big: (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n) });
/** Relu: max(x, 0); integer inputs from opset 14. */
export const relu = unaryOp({ type: 'Relu', types: signedTypes, fn: plain((x) => (x > 0 ? x : 0)), big: (x) => (x > 0n ? x : 0n) });
export const not = unaryOp({ type: 'Not', types: ['bool'], fn: plain((x) => (x ? 0 : 1)) });
export const exp = unaryOp({ type: 'Exp', types: floatTypes, fn: plain(Math.exp) });
export const log = unaryOp({ type: 'Log', types: floatTypes, fn: plain(Math.log) });
export const sqrt = unaryOp({ type: 'Sqrt', types: floatTypes, fn: plain(Math.sqrt) });
export const reciprocal = unaryOp({ type: 'Reciprocal', types: floatTypes, fn: plain((x) => 1 / x) });
export const floor = unaryOp({ type: 'Floor', types: floatTypes, fn: plain(Math.floor) });
export const ceil = unaryOp({ type: 'Ceil', types: floatTypes, fn: plain(Math.ceil) });
export const round = unaryOp({ type: 'Round', types: floatTypes, fn: plain(roundHalfEven) });
export const erfOp = unaryOp({ type: 'Erf', types: floatTypes, fn: plain(erf) });
export const tanh = unaryOp({ type: 'Tanh', types: floatTypes, fn: plain(Math.tanh) });
export const sin = unaryOp({ type: 'Sin', types: floatTypes, fn: plain(Math.sin) });
export const cos = unaryOp({ type: 'Cos', types: floatTypes, fn: plain(Math.cos) });
/** Sigmoid: 1 / (1 + e^-x), each tail in the form that cannot overflow. */
export const sigmoid = unaryOp({
  type: 'Sigmoid',
  types: floatTypes,
  fn: plain((x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)))),
});
export const softplusOp = unaryOp({ type: 'Softplus', types: floatTypes, fn: plain(softplus) });
export const softsign = unaryOp({ type: 'Softsign', types: floatTypes, fn: plain((x) => x / (1 + Math.abs(x))) });
export const mish = unaryOp({ type: 'Mish', types: floatTypes, fn: plain((x) => x * Math.tanh(softplus(x))) });

export const leakyRelu = unaryOp({
  type: 'LeakyRelu',
  types: floatTypes,
  fn: (a) => {
    const alpha = a.float('alpha', 0.01);
    return (x) => (x < 0 ? alpha * x : x);
  },
});

export const thresholdedRelu = unaryOp({
  type: 'ThresholdedRelu',
  types: floatTypes,
  fn: (a) => {
    const alpha = a.float('alpha', 1);
    return (x) => (x > alpha ? x : 0);
  },
});

export const elu = unaryOp({
  type: 'Elu',
  types: floatTypes,
  fn: (a) => {
    const alpha = a.float('alpha', 1);
    return (x) => (x < 0 ? alpha * Math.expm1(x) : x);
  },
});

export const celu = unaryOp({
  type: 'Celu',
  types: floatTypes,
  fn: (a) => {
    const alpha = a.float('alpha', 1);
    return (x) => Math.max(0, x) + Math.min(0, alpha * Math.expm1(x / alpha));
  },
});

/** Selu: the defaults are the float32 values ONNX's schema lists. */
export const selu = unaryOp({
  type: 'Selu',
  types: floatTypes,
  fn: (a) => {
    const alpha = a.float('alpha', 1.67326319217681884765625);
    const gamma = a.float('gamma', 1.05070102214813232421875);
    return (x) => (x > 0 ? gamma * x : gamma * alpha * Math.expm1(x));
  },
});

export const hardSigmoid = unaryOp({
  type: 'HardSigmoid',
  types: floatTypes,
  fn: (a) => hardSigmoidOf(a.float('alpha', 0.2), a.float('beta', 0.5)),
});

/** HardSwish (opset 14): x * HardSigmoid(x) with alpha 1/6, beta 0.5. */
export const hardSwish = unaryOp({
  type: 'HardSwish',
  types: floatTypes,
  fn: () => {
    const gate = hardSigmoidOf(1 / 6, 0.5);
    return (x) => x * gate(x);
  },
});

/** Gelu (opset 20): exact with erf, or the tanh approximation when approximate='tanh'. */
export const gelu = unaryOp({
  type: 'Gelu',
  types: floatTypes,
  fn: (a) => {
    if (a.string('approximate', 'none') === 'tanh') {
      const c = Math.sqrt(2 / Math.PI);
      return (x) => 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x * x * x)));
    }
    return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
  },
});

export const shrink = unaryOp({
  type: 'Shrink',
  types: numericTypes,
  fn: (a) => {
    const lambd = a.float('lambd', 0.5);
    const bias = a.float('bias', 0);
    return (x) => (x < -lambd ? x + bias : x > lambd ? x - bias : 0);
  },
});
