import { type Dim, formatShape, normalizeAxis, shapeSize } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { checkSameDType } from './broadcast.js';
import type { Elements } from './indexing.js';
import { Attrs, type OpDef, nodeError } from './op.js';
import { variadicInputs } from './operands.js';

/** The size of the joined axis: the sum of the parts when known, a lone symbol beside empty parts, else '?'. */
function joinedDim(parts: readonly Dim[]): Dim {
  const symbolic = parts.filter((d) => typeof d !== 'number');
  const known = (parts.filter((d) => typeof d === 'number') as number[]).reduce((a, b) => a + b, 0);
  if (symbolic.length === 0) return known;
  return symbolic.length === 1 && known === 0 ? symbolic[0] : '?';
}

/** Concat: joins tensors of one dtype along `axis` (required; negative from opset 11); other dims must agree. */
export const concat: OpDef = {
  type: 'Concat',
  infer(ctx) {
    const { node } = ctx;
    const types = variadicInputs(ctx);
    checkSameDType(ctx, types);
    const attrs = new Attrs(node);
    const axisAttr = attrs.required('axis', attrs.int('axis'));
    const shapes = types.map((t) => t.shape);
    const first = shapes.find((s) => s !== undefined);
    if (first === undefined) return [{ dtype: types[0].dtype, shape: undefined }];
    const rank = first.length;
    const what = `${node.op} node '${node.name}'`;
    if (rank === 0) throw nodeError(node, 'cannot join scalars');
    const axis = normalizeAxis(axisAttr, rank, what);
    const mismatch = () => nodeError(node, `inputs of shapes ${shapes.map(formatShape).join(', ')} cannot be joined on axis ${axisAttr}`);
    const out: Dim[] = [...first];
    for (const s of shapes) {
      if (s === undefined) continue;
      if (s.length !== rank) throw mismatch();
      s.forEach((d, i) => {
        if (i === axis || d === out[i]) return;
        if (typeof d === 'number' && typeof out[i] === 'number') throw mismatch();
        if (typeof d === 'number') out[i] = d;
      });
    }
    out[axis] = shapes.some((s) => s === undefined) ? '?' : joinedDim(shapes.map((s) => s![axis]));
    return [{ dtype: types[0].dtype, shape: out }];
  },
  reference(ctx, inputs) {
    const out = Tensor.zeros(ctx.outputs[0].dtype, ctx.outputs[0].shape);
    const shape = out.shape;
    const axis = normalizeAxis(new Attrs(ctx.node).int('axis', 0), shape.length, ctx.node.op);
    const outer = shapeSize(shape.slice(0, axis));
    const inner = shapeSize(shape.slice(axis + 1));
    const to: Elements = out.data;
    let offset = 0; // where the current input's block starts within one outer row of the output
    for (const x of inputs) {
      const block = x!.shape[axis] * inner;
      const from: Elements = x!.data;
      for (let o = 0; o < outer; o++) {
        for (let k = 0; k < block; k++) to[o * shape[axis] * inner + offset + k] = from[o * block + k];
      }
      offset += block;
    }
    return [out];
  },
};
