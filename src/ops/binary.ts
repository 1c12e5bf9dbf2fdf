import type { DType } from '../core/dtype.js';
import type { ValueType } from '../ir/graph.js';
import { checkSameDType, inferBroadcastShape, mapBigInts, mapNumbers, needsBigInts } from './broadcast.js';
import { type InferContext, type OpDef, checkDType, floatTypes, numericTypes, requireInputs } from './op.js';

/** One elementwise binary op with NumPy broadcasting, described by its arithmetic. */
interface BinarySpec {
  readonly type: string;
  /** The dtypes of the two inputs and of the output, checked against what the op accepts. */
  types(ctx: InferContext, a: ValueType, b: ValueType): DType;
  /** The operation on float64 numbers; `dtype` is the first input's, for integer semantics. */
  num(a: number, b: number, dtype: DType): number;
  /** The operation on exact integers (used when an int64 takes part). */
  big(a: bigint, b: bigint): bigint;
}

function binaryOp(spec: BinarySpec): OpDef {
  return {
    type: spec.type,
    infer(ctx) {
      const [a, b] = requireInputs(ctx, 2);
      const dtype = spec.types(ctx, a, b);
      return [{ dtype, shape: inferBroadcastShape(ctx, [a, b]) }];
    },
    reference(ctx, inputs) {
      const xs = [inputs[0]!, inputs[1]!];
      const out = ctx.outputs[0];
      if (needsBigInts(xs)) return [mapBigInts(xs, out, ([a, b]) => spec.big(a, b))];
      const dtype = xs[0].dtype;
      return [mapNumbers(xs, out, ([a, b]) => spec.num(a, b, dtype))];
    },
  };
}

/** Both inputs of one dtype among those allowed; the output has it too. */
function sameType(allowed: readonly DType[]) {
  return (ctx: InferContext, a: ValueType, b: ValueType): DType => {
    checkDType(ctx.node, 'input A', a.dtype, allowed);
    checkSameDType(ctx, [a, b]);
    return a.dtype;
  };
}

const isInteger = (dtype: DType): boolean => dtype === 'int32' || dtype === 'int64' || dtype === 'uint8';

/** b^e on int64 with C's wrap-around; a negative exponent truncates 1/b^|e| toward zero. */
function powInt64(b: bigint, e: bigint): bigint {
  if (e < 0n) return b === 1n ? 1n : b === -1n ? (e % 2n === 0n ? 1n : -1n) : 0n;
  let result = 1n;
  let base = b;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) result = BigInt.asIntN(64, result * base);
    base = BigInt.asIntN(64, base * base);
  }
  return result;
}

export const add = binaryOp({
  type: 'Add',
  types: sameType(numericTypes),
  num: (a, b) => a + b,
  big: (a, b) => a + b,
});

export const sub = binaryOp({
  type: 'Sub',
  types: sameType(numericTypes),
  num: (a, b) => a - b,
  big: (a, b) => a - b,
});

export const mul = binaryOp({
  type: 'Mul',
  types: sameType(numericTypes),
  // A float64 product of two int32s can exceed 2^53; imul wraps exactly as C does.
  num: (a, b, dtype) => (dtype === 'int32' ? Math.imul(a, b) : a * b),
  big: (a, b) => a * b,
});

/** Integer division truncates toward zero, as in C; dividing an integer by zero gives 0 rather than a crash. */
export const div = binaryOp({
  type: 'Div',
  types: sameType(numericTypes),
  num: (a, b, dtype) => (isInteger(dtype) ? (b === 0 ? 0 : Math.trunc(a / b)) : a / b),
  big: (a, b) => (b === 0n ? 0n : a / b),
});

/** Pow: before opset 12 base and exponent share a float dtype; from 12 the exponent may be any numeric dtype. */
export const pow = binaryOp({
  type: 'Pow',
  types(ctx, base, exponent) {
    if (ctx.opset < 12) return sameType(floatTypes)(ctx, base, exponent);
    checkDType(ctx.node, 'input X (the base)', base.dtype, ['float32', 'float16', 'int32', 'int64']);
    checkDType(ctx.node, 'input Y (the exponent)', exponent.dtype, numericTypes);
    return base.dtype;
  },
  num: (a, b) => Math.pow(a, b),
  big: powInt64,
});

export const equal = binaryOp({
  type: 'Equal',
  types(ctx, a, b) {
    checkSameDType(ctx, [a, b]);
    return 'bool';
  },
  num: (a, b) => (a === b ? 1 : 0),
  big: (a, b) => (a === b ? 1n : 0n),
});

/** Comparisons give bool; numeric inputs of one dtype (floats only before opset 9). */
function comparison(ctx: InferContext, a: ValueType, b: ValueType): DType {
  checkDType(ctx.node, 'input A', a.dtype, ctx.opset < 9 ? floatTypes : numericTypes);
  checkSameDType(ctx, [a, b]);
  return 'bool';
}

const truth = (v: boolean) => (v ? 1 : 0);
const bigTruth = (v: boolean) => (v ? 1n : 0n);

export const less = binaryOp({ type: 'Less', types: comparison, num: (a, b) => truth(a < b), big: (a, b) => bigTruth(a < b) });
export const greater = binaryOp({ type: 'Greater', types: comparison, num: (a, b) => truth(a > b), big: (a, b) => bigTruth(a > b) });
/** LessOrEqual and GreaterOrEqual: opset 12+. */
export const lessOrEqual = binaryOp({ type: 'LessOrEqual', types: comparison, num: (a, b) => truth(a <= b), big: (a, b) => bigTruth(a <= b) });
export const greaterOrEqual = binaryOp({ type: 'GreaterOrEqual', types: comparison, num: (a, b) => truth(a >= b), big: (a, b) => bigTruth(a >= b) });

/** Logical ops take and give bool. */
const logical = sameType(['bool']);
export const and = binaryOp({ type: 'And', types: logical, num: (a, b) => truth(a !== 0 && b !== 0), big: (a, b) => a & b });
export const or = binaryOp({ type: 'Or', types: logical, num: (a, b) => truth(a !== 0 || b !== 0), big: (a, b) => a | b });
export const xor = binaryOp({ type: 'Xor', types: logical, num: (a, b) => truth((a !== 0) !== (b !== 0)), big: (a, b) => a ^ b });
