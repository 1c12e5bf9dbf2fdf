import { normalizeAxis, shapeSize } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import type { Node } from '../ir/graph.js';
import { broadcastIndex, checkUnidirectional } from './broadcast.js';
import { Attrs, type OpDef, checkDType, describeType, floatTypes, nodeError, requireInputs } from './op.js';

/**
 * Standardizes `rows` contiguous rows of `length` values in place: (x - mean) / sqrt(variance + epsilon),
 * with the population variance. Returns each row's mean and 1 / sqrt(variance + epsilon).
 */
export function standardizeRows(v: Float64Array, rows: number, length: number, epsilon: number): { mean: Float64Array; invStdDev: Float64Array } {
  const mean = new Float64Array(rows);
  const invStdDev = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * length;
    let sum = 0;
    for (let k = 0; k < length; k++) sum += v[base + k];
    const m = sum / length;
    let squares = 0;
    for (let k = 0; k < length; k++) squares += (v[base + k] - m) ** 2;
    const inv = 1 / Math.sqrt(squares / length + epsilon);
    for (let k = 0; k < length; k++) v[base + k] = (v[base + k] - m) * inv;
    mean[r] = m;
    invStdDev[r] = inv;
  }
  return { mean, invStdDev };
}

function layerAxis(node: Node, rank: number): number {
  return normalizeAxis(new Attrs(node).int('axis', -1), rank, `${node.op} node '${node.name}'`);
}

/**
 * LayerNormalization (opset 17): standardizes X over its axes from `axis` (default -1) on, then scales
 * and shifts by Scale and the optional B, both broadcast to X in one direction. The optional outputs Mean
 * and InvStdDev are float32 (stash_type 1), shaped as X with the normalized axes kept as 1.
 */
export const layerNormalization: OpDef = {
  type: 'LayerNormalization',
  infer(ctx) {
    const [x, scale] = requireInputs(ctx, 2);
    const bias = ctx.inputs[2];
    checkDType(ctx.node, 'input X', x.dtype, floatTypes);
    for (const [what, t] of [['Scale', scale], ['B', bias]] as const) {
      if (t === undefined) continue;
      if (t.dtype !== x.dtype) throw nodeError(ctx.node, `input ${what} is ${describeType(t)} but X is ${describeType(x)}`, 'UNSUPPORTED_DTYPE');
      checkUnidirectional(ctx, `input ${what}`, t, x);
    }
    const stash = new Attrs(ctx.node).int('stash_type', 1);
    if (stash !== 1) throw nodeError(ctx.node, `stash_type ${stash} is not supported; joule computes statistics in float`, 'UNSUPPORTED_DTYPE');
    if (x.shape === undefined) return [x, { dtype: 'float32', shape: undefined }, { dtype: 'float32', shape: undefined }];
    if (x.shape.length === 0) throw nodeError(ctx.node, 'input X is a scalar; there is no axis to normalize');
    const axis = layerAxis(ctx.node, x.shape.length);
    const stats = { dtype: 'float32' as const, shape: x.shape.map((d, i) => (i < axis ? d : 1)) };
    return [x, stats, stats];
  },
  reference(ctx, [x, scale, bias]) {
    const [out, statsType] = ctx.outputs;
    const shape = x!.shape;
    const axis = layerAxis(ctx.node, shape.length);
    const length = shapeSize(shape.slice(axis));
    const rows = length === 0 ? 0 : x!.size / length;
    const v = x!.toFloat64();
    const { mean, invStdDev } = standardizeRows(v, rows, length, new Attrs(ctx.node).float('epsilon', 1e-5));
    const s = scale!.toFloat64();
    const si = broadcastIndex(scale!.shape, shape);
    const b = bias?.toFloat64();
    const bi = bias === undefined ? undefined : broadcastIndex(bias.shape, shape);
    for (let i = 0; i < v.length; i++) v[i] = v[i] * s[si[i]] + (b === undefined ? 0 : b[bi![i]]);
    const results = [Tensor.from(out.dtype, v, out.shape)];
    if (statsType !== undefined) results.push(Tensor.from('float32', mean, statsType.shape), Tensor.from('float32', invStdDev, statsType.shape));
    return results;
  },
};
