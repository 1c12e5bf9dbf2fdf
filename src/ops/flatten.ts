import { dimProduct, formatShape } from '../core/shape.js';
import { Attrs, type OpDef, nodeError, requireInputs } from './op.js';

/**
 * Flatten: a 2-D view [d0*...*d(axis-1), d(axis)*...*d(r-1)]; axis defaults to 1, may be 0 or r, and
 * negative from opset 11. Symbolic dims multiply symbolically: ['N',256,6,6] at axis 1 is ['N', 9216].
 */
export const flatten: OpDef = {
  type: 'Flatten',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    const axisAttr = new Attrs(ctx.node).int('axis', 1);
    if (x.shape === undefined) return [{ dtype: x.dtype, shape: ['?', '?'] }];
    const rank = x.shape.length;
    const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
    if (axis < 0 || axis > rank || (axisAttr < 0 && ctx.opset < 11)) {
      throw nodeError(ctx.node, `axis ${axisAttr} is out of range for input shape ${formatShape(x.shape)}`);
    }
    return [{ dtype: x.dtype, shape: [dimProduct(x.shape.slice(0, axis)), dimProduct(x.shape.slice(axis))] }];
  },
  reference(ctx, [x]) {
    return [x!.reshape(ctx.outputs[0].shape)];
  },
};
