import { add, and, div, equal, greater, greaterOrEqual, less, lessOrEqual, mul, or, pow, sub, xor } from './binary.js';
import { cast } from './cast.js';
import { concat } from './concat.js';
import { constant } from './constant.js';
import { constantOfShape } from './constant-of-shape.js';
import { dropout } from './dropout.js';
import { flatten } from './flatten.js';
import { gather } from './gather.js';
import { identity } from './identity.js';
import { ifOp } from './if.js';
import { pad } from './pad.js';
import { reshape } from './reshape.js';
import { shape } from './shape.js';
import { slice } from './slice.js';
import { squeeze } from './squeeze.js';
import { transpose } from './transpose.js';
import { unsqueeze } from './unsqueeze.js';
import type { OpDef } from './op.js';
import { prelu } from './prelu.js';
import { convTranspose } from './conv-transpose.js';
import { instanceNormalization } from './instance-normalization.js';
import { layerNormalization } from './layer-normalization.js';
import { range } from './range.js';
import { resize, upsample } from './resize.js';
import { size } from './size.js';
import { split } from './split.js';
import { expand } from './expand.js';
import { tile } from './tile.js';
import { where } from './where.js';
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
import { max, mean, min, sum } from './variadic.js';
import { averagePool } from './average-pool.js';
import { batchNormalization } from './batch-normalization.js';
import { clip } from './clip.js';
import { conv } from './conv.js';
import { gemm } from './gemm.js';
import { globalAveragePool } from './global-average-pool.js';
import { globalMaxPool } from './global-max-pool.js';
import { lrn } from './lrn.js';
import { matMul } from './mat-mul.js';
import { maxPool } from './max-pool.js';
import { logSoftmax, softmax } from './softmax.js';

/** Every operator joule knows, by ONNX op type (default domain). An explicit table: no discovery by file name. */
export const ops: Readonly<Record<string, OpDef>> = {
  Add: add,
  Cast: cast,
  Concat: concat,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Div: div,
  Dropout: dropout,
  Equal: equal,
  Flatten: flatten,
  Gather: gather,
  Identity: identity,
  If: ifOp,
  Mul: mul,
  Pad: pad,
  Pow: pow,
  Reshape: reshape,
  Shape: shape,
  Slice: slice,
  Sqrt: sqrt,
  Squeeze: squeeze,
  Sub: sub,
  Sum: sum,
  Transpose: transpose,
  Unsqueeze: unsqueeze,
  Relu: relu,
  AveragePool: averagePool,
  BatchNormalization: batchNormalization,
  Clip: clip,
  Conv: conv,
  Gemm: gemm,
  GlobalAveragePool: globalAveragePool,
  GlobalMaxPool: globalMaxPool,
  LRN: lrn,
  LeakyRelu: leakyRelu,
  MatMul: matMul,
  MaxPool: maxPool,
  Sigmoid: sigmoid,
  Softmax: softmax,
  Tanh: tanh,
  // Elementwise unary
  Abs: abs,
  Ceil: ceil,
  Celu: celu,
  Cos: cos,
  Elu: elu,
  Erf: erfOp,
  Exp: exp,
  Floor: floor,
  Gelu: gelu,
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Log: log,
  Mish: mish,
  Neg: neg,
  Not: not,
  PRelu: prelu,
  Reciprocal: reciprocal,
  Round: round,
  Selu: selu,
  Shrink: shrink,
  Sign: sign,
  Sin: sin,
  Softplus: softplusOp,
  Softsign: softsign,
  ThresholdedRelu: thresholdedRelu,
  // Comparison, logic and variadic elementwise
  And: and,
  Greater: greater,
  GreaterOrEqual: greaterOrEqual,
  Less: less,
  LessOrEqual: lessOrEqual,
  Max: max,
  Mean: mean,
  Min: min,
  Or: or,
  Xor: xor,
  // Shape and data movement
  Expand: expand,
  Range: range,
  Resize: resize,
  Size: size,
  Split: split,
  Tile: tile,
  Upsample: upsample,
  Where: where,
  // Layers
  ConvTranspose: convTranspose,
  InstanceNormalization: instanceNormalization,
  LayerNormalization: layerNormalization,
  LogSoftmax: logSoftmax,
  // Reductions
  ArgMax: argMax,
  ArgMin: argMin,
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
};

export function opDef(type: string): OpDef | undefined {
  return Object.prototype.hasOwnProperty.call(ops, type) ? ops[type] : undefined;
}
