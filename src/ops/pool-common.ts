import type { DType } from '../core/dtype.js';
import { type Dim, formatShape } from '../core/shape.js';
import type { Node, ValueType } from '../ir/graph.js';
import { Attrs, type InferContext, checkDType, nodeError, requireInputs } from './op.js';
import { type WindowAttrs, readWindowAttrs, windowOutputDims } from './sliding-window.js';

/** The window of MaxPool or AveragePool: kernel_shape is required and fixes the spatial rank. */
export function poolWindow(node: Node): WindowAttrs {
  const a = new Attrs(node);
  const w = readWindowAttrs(node, a.required('kernel_shape', a.ints('kernel_shape')));
  // A window wholly in the padding would have no maximum and no average.
  if (w.pads.some((p, i) => p >= w.kernel[i % w.kernel.length])) {
    throw nodeError(node, `pads [${w.pads.join(', ')}] must be smaller than kernel_shape ${formatShape(w.kernel)}`, 'MODEL_INVALID');
  }
  return w;
}

/** Shape inference shared by MaxPool and AveragePool: X is [N, C, spatial...] and keeps N and C. */
export function inferPool(ctx: InferContext, allowed: readonly DType[]): ValueType {
  const [x] = requireInputs(ctx, 1);
  checkDType(ctx.node, 'input X', x.dtype, allowed);
  const w = poolWindow(ctx.node);
  if (x.shape === undefined) return { dtype: x.dtype, shape: undefined };
  if (x.shape.length !== w.kernel.length + 2) {
    throw nodeError(ctx.node, `input X ${formatShape(x.shape)} must have rank ${w.kernel.length + 2} for kernel_shape ${formatShape(w.kernel)}`);
  }
  const spatial = windowOutputDims(ctx.node, w, x.shape.slice(2));
  return { dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...spatial] };
}

/** Shape inference of the global pools: [N, C, spatial...] becomes [N, C, 1, ...]. */
export function inferGlobalPool(ctx: InferContext, allowed: readonly DType[]): ValueType {
  const [x] = requireInputs(ctx, 1);
  checkDType(ctx.node, 'input X', x.dtype, allowed);
  if (x.shape === undefined) return { dtype: x.dtype, shape: undefined };
  if (x.shape.length < 3) throw nodeError(ctx.node, `input X ${formatShape(x.shape)} must be [N, C, spatial...] (rank 3 or more)`);
  const shape: Dim[] = x.shape.map((d, i) => (i < 2 ? d : 1));
  return { dtype: x.dtype, shape };
}

/** Splits a concrete [N, C, spatial...] shape into the number of planes and the size of each. */
export function planes(shape: readonly number[]): { count: number; size: number } {
  let size = 1;
  for (let i = 2; i < shape.length; i++) size *= shape[i];
  return { count: shape[0] * shape[1], size };
}
