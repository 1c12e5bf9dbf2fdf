import { describe, expect, it } from 'vitest';
import { runGraph } from '../../src/backends/reference/interpreter.js';
import { Tensor } from '../../src/core/tensor.js';
import type { Model } from '../../src/ir/graph.js';
import { type ZooEntry, zoo } from '../../src/zoo/index.js';

/**
 * A preprocessed batch with the statistics of a photo: smooth colour fields and some texture, pixel
 * values 0..255 (RMS about 46 after mean subtraction), in the entry's channel order, minus its mean.
 */
function photoLikeBatch(entry: ZooEntry, size: number, batch: number): Tensor<'float32'> {
  const { mean, scale } = entry.preprocessing;
  const data = new Float32Array(batch * 3 * size * size);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const u = x / size + 0.3 * n;
          const v = y / size;
          const pixel = 128 + 70 * Math.sin(6 * u + 2 * c) * Math.cos(4 * v - c) + 30 * Math.sin(25 * u * v + c);
          data[((n * 3 + c) * size + y) * size + x] = (Math.min(255, Math.max(0, pixel)) - mean[c]) * scale;
        }
      }
    }
  }
  return new Tensor('float32', data, [batch, 3, size, size]);
}

/** Runs the model on the reference backend and returns `prob` and the extra values asked for. */
function run(model: Model, input: Tensor, extra: readonly string[] = []): Tensor[] {
  const outputs = [...model.graph.outputs, ...extra.map((name) => ({ name, dtype: 'float32' as const, shape: undefined }))];
  return runGraph({ ...model.graph, outputs }, new Map([['data', input]]));
}

const rms = (t: Tensor): number => Math.sqrt((t.data as Float32Array).reduce((s, v) => s + v * v, 0) / t.size);

/** Checks each image's class probabilities and returns its top-1 probability. */
function topProbabilities(prob: Tensor): number[] {
  const [batch, classes] = prob.shape;
  expect(classes).toBe(1000);
  const p = prob.data as Float32Array;
  const tops: number[] = [];
  for (let n = 0; n < batch; n++) {
    const row = p.subarray(n * classes, (n + 1) * classes);
    expect(row.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4);
    tops.push(Math.max(...row));
  }
  return tops;
}

// Decisive, not one-hot: uniform would be 0.001. At full size the measured top-1 probabilities are
// 0.30 (CaffeNet), 0.22 (AlexNet) and 0.45 (GoogLeNet) on this input.
const decisive = (p: number): void => {
  expect(p).toBeGreaterThan(0.05);
  expect(p).toBeLessThan(0.99);
};

describe('forward pass on the reference backend', () => {
  it.each([
    ['caffenet', 67],
    ['alexnet', 99],
    ['googlenet', 64],
  ] as const)('%s at %i pixels gives a decisive softmax for each image of a batch', (name, size) => {
    const entry = zoo[name];
    const [prob] = run(entry.build({ inputSize: size }), photoLikeBatch(entry, size, 2));
    expect(prob.shape).toEqual([2, 1000]);
    for (const p of topProbabilities(prob)) decisive(p);
  });

  it('keeps activations at the scale of the input, layer after layer', () => {
    const entry = zoo.caffenet;
    const input = photoLikeBatch(entry, 99, 1);
    const layers = ['relu1', 'norm1', 'relu3', 'relu5', 'relu6', 'relu7', 'fc8'];
    const [, ...values] = run(entry.build({ inputSize: 99 }), input, layers);
    const scales = Object.fromEntries(layers.map((name, i) => [name, rms(values[i])]));
    for (const name of layers.slice(0, -1)) {
      expect(scales[name], name).toBeGreaterThan(rms(input) / 4);
      expect(scales[name], name).toBeLessThan(rms(input) * 4);
    }
    // The logits spread by a few units: decisive, but not saturated.
    expect(scales.fc8).toBeGreaterThan(1);
    expect(scales.fc8).toBeLessThan(10);
  });

  it('CaffeNet at its real size, 227 pixels', () => {
    const entry = zoo.caffenet;
    const [prob] = run(entry.build(), photoLikeBatch(entry, 227, 1));
    const [top] = topProbabilities(prob);
    decisive(top);
    expect(top).toBeGreaterThan(0.2);
  });
});
