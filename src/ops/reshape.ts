import { type Dim, dimProduct, dimQuotient, formatShape, isConcrete, shapeSize } from '../core/shape.js';
import { Attrs, type OpDef, checkDType, checkRank, nodeError, requireInputs } from './op.js';
import { intValues } from './indexing.js';

/**
 * Reshape: the same elements in a new shape given by the int64 `shape` input. A 0 copies the input's dim
 * at that position (unless allowzero=1, opset 14+, where it means an empty dim); one -1 is inferred from
 * the element count, symbolically where the input is symbolic.
 */
export const reshape: OpDef = {
  type: 'Reshape',
  infer(ctx) {
    const { node } = ctx;
    const [x, s] = requireInputs(ctx, 2);
    checkDType(node, 'input shape', s.dtype, ['int64']);
    checkRank(node, 'input shape', s.shape, 1);
    const target = ctx.constant(1);
    if (target === undefined) {
      const len = s.shape?.[0];
      return [{ dtype: x.dtype, shape: typeof len === 'number' ? new Array<Dim>(len).fill('?') : undefined }];
    }
    const allowZero = ctx.opset >= 14 && new Attrs(node).int('allowzero', 0) === 1;
    const values = intValues(target);
    const bad = (why: string) => nodeError(node, `cannot reshape ${formatShape(x.shape)} to [${values.join(', ')}]: ${why}`);
    if (allowZero && values.includes(0) && values.includes(-1)) throw bad('with allowzero=1 the shape may not hold both 0 and -1');
    if (values.filter((v) => v === -1).length > 1) throw bad('more than one -1');
    const out: Dim[] = values.map((v, i) => {
      if (v === 0 && !allowZero) {
        if (x.shape === undefined) return '?';
        if (i >= x.shape.length) throw bad(`a 0 at position ${i} copies a dim the input does not have`);
        return x.shape[i];
      }
      if (v < -1) throw bad(`${v} is not a dimension`);
      return v;
    });
    const hole = out.indexOf(-1);
    if (hole >= 0) {
      const rest = dimProduct(out.filter((_, i) => i !== hole));
      out[hole] = x.shape === undefined ? '?' : dimQuotient(dimProduct(x.shape), rest);
      if (out[hole] === '?' && x.shape !== undefined && isConcrete(x.shape) && typeof rest === 'number') {
        throw bad(`${shapeSize(x.shape)} elements do not divide into rows of ${rest}`);
      }
    }
    if (x.shape !== undefined && isConcrete(x.shape) && isConcrete(out) && shapeSize(x.shape) !== shapeSize(out)) {
      throw bad(`${shapeSize(x.shape)} elements cannot fill ${shapeSize(out)}`);
    }
    return [{ dtype: x.dtype, shape: out }];
  },
  reference(ctx, [x]) {
    return [x!.reshape(ctx.outputs[0].shape)];
  },
};
