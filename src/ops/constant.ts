import { Tensor } from '../core/tensor.js';
import type { Node } from '../ir/graph.js';
import { Attrs, type OpDef, nodeError } from './op.js';

/** The value a Constant node holds, from whichever one of its value attributes is set. */
function constantValue(node: Node): Tensor {
  const attrs = new Attrs(node);
  const set = Object.keys(node.attrs);
  if (set.length !== 1) {
    throw nodeError(node, `needs exactly one value attribute, got ${set.length === 0 ? 'none' : set.join(', ')}`, 'MODEL_INVALID');
  }
  switch (set[0]) {
    case 'value':
      return attrs.required('value', attrs.tensor('value'));
    case 'value_float':
      return Tensor.scalar('float32', attrs.float('value_float', 0));
    case 'value_floats':
      return Tensor.from('float32', attrs.floats('value_floats') ?? []);
    case 'value_int':
      return Tensor.scalar('int64', attrs.int('value_int', 0));
    case 'value_ints':
      return Tensor.from('int64', attrs.ints('value_ints', []));
    case 'value_string':
    case 'value_strings':
      throw nodeError(node, 'string constants are not a dtype joule holds', 'UNSUPPORTED_DTYPE');
    case 'sparse_value':
      throw nodeError(node, 'sparse constants are not supported', 'UNSUPPORTED_OPS');
    default:
      throw nodeError(node, `unknown attribute '${set[0]}'`, 'MODEL_INVALID');
  }
}

/**
 * Constant: a tensor given by `value` or (opset 12+) by value_float(s) / value_int(s), which make float32
 * and int64 tensors.
 */
export const constant: OpDef = {
  type: 'Constant',
  infer(ctx) {
    const t = constantValue(ctx.node);
    return [{ dtype: t.dtype, shape: t.shape }];
  },
  reference(ctx) {
    return [constantValue(ctx.node)];
  },
};
