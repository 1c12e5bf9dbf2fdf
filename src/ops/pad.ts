import { type Dim, formatShape, stridesOf } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { Attrs, type InferContext, type OpDef, nodeError, requireInputs } from './op.js';
import { indexMap, take } from './indexing.js';
import { concreteContext, intsOperand, normalizeAxes, operandLength } from './operands.js';

type Mode = 'constant' | 'reflect' | 'edge' | 'wrap';

/** Where output index i (already shifted by the leading pad) reads along an axis of size d; -1 for the fill value. */
const sources: Readonly<Record<Mode, (i: number, d: number) => number>> = {
  constant: (i, d) => (i >= 0 && i < d ? i : -1),
  edge: (i, d) => Math.min(Math.max(i, 0), d - 1),
  // Mirror without repeating the edge element, as many times as the pad needs (NumPy's 'reflect').
  reflect: (i, d) => {
    if (d === 1) return 0;
    const period = 2 * (d - 1);
    const k = ((i % period) + period) % period;
    return k < d ? k : period - k;
  },
  wrap: (i, d) => ((i % d) + d) % d,
};

interface PadSpec {
  readonly mode: Mode;
  /** Per listed axis, the pad before and after (negative pads crop). */
  readonly axes: number[];
  readonly begins: number[];
  readonly ends: number[];
}

function padMode(ctx: InferContext): Mode {
  const mode = new Attrs(ctx.node).string('mode', 'constant');
  if (Object.hasOwn(sources, mode) && (mode !== 'wrap' || ctx.opset >= 19)) return mode as Mode;
  throw nodeError(ctx.node, `mode '${mode}' is not one of constant, reflect, edge${ctx.opset >= 19 ? ', wrap' : ''}`, 'MODEL_INVALID');
}

/**
 * The pads (an attribute before opset 11, an input from 11) over the axes they cover (all, or the axes
 * input from opset 18). Where the pads are not known before running, only the axes (or undefined).
 */
function padSpec(ctx: InferContext, shape: readonly Dim[]): PadSpec | { axes: number[] | undefined } {
  const mode = padMode(ctx);
  const pads = intsOperand(ctx, 'pads', 1, 11);
  const axesIn = ctx.opset >= 18 ? intsOperand(ctx, 'axes', 3, 18) : null;
  if (pads === null) throw nodeError(ctx.node, 'pads are required', 'MODEL_INVALID');
  const rank = shape.length;
  const axes = axesIn === undefined ? undefined : normalizeAxes(ctx, axesIn ?? Array.from({ length: rank }, (_, i) => i), rank, shape);
  if (pads === undefined || axes === undefined) return { axes };
  if (pads.length !== 2 * axes.length) {
    throw nodeError(ctx.node, `${pads.length} pads for ${axes.length} axes of input shape ${formatShape(shape)}; expected ${2 * axes.length}`);
  }
  return { mode, axes, begins: pads.slice(0, axes.length), ends: pads.slice(axes.length) };
}

/** The fill value of constant mode in the input's dtype: attribute `value` before opset 11, input constant_value from 11. */
function fillValue(ctx: InferContext, x: Tensor): Tensor {
  if (ctx.opset < 11) return Tensor.scalar(x.dtype, new Attrs(ctx.node).float('value', 0));
  const v = ctx.constant(2);
  return v === undefined || v.size === 0 ? Tensor.scalar(x.dtype, 0) : v;
}

/**
 * Pad: grows (or, with negative pads, crops) each axis by pads [x1_begin, x2_begin, ..., x1_end, ...],
 * filling with a constant, the mirror image without the edge (reflect), the edge value, or (opset 19)
 * the other side's values (wrap).
 */
export const pad: OpDef = {
  type: 'Pad',
  infer(ctx) {
    const [x] = requireInputs(ctx, 1);
    const shape = x.shape;
    const fill = ctx.inputs[2];
    if (ctx.opset >= 11 && fill !== undefined && fill.dtype !== x.dtype) {
      throw nodeError(ctx.node, `constant_value is ${fill.dtype}, data is ${x.dtype}`, 'UNSUPPORTED_DTYPE');
    }
    if (shape === undefined) {
      // Without axes the pads cover every axis, so their count gives the rank.
      const n = ctx.opset < 11 ? new Attrs(ctx.node).ints('pads')?.length : operandLength(ctx, 1);
      const rank = n === undefined || ctx.inputs[3] !== undefined ? undefined : n / 2;
      return [{ dtype: x.dtype, shape: rank === undefined ? undefined : new Array<Dim>(rank).fill('?') }];
    }
    const spec = padSpec(ctx, shape);
    if (!('mode' in spec)) return [{ dtype: x.dtype, shape: shape.map((d, i) => ((spec.axes?.includes(i) ?? true) ? '?' : d)) }];
    const out: Dim[] = [...shape];
    spec.axes.forEach((a, k) => {
      const d = shape[a];
      const grow = spec.begins[k] + spec.ends[k];
      if (typeof d !== 'number') {
        out[a] = grow === 0 ? d : '?';
        return;
      }
      out[a] = d + grow;
      if (out[a] < 0) throw nodeError(ctx.node, `pads [${spec.begins[k]}, ${spec.ends[k]}] crop axis ${a} of input shape ${formatShape(shape)} below zero`);
      if (spec.mode !== 'constant' && d === 0 && grow > 0) {
        throw nodeError(ctx.node, `${spec.mode} mode cannot pad axis ${a}, which is empty (input shape ${formatShape(shape)})`);
      }
    });
    return [{ dtype: x.dtype, shape: out }];
  },
  reference(ctx, inputs) {
    const x = inputs[0]!;
    const infer = concreteContext(ctx, inputs);
    const spec = padSpec(infer, x.shape) as PadSpec;
    const begin = new Array<number>(x.rank).fill(0);
    spec.axes.forEach((a, k) => (begin[a] = spec.begins[k]));
    const source = sources[spec.mode];
    const strides = stridesOf(x.shape);
    const outShape = ctx.outputs[0].shape;
    const index = indexMap(outShape, (c) => {
      let flat = 0;
      for (let a = 0; a < c.length; a++) {
        const i = source(c[a] - begin[a], x.shape[a]);
        if (i < 0) return -1;
        flat += i * strides[a];
      }
      return flat;
    });
    return [take(x, index, outShape, fillValue(infer, x))];
  },
};
