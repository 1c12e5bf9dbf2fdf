import { type Dim, dimProduct, formatShape, stridesOf } from '../core/shape.js';
import { indexMap, intValues, take } from './indexing.js';
import { type OpDef, checkDType, checkRank, nodeError, requireInputs } from './op.js';

/** Tile: repeats the input `repeats[i]` times along each axis i (repeats: int64, one per input axis). */
export const tile: OpDef = {
  type: 'Tile',
  infer(ctx) {
    const [x, r] = requireInputs(ctx, 2);
    checkDType(ctx.node, 'input repeats', r.dtype, ['int64']);
    checkRank(ctx.node, 'input repeats', r.shape, 1);
    if (x.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
    const repeats = ctx.constant(1);
    if (repeats === undefined) return [{ dtype: x.dtype, shape: x.shape.map((): Dim => '?') }];
    const times = intValues(repeats);
    if (times.length !== x.shape.length) {
      throw nodeError(ctx.node, `repeats [${times.join(', ')}] must have one entry per axis of input ${formatShape(x.shape)}`);
    }
    if (times.some((t) => t < 0)) throw nodeError(ctx.node, `repeats [${times.join(', ')}] has a negative entry`);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => dimProduct([d, times[i]])) }];
  },
  reference(ctx, [x]) {
    const { shape } = ctx.outputs[0];
    const strides = stridesOf(x!.shape);
    const index = indexMap(shape, (c) => c.reduce((acc, v, a) => acc + (v % x!.shape[a]) * strides[a], 0));
    return [take(x!, index, shape)];
  },
};
