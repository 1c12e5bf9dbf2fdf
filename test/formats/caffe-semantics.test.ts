import { describe, expect, it } from 'vitest';
import { Ident, type TextMessage } from './caffe-fixtures.js';
import { blob, forward, load, net, t, values } from './caffe-helpers.js';
import { catchJouleError } from '../helpers/errors.js';

const MAX = new Ident('MAX');
const AVE = new Ident('AVE');

const pooling = (param: TextMessage) => ({ name: 'pool', type: 'Pooling', bottom: 'data', top: 'pool', pooling_param: param });
const ramp = (h: number, w: number) => t(Array.from({ length: h * w }, (_, i) => i), [1, 1, h, w]);

/** Caffe's PoolingLayer::Forward_cpu (MAX and AVE) and its output size, written out as Caffe does it. */
function caffePool(x: Float32Array, h: number, w: number, k: number[], s: number[], p: number[], ave: boolean): { out: number[]; ph: number; pw: number } {
  const size = (n: number, i: number): number => {
    let out = Math.ceil((n + 2 * p[i] - k[i]) / s[i]) + 1;
    if ((p[0] > 0 || p[1] > 0) && (out - 1) * s[i] >= n + p[i]) out--;
    return out;
  };
  const [ph, pw] = [size(h, 0), size(w, 1)];
  const out: number[] = [];
  for (let i = 0; i < ph; i++) {
    for (let j = 0; j < pw; j++) {
      let hs = i * s[0] - p[0];
      let ws = j * s[1] - p[1];
      if (ave) {
        let he = Math.min(hs + k[0], h + p[0]);
        let we = Math.min(ws + k[1], w + p[1]);
        const poolSize = (he - hs) * (we - ws);
        [hs, ws, he, we] = [Math.max(hs, 0), Math.max(ws, 0), Math.min(he, h), Math.min(we, w)];
        let sum = 0;
        for (let y = hs; y < he; y++) for (let z = ws; z < we; z++) sum += x[y * w + z];
        out.push(sum / poolSize);
      } else {
        const [he, we] = [Math.min(hs + k[0], h), Math.min(ws + k[1], w)];
        [hs, ws] = [Math.max(hs, 0), Math.max(ws, 0)];
        let best = -Infinity;
        for (let y = hs; y < he; y++) for (let z = ws; z < we; z++) best = Math.max(best, x[y * w + z]);
        out.push(best);
      }
    }
  }
  return { out, ph, pw };
}

describe("Caffe's pooling", () => {
  it('MAX rounds the output size up: a 4x4 input, 3x3 windows, stride 2 gives 2x2', () => {
    const { pool } = forward(net({ data: [1, 1, 4, 4] }, [pooling({ pool: MAX, kernel_size: 3, stride: 2 })]), { data: ramp(4, 4) });
    expect(pool.shape).toEqual([1, 1, 2, 2]);
    expect(values(pool)).toEqual([10, 11, 14, 15]);
  });

  it('AVE divides by the window clipped to the padded input, not beyond it', () => {
    // 4x4 ramp, 3x3 windows, stride 2, pad 1: windows start at -1, 1, 3; the last covers row 3 and the
    // padding row 4 (row 5 lies beyond the padding), so its divisor counts 2 rows, not 3 and not 1.
    const { pool } = forward(net({ data: [1, 1, 4, 4] }, [pooling({ pool: AVE, kernel_size: 3, stride: 2, pad: 1 })]), { data: ramp(4, 4) });
    expect(pool.shape).toEqual([1, 1, 3, 3]);
    const expected = [10 / 9, 24 / 9, 10 / 6, 51 / 9, 10, 33 / 6, 25 / 6, 7, 15 / 4];
    values(pool).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
  });

  it('drops a last window that would start in the end padding', () => {
    // 5 + 2 * 1 - 2 = 5, ceil(5 / 2) + 1 = 4 windows, but the 4th would start at 6 >= 5 + 1.
    const { pool } = forward(net({ data: [1, 1, 5, 5] }, [pooling({ pool: MAX, kernel_size: 2, stride: 2, pad: 1 })]), { data: ramp(5, 5) });
    expect(pool.shape).toEqual([1, 1, 3, 3]);
    expect(values(pool)).toEqual([0, 2, 4, 10, 12, 14, 20, 22, 24]);
  });

  it('matches Caffe loop for loop over window sizes, strides, pads and input sizes', () => {
    let checked = 0;
    for (let h = 1; h <= 7; h++) {
      const w = ((h * 3) % 7) + 1;
      const x = t(Array.from({ length: h * w }, (_, i) => Math.sin(i * 1.7) * 10), [1, 1, h, w]);
      for (let k = 1; k <= 4; k++) {
        for (let s = 1; s <= 3; s++) {
          for (let p = 0; p < k; p++) {
            if (h + 2 * p < k || w + 2 * p < k || (p === 0 && k < s)) continue;
            for (const ave of [false, true]) {
              const want = caffePool(x.data, h, w, [k, k], [s, s], [p, p], ave);
              const { pool } = forward(net({ data: [1, 1, h, w] }, [pooling({ pool: ave ? AVE : MAX, kernel_size: k, stride: s, pad: p })]), { data: x });
              const label = `${ave ? 'AVE' : 'MAX'} ${h}x${w} k${k} s${s} p${p}`;
              expect(pool.shape, label).toEqual([1, 1, want.ph, want.pw]);
              values(pool).forEach((v, i) => expect(Math.abs(v - want.out[i]), label).toBeLessThan(1e-5));
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('takes kernel_h/w, pad_h/w and stride_h/w, and FLOOR rounding', () => {
    const param = { pool: MAX, kernel_h: 2, kernel_w: 3, stride_h: 1, stride_w: 2, pad_h: 1, pad_w: 0 };
    const { pool } = forward(net({ data: [1, 1, 4, 5] }, [pooling(param)]), { data: ramp(4, 5) });
    const want = caffePool(ramp(4, 5).data, 4, 5, [2, 3], [1, 2], [1, 0], false);
    expect(pool.shape).toEqual([1, 1, want.ph, want.pw]);
    expect(values(pool)).toEqual(want.out);
    const floor = forward(net({ data: [1, 1, 4, 4] }, [pooling({ pool: MAX, kernel_size: 3, stride: 2, round_mode: new Ident('FLOOR') })]), { data: ramp(4, 4) });
    expect(values(floor.pool)).toEqual([10]);
  });

  it('pools globally', () => {
    const x = ramp(3, 4);
    expect(values(forward(net({ data: [1, 1, 3, 4] }, [pooling({ pool: MAX, global_pooling: true })]), { data: x }).pool)).toEqual([11]);
    expect(values(forward(net({ data: [1, 1, 3, 4] }, [pooling({ pool: AVE, global_pooling: true })]), { data: x }).pool)).toEqual([5.5]);
  });

  it('refuses windows Caffe would leave empty, STOCHASTIC pooling and pads as large as the window', () => {
    const refuse = (param: TextMessage, fragment: string) => {
      const e = catchJouleError(() => load(net({ data: [1, 1, 5, 5] }, [pooling(param)])));
      expect(e.code).toBe('MODEL_INVALID');
      expect(e.message).toContain("layer 'pool' (Pooling)");
      expect(e.message).toContain(fragment);
    };
    refuse({ pool: MAX, kernel_size: 1, stride: 3 }, 'the last of them empty');
    refuse({ pool: new Ident('STOCHASTIC'), kernel_size: 2 }, 'STOCHASTIC');
    refuse({ pool: AVE, kernel_size: 2, pad: 2 }, 'smaller than the kernel');
    refuse({ pool: AVE, kernel_size: 2, kernel_h: 2 }, 'either kernel_size or kernel_h');
  });
});

describe("Caffe's LRN", () => {
  it('ACROSS_CHANNELS: x / (k + alpha/n * sum of squares over n channels)^beta', () => {
    const layer = { name: 'norm', type: 'LRN', bottom: 'data', top: 'norm', lrn_param: { local_size: 3, alpha: 3, beta: 1, k: 1 } };
    const { norm } = forward(net({ data: [1, 3, 1, 1] }, [layer]), { data: t([1, 2, 3], [1, 3, 1, 1]) });
    values(norm).forEach((v, i) => expect(v).toBeCloseTo([1 / 6, 2 / 15, 3 / 14][i], 6));
  });

  it('WITHIN_CHANNEL: x / (1 + alpha/n^2 * sum of squares over the zero-padded n x n window)^beta; k plays no part', () => {
    const param = { local_size: 3, alpha: 9, beta: 1, k: 5, norm_region: new Ident('WITHIN_CHANNEL') };
    const layer = { name: 'norm', type: 'LRN', bottom: 'data', top: 'norm', lrn_param: param };
    const x = t([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const { norm } = forward(net({ data: [1, 1, 3, 3] }, [layer]), { data: x });
    // Corner: 1 + 4 + 16 + 25; top edge: 1 + 4 + 9 + 16 + 25 + 36; centre: all nine squares (285).
    expect(norm.data[0]).toBeCloseTo(1 / 47, 6);
    expect(norm.data[1]).toBeCloseTo(2 / 92, 6);
    expect(norm.data[4]).toBeCloseTo(5 / 286, 6);
  });

  it('takes odd local sizes only', () => {
    const layer = { name: 'norm', type: 'LRN', bottom: 'data', top: 'norm', lrn_param: { local_size: 4 } };
    expect(catchJouleError(() => load(net({ data: [1, 3, 2, 2] }, [layer]))).message).toContain('odd');
  });
});

describe("Caffe's BatchNorm and Scale", () => {
  const bn = (blobs: TextMessage[], param: TextMessage = {}) => ({
    name: 'bn',
    type: 'BatchNorm',
    bottom: 'data',
    top: 'bn',
    batch_norm_param: { eps: 0, ...param },
    blobs,
  });
  const stats = (mean: number[], variance: number[], factor: number) => [blob(mean, [2]), blob(variance, [2]), blob([factor], [1])];
  const x = t([3, 5], [1, 2, 1, 1]);

  it('divides the stored mean and variance by the moving-average factor', () => {
    const out = forward(net({ data: [1, 2, 1, 1] }, [bn(stats([2, 4], [8, 18], 2))]), { data: x });
    expect(values(out.bn)).toEqual([1, 1]); // (3 - 1) / 2, (5 - 2) / 3
  });

  it('reads a factor of 0 as mean 0 and variance 0, as Caffe does', () => {
    const out = forward(net({ data: [1, 2, 1, 1] }, [bn(stats([2, 4], [8, 18], 0), { eps: 1 })]), { data: x });
    expect(values(out.bn)).toEqual([3, 5]);
  });

  it('folds a Scale that follows in place into the one BatchNormalization node', () => {
    const scale = { name: 'scale', type: 'Scale', bottom: 'bn', top: 'bn', scale_param: { bias_term: true }, blobs: [blob([2, 3], [2]), blob([1, -1], [2])] };
    const prototxt = net({ data: [1, 2, 1, 1] }, [bn(stats([2, 4], [8, 18], 2)), scale]);
    expect(load(prototxt).graph.nodes.map((n) => n.op)).toEqual(['BatchNormalization']);
    expect(values(forward(prototxt, { data: x }).bn)).toEqual([3, 2]);
  });

  it('uses the statistics of the batch when use_global_stats is false', () => {
    const out = forward(net({ data: [2, 1, 1, 1] }, [{ ...bn([blob([0], [1]), blob([0], [1]), blob([1], [1])]), batch_norm_param: { use_global_stats: false, eps: 0 } }]), {
      data: t([1, 3], [2, 1, 1, 1]),
    });
    expect(values(out.bn)).toEqual([-1, 1]);
  });

  it('Scale multiplies by a second bottom over the axes it covers, or by a learned blob, plus a bias', () => {
    const layers = [
      { name: 'by', type: 'Scale', bottom: ['data', 'factor'], top: 'by', scale_param: { axis: 0 } },
      { name: 'learned', type: 'Scale', bottom: 'data', top: 'learned', scale_param: { axis: 2, num_axes: 1, bias_term: true }, blobs: [blob([10, 100], [2]), blob([1, 2], [2])] },
      { name: 'shift', type: 'Bias', bottom: 'data', top: 'shift', blobs: [blob([1, 2, 3], [3])] },
    ];
    const out = forward(net({ data: [1, 3, 2, 1], factor: [1, 3] }, layers), { data: t([1, 2, 3, 4, 5, 6], [1, 3, 2, 1]), factor: t([1, 10, 100], [1, 3]) });
    expect(values(out.by)).toEqual([1, 2, 30, 40, 500, 600]);
    expect(values(out.learned)).toEqual([11, 202, 31, 402, 51, 602]);
    expect(values(out.shift)).toEqual([2, 3, 5, 6, 8, 9]);
  });
});
