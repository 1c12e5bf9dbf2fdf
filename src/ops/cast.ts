import { type DType, dtypeFromOnnx, onnxTypeName } from '../core/dtype.js';
import { Tensor } from '../core/tensor.js';
import type { Node } from '../ir/graph.js';
import { fromInt64 } from './int64.js';
import { Attrs, type OpDef, nodeError, requireInputs } from './op.js';

/** The dtype named by the `to` attribute; a type joule does not hold is UNSUPPORTED_DTYPE. */
function targetDType(node: Node): DType {
  const attrs = new Attrs(node);
  const to = attrs.required('to', attrs.int('to'));
  const dtype = dtypeFromOnnx(to);
  if (dtype === undefined) throw nodeError(node, `cannot cast to ${onnxTypeName(to)}, a dtype joule does not hold`, 'UNSUPPORTED_DTYPE');
  return dtype;
}

/**
 * Cast: converts elements to the dtype `to` (an ONNX type code). Floats to integers truncate toward
 * zero; to float16 rounds to nearest even; to bool is "nonzero" (NaN is true, as in NumPy).
 */
export const cast: OpDef = {
  type: 'Cast',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    return [{ dtype: targetDType(ctx.node), shape: x.shape }];
  },
  reference(ctx, [x]) {
    const { dtype, shape } = ctx.outputs[0];
    if (x!.dtype === 'int64') return [fromInt64((x!.data as BigInt64Array).slice(), dtype, shape)];
    const values = x!.toFloat64();
    if (dtype === 'bool') return [Tensor.from(dtype, Array.from(values, (v) => Number(v !== 0)), shape)];
    // Storing into an integer typed array truncates toward zero (and wraps, like a C conversion).
    return [Tensor.from(dtype, values, shape)];
  },
};
