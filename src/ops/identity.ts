import { type OpDef, requireInputs } from './op.js';

/** Identity: the input, unchanged (tensors only; sequence and optional values are not joule's). */
export const identity: OpDef = {
  type: 'Identity',
  infer(ctx) {
    return requireInputs(ctx, 1);
  },
  reference(_ctx, [x]) {
    return [x!];
  },
};
