import { Tensor } from '../core/tensor.js';
import { type OpDef, requireInputs } from './op.js';

/** Size: the input's element count as an int64 scalar. */
export const size: OpDef = {
  type: 'Size',
  infer(ctx) {
    requireInputs(ctx, 1);
    return [{ dtype: 'int64', shape: [] }];
  },
  reference(_ctx, [x]) {
    return [Tensor.scalar('int64', x!.size)];
  },
};
