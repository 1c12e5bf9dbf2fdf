import type { DType } from '../core/dtype.js';
import { checkSameDType, inferBroadcastShape, mapBigInts, mapNumbers, needsBigInts } from './broadcast.js';
import { type OpDef, checkDType, floatTypes, numericTypes } from './op.js';
import { variadicInputs } from './operands.js';

/** One elementwise op over one or more inputs of one dtype, with NumPy broadcasting (opset 8+). */
interface VariadicSpec {
  readonly type: string;
  /** The dtypes the op takes at an opset. */
  types(opset: number): readonly DType[];
  num(values: readonly number[]): number;
  /** Exact int64 version; integer inputs with an int64 among them use it. */
  big?: (values: readonly bigint[]) => bigint;
}

function variadicOp(spec: VariadicSpec): OpDef {
  return {
    type: spec.type,
    infer(ctx) {
      const types = variadicInputs(ctx);
      checkDType(ctx.node, 'input 0', types[0].dtype, spec.types(ctx.opset));
      checkSameDType(ctx, types);
      return [{ dtype: types[0].dtype, shape: inferBroadcastShape(ctx, types) }];
    },
    reference(ctx, inputs) {
      const xs = inputs.map((t) => t!);
      const out = ctx.outputs[0];
      if (spec.big !== undefined && needsBigInts(xs)) return [mapBigInts(xs, out, spec.big)];
      return [mapNumbers(xs, out, spec.num)];
    },
  };
}

/** Before opset 12 Max and Min take floats only. */
const floatsThenNumeric = (opset: number) => (opset < 12 ? floatTypes : numericTypes);

export const sum = variadicOp({
  type: 'Sum',
  types: () => numericTypes,
  num: (vs) => vs.reduce((a, b) => a + b, 0),
  big: (vs) => vs.reduce((a, b) => a + b, 0n),
});

/** Max and Min propagate NaN, as NumPy's maximum and minimum do. */
export const max = variadicOp({
  type: 'Max',
  types: floatsThenNumeric,
  num: (vs) => Math.max(...vs),
  big: (vs) => vs.reduce((a, b) => (b > a ? b : a)),
});

export const min = variadicOp({
  type: 'Min',
  types: floatsThenNumeric,
  num: (vs) => Math.min(...vs),
  big: (vs) => vs.reduce((a, b) => (b < a ? b : a)),
});

export const mean = variadicOp({
  type: 'Mean',
  types: () => floatTypes,
  num: (vs) => vs.reduce((a, b) => a + b, 0) / vs.length,
});
