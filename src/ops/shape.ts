import { Tensor } from '../core/tensor.js';
import { Attrs, type InferContext, type OpDef, requireInputs } from './op.js';

/** The [start, end) range of dims Shape reports: all before opset 15, then clamped start/end attributes. */
function dimRange(ctx: Pick<InferContext, 'node' | 'opset'>, rank: number): [number, number] {
  if (ctx.opset < 15) return [0, rank];
  const attrs = new Attrs(ctx.node);
  const clamp = (v: number) => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  return [clamp(attrs.int('start', 0)), clamp(attrs.int('end', rank))];
}

/**
 * Shape: the input's dims as a 1-D int64 tensor (start/end pick a range from opset 15). Its value is
 * known only when the input runs; a symbolic input gives no constant.
 */
export const shape: OpDef = {
  type: 'Shape',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    if (x.shape === undefined) return [{ dtype: 'int64', shape: ['?'] }];
    const [start, end] = dimRange(ctx, x.shape.length);
    return [{ dtype: 'int64', shape: [Math.max(0, end - start)] }];
  },
  reference(ctx, [x]) {
    const [start, end] = dimRange(ctx, x!.rank);
    const dims = x!.shape.slice(start, Math.max(start, end));
    return [Tensor.from('int64', dims, [dims.length])];
  },
};
