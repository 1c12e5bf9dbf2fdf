import { normalizeAxis } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import type { Node } from '../ir/graph.js';
import { Attrs, type OpDef, checkDType, floatTypes, nodeError, requireInputs } from './op.js';

/**
 * Softmax: exp(x - max) / sum(exp(x - max)). From opset 13 it normalises along the single axis `axis`
 * (default -1); before, the input is coerced to 2-D at `axis` (default 1) and each row of
 * prod(shape[axis:]) elements is normalised as one. LogSoftmax is its logarithm, x - max - log(sum),
 * computed directly so that it stays finite where the softmax underflows.
 */
function softmaxOp(type: string, logarithm: boolean): OpDef {
  return {
    type,
    infer(ctx) {
      const [x] = requireInputs(ctx, 1);
      checkDType(ctx.node, 'input X', x.dtype, floatTypes);
      if (x.shape !== undefined) {
        if (x.shape.length === 0) throw nodeError(ctx.node, 'input X is a scalar; softmax needs at least one axis');
        softmaxAxis(ctx.node, ctx.opset, x.shape.length);
      }
      return [x];
    },
    reference(ctx, [x]) {
      const out = ctx.outputs[0];
      const shape = x!.shape;
      const axis = softmaxAxis(ctx.node, ctx.opset, shape.length);
      const product = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
      const outer = product(0, axis);
      // Coerced to 2-D, a row is everything from `axis` on, contiguous; otherwise rows are strided by `inner`.
      const length = ctx.opset < 13 ? product(axis, shape.length) : shape[axis];
      const inner = ctx.opset < 13 ? 1 : product(axis + 1, shape.length);
      const v = x!.toFloat64();
      const y = new Float64Array(v.length);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const base = o * length * inner + i;
          let max = -Infinity;
          for (let k = 0; k < length; k++) max = Math.max(max, v[base + k * inner]);
          let sum = 0;
          for (let k = 0; k < length; k++) {
            const e = Math.exp(v[base + k * inner] - max);
            y[base + k * inner] = e;
            sum += e;
          }
          for (let k = 0; k < length; k++) {
            const at = base + k * inner;
            y[at] = logarithm ? v[at] - max - Math.log(sum) : y[at] / sum;
          }
        }
      }
      return [Tensor.from(out.dtype, y, out.shape)];
    },
  };
}

export const softmax = softmaxOp('Softmax', false);
export const logSoftmax = softmaxOp('LogSoftmax', true);

/** The axis a Softmax normalises from (opset < 13: the rows of the 2-D coercion start there). */
export function softmaxAxis(node: Node, opset: number, rank: number): number {
  const axis = new Attrs(node).int('axis', opset < 13 ? 1 : -1);
  return normalizeAxis(axis, rank, `${node.op} node '${node.name}'`);
}
