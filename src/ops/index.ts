import { averagePool } from './average-pool.js';
import { batchNormalization } from './batch-normalization.js';
import { add, and, div, equal, greater, greaterOrEqual, less, lessOrEqual, mul, or, pow, sub, xor } from './binary.js';
import { cast } from './cast.js';
import { clip } from './clip.js';
import { concat } from './concat.js';
import { constantOfShape } from './constant-of-shape.js';
import { constant } from './constant.js';
import { convTranspose } from './conv-transpose.js';
import { conv } from './conv.js';
import { dropout } from './dropout.js';
import { expand } from './expand.js';
import { flatten } from './flatten.js';
import { gather } from './gather.js';
import { gemm } from './gemm.js';
import { globalAveragePool } from './global-average-pool.js';
import { globalMaxPool } from './global-max-pool.js';
import { identity } from './identity.js';
import { ifOp } from './if.js';
import { instanceNormalization } from './instance-normalization.js';
import { layerNormalization } from './layer-normalization.js';
import { lrn } from './lrn.js';
import { matMul } from './mat-mul.js';
import { maxPool } from './max-pool.js';
import type { OpDef } from './op.js';
import { pad } from './pad.js';
import { prelu } from './prelu.js';
import { range } from './range.js';
import {
  argMax,
  argMin,
  reduceL1,
  reduceL2,
  reduceLogSum,
  reduceLogSumExp,
  reduceMax,
  reduceMean,
  reduceMin,
  reduceProd,
  reduceSum,
  reduceSumSquare,
} from './reduce.js';
import { reshape } from './reshape.js';
import { resize, upsample } from './resize.js';
import { shape } from './shape.js';
import { size } from './size.js';
import { slice } from './slice.js';
import { logSoftmax, softmax } from './softmax.js';
import { split } from './split.js';
import { squeeze } from './squeeze.js';
import { tile } from './tile.js';
import { transpose } from './transpose.js';
import {
  abs,
  ceil,
  celu,
  cos,
  elu,
  erfOp,
  exp,
  floor,
  gelu,
  hardSigmoid,
  hardSwish,
  leakyRelu,
  log,
  mish,
  neg,
  not,
  reciprocal,
  relu,
  round,
  selu,
  shrink,
  sigmoid,
  sign,
  sin,
  softplusOp,
  softsign,
  sqrt,
  tanh,
  thresholdedRelu,
} from './unary.js';
import { unsqueeze } from './unsqueeze.js';
import { max, mean, min, sum } from './variadic.js';
import { where } from './where.js';

/** Every operator joule knows, by ONNX op type (default domain). An explicit table: no discovery by file name. */
export const ops: Readonly<Record<string, OpDef>> = {
  Abs: abs,
  Add: add,
  And: and,
  ArgMax: argMax,
  ArgMin: argMin,
  AveragePool: averagePool,
  BatchNormalization: batchNormalization,
  Cast: cast,
  Ceil: ceil,
  Celu: celu,
  Clip: clip,
  Concat: concat,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Conv: conv,
  ConvTranspose: convTranspose,
  Cos: cos,
  Div: div,
  Dropout: dropout,
  Elu: elu,
  Equal: equal,
  Erf: erfOp,
  Exp: exp,
  Expand: expand,
  Flatten: flatten,
  Floor: floor,
  Gather: gather,
  Gelu: gelu,
  Gemm: gemm,
  GlobalAveragePool: globalAveragePool,
  GlobalMaxPool: globalMaxPool,
  Greater: greater,
  GreaterOrEqual: greaterOrEqual,
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Identity: identity,
  If: ifOp,
  InstanceNormalization: instanceNormalization,
  LayerNormalization: layerNormalization,
  LeakyRelu: leakyRelu,
  Less: less,
  LessOrEqual: lessOrEqual,
  Log: log,
  LogSoftmax: logSoftmax,
  LRN: lrn,
  MatMul: matMul,
  Max: max,
  MaxPool: maxPool,
  Mean: mean,
  Min: min,
  Mish: mish,
  Mul: mul,
  Neg: neg,
  Not: not,
  Or: or,
  Pad: pad,
  Pow: pow,
  PRelu: prelu,
  Range: range,
  Reciprocal: reciprocal,
  ReduceL1: reduceL1,
  ReduceL2: reduceL2,
  ReduceLogSum: reduceLogSum,
  ReduceLogSumExp: reduceLogSumExp,
  ReduceMax: reduceMax,
  ReduceMean: reduceMean,
  ReduceMin: reduceMin,
  ReduceProd: reduceProd,
  ReduceSum: reduceSum,
  ReduceSumSquare: reduceSumSquare,
  Relu: relu,
  Reshape: reshape,
  Resize: resize,
  Round: round,
  Selu: selu,
  Shape: shape,
  Shrink: shrink,
  Sigmoid: sigmoid,
  Sign: sign,
  Sin: sin,
  Size: size,
  Slice: slice,
  Softmax: softmax,
  Softplus: softplusOp,
  Softsign: softsign,
  Split: split,
  Sqrt: sqrt,
  Squeeze: squeeze,
  Sub: sub,
  Sum: sum,
  Tanh: tanh,
  ThresholdedRelu: thresholdedRelu,
  Tile: tile,
  Transpose: transpose,
  Unsqueeze: unsqueeze,
  Upsample: upsample,
  Where: where,
  Xor: xor,
};

export function opDef(type: string): OpDef | undefined {
  return Object.prototype.hasOwnProperty.call(ops, type) ? ops[type] : undefined;
}
