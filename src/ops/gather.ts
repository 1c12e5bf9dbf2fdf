import { formatShape, normalizeAxis, stridesOf } from '../core/shape.js';
import { Attrs, type OpDef, checkDType, nodeError, requireInputs } from './op.js';
import { indexMap, intValues, take } from './indexing.js';

/**
 * Gather: picks entries of `data` along `axis` (default 0) at `indices` (int32 or int64; negative count
 * from the end, opset 11+). Output shape: data[:axis] + indices + data[axis+1:].
 */
export const gather: OpDef = {
  type: 'Gather',
  infer(ctx) {
    const [data, indices] = requireInputs(ctx, 2);
    checkDType(ctx.node, 'input indices', indices.dtype, ['int32', 'int64']);
    if (data.shape === undefined || indices.shape === undefined) return [{ dtype: data.dtype, shape: undefined }];
    if (data.shape.length === 0) throw nodeError(ctx.node, 'cannot gather from a scalar');
    const axis = normalizeAxis(new Attrs(ctx.node).int('axis', 0), data.shape.length, `${ctx.node.op} node '${ctx.node.name}'`);
    return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)] }];
  },
  reference(ctx, [data, indices]) {
    const d = data!;
    const axis = normalizeAxis(new Attrs(ctx.node).int('axis', 0), d.rank, ctx.node.op);
    const size = d.shape[axis];
    const picks = intValues(indices!).map((i) => {
      if (i < -size || i >= size) {
        throw nodeError(ctx.node, `index ${i} is out of range for axis ${axis} of data shape ${formatShape(d.shape)}`);
      }
      return i < 0 ? i + size : i;
    });
    const q = indices!.rank;
    const qStrides = stridesOf(indices!.shape);
    const strides = stridesOf(d.shape);
    const outShape = ctx.outputs[0].shape;
    const index = indexMap(outShape, (c) => {
      let pick = 0;
      for (let k = 0; k < q; k++) pick += c[axis + k] * qStrides[k];
      let flat = picks[pick] * strides[axis];
      for (let a = 0; a < axis; a++) flat += c[a] * strides[a];
      for (let a = axis + 1; a < d.rank; a++) flat += c[a + q - 1] * strides[a];
      return flat;
    });
    return [take(d, index, outShape)];
  },
};
