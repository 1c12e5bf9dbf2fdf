import { broadcastIndex, checkSameDType, inferBroadcastShape } from './broadcast.js';
import { type Elements, take } from './indexing.js';
import { type OpDef, checkDType, requireInputs } from './op.js';

/** Where (opset 9+): X where the bool condition holds, else Y, all three broadcast together. */
export const where: OpDef = {
  type: 'Where',
  infer(ctx) {
    const [condition, x, y] = requireInputs(ctx, 3);
    checkDType(ctx.node, 'input condition', condition.dtype, ['bool']);
    checkSameDType(ctx, [x, y]);
    return [{ dtype: x.dtype, shape: inferBroadcastShape(ctx, [condition, x, y]) }];
  },
  reference(ctx, [condition, x, y]) {
    const { shape } = ctx.outputs[0];
    const pick = condition!.data as Uint8Array;
    const [ci, xi, yi] = [condition!, x!, y!].map((t) => broadcastIndex(t.shape, shape));
    // Elements move without conversion, so int64 stays exact.
    const out = take(x!, xi, shape);
    const to: Elements = out.data;
    const from: Elements = take(y!, yi, shape).data;
    for (let i = 0; i < out.size; i++) if (!pick[ci[i]]) to[i] = from[i];
    return [out];
  },
};
