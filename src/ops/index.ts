import { add, div, equal, mul, pow, sub } from './binary.js';
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
import { sqrt } from './sqrt.js';
import { squeeze } from './squeeze.js';
import { sum } from './sum.js';
import { transpose } from './transpose.js';
import { unsqueeze } from './unsqueeze.js';
import type { OpDef } from './op.js';
import { relu } from './relu.js';
import { averagePool } from './average-pool.js';
import { batchNormalization } from './batch-normalization.js';
import { clip } from './clip.js';
import { conv } from './conv.js';
import { gemm } from './gemm.js';
import { globalAveragePool } from './global-average-pool.js';
import { globalMaxPool } from './global-max-pool.js';
import { leakyRelu } from './leaky-relu.js';
import { lrn } from './lrn.js';
import { matMul } from './mat-mul.js';
import { maxPool } from './max-pool.js';
import { sigmoid } from './sigmoid.js';
import { softmax } from './softmax.js';
import { tanh } from './tanh.js';

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
};

export function opDef(type: string): OpDef | undefined {
  return Object.prototype.hasOwnProperty.call(ops, type) ? ops[type] : undefined;
}
