import { describe, expect, it } from 'vitest';
import type { DType } from '../../src/core/dtype.js';
import type { Dim } from '../../src/core/shape.js';
import { Tensor } from '../../src/core/tensor.js';
import { type AttrInput, GraphBuilder, int, ints } from '../../src/ir/builder.js';
import { inferGraph } from '../../src/ir/infer.js';
import { conv } from '../../src/ops/conv.js';
import { runOp } from '../helpers/run-op.js';

const f32 = (values: number[], shape: number[]) => Tensor.from('float32', values, shape);
const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

function inferConv(x: readonly Dim[], w: readonly Dim[], attrs: Record<string, AttrInput> = {}, dtype: DType = 'float32') {
  const b = new GraphBuilder('t');
  const y = b.op('Conv', [b.input('x', dtype, x), b.input('w', dtype, w)], attrs);
  return inferGraph(b.build()).types.get(y)?.shape;
}

/** An independent 2-D convolution with explicit bounds checks, as the textbook writes it. */
function naiveConv2d(x: Tensor, w: Tensor, o: { group: number; strides: number[]; dilations: number[]; pads: number[] }): number[] {
  const [n, c, h, wd] = x.shape;
  const [m, cg, kh, kw] = w.shape;
  const oh = Math.floor((h + o.pads[0] + o.pads[2] - (o.dilations[0] * (kh - 1) + 1)) / o.strides[0]) + 1;
  const ow = Math.floor((wd + o.pads[1] + o.pads[3] - (o.dilations[1] * (kw - 1) + 1)) / o.strides[1]) + 1;
  const xv = x.toNumbers();
  const wv = w.toNumbers();
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < m; oc++)
      for (let y = 0; y < oh; y++)
        for (let z = 0; z < ow; z++) {
          let acc = 0;
          const g = Math.floor(oc / (m / o.group));
          for (let ic = 0; ic < cg; ic++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = y * o.strides[0] - o.pads[0] + i * o.dilations[0];
                const ix = z * o.strides[1] - o.pads[1] + j * o.dilations[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                acc += xv[((b * c + g * cg + ic) * h + iy) * wd + ix] * wv[((oc * cg + ic) * kh + i) * kw + j];
              }
          out.push(acc);
        }
  return out;
}

describe('Conv', () => {
  it('slides a 2x2 kernel over a 3x3 image, adding the bias', () => {
    const x = f32(range(9), [1, 1, 3, 3]);
    const w = f32([1, 1, 1, 1], [1, 1, 2, 2]);
    expect(runOp('Conv', [x, w])[0].toNumbers()).toEqual([12, 16, 24, 28]);
    const [y] = runOp('Conv', [x, w, f32([1], [1])]);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(y.toNumbers()).toEqual([13, 17, 25, 29]);
  });

  it('pads asymmetrically (top 1, right 1) with zeros', () => {
    const [y] = runOp('Conv', [f32(range(9), [1, 1, 3, 3]), f32([2], [1, 1, 1, 1])], { pads: ints([1, 0, 0, 1]) });
    expect(y.shape).toEqual([1, 1, 4, 4]);
    expect(y.toNumbers()).toEqual([0, 0, 0, 0, 2, 4, 6, 0, 8, 10, 12, 0, 14, 16, 18, 0]);
  });

  it('keeps groups apart, including depthwise convolution', () => {
    const depthwise = runOp('Conv', [f32(range(8), [1, 2, 2, 2]), f32([1, 10], [2, 1, 1, 1])], { group: int(2) })[0];
    expect(depthwise.toNumbers()).toEqual([1, 2, 3, 4, 50, 60, 70, 80]);
    const grouped = runOp('Conv', [f32([1, 2, 3, 4], [1, 4, 1, 1]), f32([1, 1, 1, -1], [2, 2, 1, 1])], { group: int(2) })[0];
    expect(grouped.toNumbers()).toEqual([3, -1]);
  });

  it('runs 1-D with dilations and auto_pad, and 3-D', () => {
    const x = f32(range(5), [1, 1, 5]);
    expect(runOp('Conv', [x, f32([1, 1], [1, 1, 2])], { dilations: ints([2]) })[0].toNumbers()).toEqual([4, 6, 8]);
    const w3 = f32([1, 1, 1], [1, 1, 3]);
    expect(runOp('Conv', [x, w3], { strides: ints([2]), auto_pad: 'SAME_UPPER' })[0].toNumbers()).toEqual([3, 9, 9]);
    const w2 = f32([1, 1], [1, 1, 2]);
    expect(runOp('Conv', [x, w2], { auto_pad: 'SAME_UPPER' })[0].toNumbers()).toEqual([3, 5, 7, 9, 5]);
    expect(runOp('Conv', [x, w2], { auto_pad: 'SAME_LOWER' })[0].toNumbers()).toEqual([1, 3, 5, 7, 9]);
    expect(runOp('Conv', [x, w3], { auto_pad: 'VALID', pads: ints([5, 5]) })[0].toNumbers()).toEqual([6, 9, 12]);
    const [cube] = runOp('Conv', [f32(range(8), [1, 1, 2, 2, 2]), f32(Array(8).fill(1), [1, 1, 2, 2, 2])]);
    expect(cube.shape).toEqual([1, 1, 1, 1, 1]);
    expect(cube.toNumbers()).toEqual([36]);
  });

  it('agrees with a textbook convolution on prime sizes, groups, strides, dilations and uneven pads', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const cases = [
      { x: [2, 3, 7, 5], w: [5, 3, 3, 2], group: 1, strides: [2, 1], dilations: [1, 2], pads: [1, 0, 2, 3] },
      { x: [1, 6, 11, 13], w: [4, 3, 5, 3], group: 2, strides: [3, 2], dilations: [2, 1], pads: [0, 2, 1, 0] },
      { x: [1, 3, 1, 1], w: [3, 1, 1, 1], group: 3, strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0] },
      { x: [1, 1, 13, 1], w: [1, 1, 3, 1], group: 1, strides: [5, 1], dilations: [3, 1], pads: [2, 0, 0, 0] },
    ];
    for (const c of cases) {
      const x = f32(Array.from({ length: c.x.reduce((a, b) => a * b) }, rand), c.x);
      const w = f32(Array.from({ length: c.w.reduce((a, b) => a * b) }, rand), c.w);
      const [y] = runOp('Conv', [x, w], { group: int(c.group), strides: ints(c.strides), dilations: ints(c.dilations), pads: ints(c.pads) });
      const want = naiveConv2d(x, w, c);
      expect(y.size).toBe(want.length);
      y.toNumbers().forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    }
  });

  it('agrees with a textbook convolution over a randomized sweep of edge shapes in 1, 2 and 3 spatial dims', () => {
    let seed = 11;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    interface Axis { size: number; kernel: number; stride: number; dilation: number; pads: [number, number] }
    // An axis of size 1 that a window of size 1 without padding keeps: it embeds a 2-D case in 1-D or 3-D.
    const unitAxis = (): Axis => ({ size: 1, kernel: 1, stride: pick([1, 2, 3]), dilation: pick([1, 2]), pads: [0, 0] });
    const randomAxis = (): Axis => {
      const kernel = pick([1, 2, 3, 5]);
      const dilation = pick([1, 2]);
      const pads: [number, number] = [pick([0, 0, 1, 2, 3]), pick([0, 0, 1, 2, 3])];
      const span = dilation * (kernel - 1) + 1;
      const size = Math.max(pick([1, 2, 3, 5, 7, 11, 13]), span - pads[0] - pads[1]);
      return { size, kernel, stride: pick([1, 2, 3]), dilation, pads };
    };
    for (let t = 0; t < 300; t++) {
      const rank = pick([1, 2, 2, 3]);
      const real = rank === 1 ? [randomAxis()] : [randomAxis(), randomAxis()];
      const plane = rank === 1 ? [unitAxis(), real[0]] : real; // what the textbook convolution sees
      const at = pick([0, 1, 2]);
      const axes = rank === 3 ? [...real.slice(0, at), unitAxis(), ...real.slice(at)] : real; // what the op sees
      const depthwise = rand() < 0.2;
      const group = depthwise ? pick([1, 3, 8]) : pick([1, 1, 2, 3]);
      const groupChannels = depthwise ? 1 : pick([1, 2, 3, 5]);
      const groupOutChannels = depthwise ? pick([1, 2]) : pick([1, 2, 3, 4, 5, 7, 9]);
      const [batch, channels, outChannels] = [pick([1, 2]), group * groupChannels, group * groupOutChannels];
      const values = (n: number) => Array.from({ length: n }, () => rand() * 2 - 1);
      const xShape = [batch, channels, ...axes.map((a) => a.size)];
      const wShape = [outChannels, groupChannels, ...axes.map((a) => a.kernel)];
      const x = f32(values(xShape.reduce((a, b) => a * b)), xShape);
      const w = f32(values(wShape.reduce((a, b) => a * b)), wShape);
      const bias = rand() < 0.5 ? f32(values(outChannels), [outChannels]) : undefined;
      const attrs = {
        group: int(group),
        strides: ints(axes.map((a) => a.stride)),
        dilations: ints(axes.map((a) => a.dilation)),
        pads: ints([...axes.map((a) => a.pads[0]), ...axes.map((a) => a.pads[1])]),
      };
      const [y] = runOp('Conv', [x, w, bias], attrs);
      const as2d = (v: Tensor, lead: number[], inner: (a: Axis) => number) => f32(v.toNumbers(), [...lead, ...plane.map(inner)]);
      const want = naiveConv2d(as2d(x, [batch, channels], (a) => a.size), as2d(w, [outChannels, groupChannels], (a) => a.kernel), {
        group,
        strides: plane.map((a) => a.stride),
        dilations: plane.map((a) => a.dilation),
        pads: [...plane.map((a) => a.pads[0]), ...plane.map((a) => a.pads[1])],
      });
      const what = `case ${t}: X ${JSON.stringify(xShape)}, W ${JSON.stringify(wShape)}, ${JSON.stringify(axes)}, group ${group}, bias ${bias !== undefined}`;
      expect(y.size, what).toBe(want.length);
      const outPlane = want.length / (batch * outChannels);
      const b = bias?.toNumbers();
      y.toNumbers().forEach((v, i) => {
        const expected = want[i] + (b === undefined ? 0 : b[Math.floor(i / outPlane) % outChannels]);
        expect(Math.abs(v - expected), `${what}, output ${i}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
      });
    }
  });

  it('computes float16 in float64 and rounds once', () => {
    const x = Tensor.from('float16', [1, 2, 3], [1, 1, 3]);
    const [y] = runOp('Conv', [x, Tensor.from('float16', [0.5, 0.25], [1, 1, 2])]);
    expect(y.dtype).toBe('float16');
    expect(y.toNumbers()).toEqual([1, 1.75]);
  });

  it('infers shapes with symbolic batch and spatial dims', () => {
    expect(inferConv(['N', 3, 227, 227], [96, 3, 11, 11], { strides: ints([4, 4]) })).toEqual(['N', 96, 55, 55]);
    expect(inferConv(['N', 64, 'H', 'W'], [64, 64, 3, 3], { pads: ints([1, 1, 1, 1]) })).toEqual(['N', 64, 'H', 'W']);
    expect(inferConv(['N', 64, 'H', 'W'], [32, 64, 1, 1])).toEqual(['N', 32, 'H', 'W']);
    expect(inferConv(['N', 64, 'H', 'W'], [32, 64, 3, 3], { strides: ints([2, 2]) })).toEqual(['N', 32, '?', '?']);
    expect(inferConv(['N', 8, 'H', 9], [8, 1, 3, 3], { group: int(8), auto_pad: 'SAME_LOWER' })).toEqual(['N', 8, 'H', 9]);
  });

  it('fails with the node, op and shapes named', () => {
    expect(() => inferConv([1, 4, 8, 8], [2, 3, 3, 3])).toThrow(/Conv node 'conv': X has 4 channels but W expects 3 per group x 1 groups \(X \[1, 4, 8, 8\], W \[2, 3, 3, 3\]\)/);
    expect(() => inferConv([1, 4, 8, 8], [3, 2, 3, 3], { group: int(2) })).toThrow(/3 output channels, which 2 groups do not divide/);
    expect(() => inferConv([1, 3, 2, 2], [1, 3, 3, 3])).toThrow(/does not fit spatial input \[2, 2\]/);
    expect(() => inferConv([1, 3, 8, 8], [1, 3, 3, 3], { kernel_shape: ints([2, 2]) })).toThrow(/kernel_shape \[2, 2\] does not match weights W \[1, 3, 3, 3\]/);
    expect(() => inferConv([1, 3, 8, 8], [1, 3, 3, 3], { strides: ints([1]) })).toThrow(/'strides' has 1 values; a window over 2 spatial axes needs 2/);
    expect(() => inferConv([1, 3, 8, 8], [1, 3, 3, 3], { auto_pad: 'SAME' })).toThrow(/'auto_pad' is 'SAME'/);
    expect(() => inferConv([1, 3, 8], [1, 3, 3, 3])).toThrow(/same rank/);
    expect(() => inferConv([1, 3, 8, 8], [1, 3, 3, 3], {}, 'int32')).toThrow(/input X has dtype int32/);
    expect(() => runOp('Conv', [f32([1, 2], [1, 1, 2]), Tensor.from('float16', [1], [1, 1, 1])])).toThrow(/weights W is float16\[1, 1, 1\] but X is float32\[1, 1, 2\]/);
    expect(() => runOp('Conv', [f32([1, 2], [1, 1, 2]), f32([1], [1, 1, 1]), f32([1, 2], [2])])).toThrow(/bias B \[2\] must be a vector of the 1 output channels/);
  });

  it('counts its multiply-adds', () => {
    const node = { name: 'c', op: 'Conv', domain: '', inputs: [], outputs: [], attrs: {} };
    expect(conv.macs!(node, [[1, 3, 227, 227], [96, 3, 11, 11]], [[1, 96, 55, 55]])).toBe(96 * 55 * 55 * 3 * 121);
  });
});
