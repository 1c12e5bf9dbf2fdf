import { dimProduct, formatShape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import type { Node } from '../ir/graph.js';
import { mapNumbers } from './broadcast.js';
import { Attrs, type OpDef, checkDType, describeType, nodeError, numericTypes, requireInputs } from './op.js';

/**
 * Clip: y = min(max(x, min), max); a missing bound does not clamp. Before opset 11 the bounds are float
 * attributes; from 11 they are optional scalar inputs of X's dtype. With min > max every element is max.
 */
export const clip: OpDef = {
  type: 'Clip',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    checkDType(ctx.node, 'input X', x.dtype, numericTypes);
    if (ctx.opset >= 11) {
      for (const i of [1, 2]) {
        const t = ctx.inputs[i];
        if (t === undefined) continue;
        const what = i === 1 ? 'min' : 'max';
        if (t.dtype !== x.dtype) throw nodeError(ctx.node, `input '${what}' is ${describeType(t)} but X is ${describeType(x)}`, 'UNSUPPORTED_DTYPE');
        const size = t.shape === undefined ? 1 : dimProduct(t.shape);
        if (typeof size === 'number' && size !== 1) throw nodeError(ctx.node, `input '${what}' must be a scalar, got shape ${formatShape(t.shape)}`);
      }
    }
    return [x];
  },
  reference(ctx, [x, minT, maxT]) {
    const out = ctx.outputs[0];
    const xt = x!;
    if (ctx.opset < 11) {
      const a = new Attrs(ctx.node);
      return [clamp(xt, a.float('min', -Infinity), a.float('max', Infinity), out.shape)];
    }
    if (xt.dtype === 'int64') {
      // Exact on int64: bigints compare without rounding through float64.
      const lo = (minT?.data as BigInt64Array | undefined)?.[0];
      const hi = (maxT?.data as BigInt64Array | undefined)?.[0];
      const src = xt.data as BigInt64Array;
      const y = new BigInt64Array(src.length);
      for (let i = 0; i < src.length; i++) {
        let v = src[i];
        if (lo !== undefined && v < lo) v = lo;
        if (hi !== undefined && v > hi) v = hi;
        y[i] = v;
      }
      return [new Tensor('int64', y, out.shape)];
    }
    return [clamp(xt, minT?.get(0) ?? -Infinity, maxT?.get(0) ?? Infinity, out.shape)];
  },
};

function clamp(x: Tensor, lo: number, hi: number, shape: readonly number[]): Tensor {
  return mapNumbers([x], { dtype: x.dtype, shape }, ([v]) => {
    const atLeast = v < lo ? lo : v;
    return atLeast > hi ? hi : atLeast;
  });
}

/**
 * Clip's bounds when they are known before a run, for backends that fuse Clip into another kernel:
 * attributes before opset 11, constant scalar inputs from 11 on (`constant` gives a value's constant,
 * if it has one); a missing bound is infinite. Undefined when a bound is only known at run time.
 */
export function constantClipBounds(node: Node, opset: number, constant: (name: string) => Tensor | undefined): [number, number] | undefined {
  if (opset < 11) {
    const a = new Attrs(node);
    return [a.float('min', -Infinity), a.float('max', Infinity)];
  }
  const bound = (i: number, missing: number): number | undefined => {
    const name = node.inputs[i];
    if (name === undefined || name === '') return missing;
    const t = constant(name);
    return t !== undefined && t.size === 1 && (t.dtype === 'float32' || t.dtype === 'float16') ? t.toFloat32()[0] : undefined;
  };
  const [lo, hi] = [bound(1, -Infinity), bound(2, Infinity)];
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}
