/**
 * Caffe's semantics survive conversion to ONNX: converted files give on onnxruntime-node what they give
 * on joule's reference backend, in particular Caffe's AVE pooling divisor at the edges (AveragePool with
 * ceil_mode=1 and count_include_pad=1) and the layers joule composes from several ONNX ops.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { runGraph } from '../../src/backends/reference/interpreter.js';
import { Tensor } from '../../src/core/tensor.js';
import { decodeCaffe } from '../../src/formats/caffe/index.js';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import type { Model } from '../../src/ir/graph.js';
import { Ident, encodeCaffemodel, smallNet } from '../formats/caffe-fixtures.js';
import { net } from '../formats/caffe-helpers.js';
import { relativeError } from '../helpers/compare.js';

async function agree(model: Model, input: Tensor<'float32'>, label: string): Promise<void> {
  const ours = runGraph(model.graph, new Map([['data', input]]))[0];
  const peer = await ort.InferenceSession.create(encodeOnnx(model), { logSeverityLevel: 3 });
  try {
    const output = model.graph.outputs[0].name;
    const theirs = (await peer.run({ data: new ort.Tensor('float32', input.data, [...input.shape]) }))[output];
    expect(theirs.dims, label).toEqual(ours.shape);
    expect(relativeError(ours.data as Float32Array, theirs.data as Float32Array), label).toBeLessThanOrEqual(1e-6);
  } finally {
    await peer.release();
  }
}

describe('Caffe models converted to ONNX, on onnxruntime-node', () => {
  it('AVE pooling divides as Caffe does where windows run into and past the padding', async () => {
    for (const [size, kernel, stride, pad] of [
      [4, 3, 2, 1],
      [5, 2, 2, 0],
      [6, 3, 2, 1],
      [7, 4, 3, 2],
      [13, 3, 2, 0],
    ]) {
      const layer = { name: 'pool', type: 'Pooling', bottom: 'data', top: 'pool', pooling_param: { pool: new Ident('AVE'), kernel_size: kernel, stride, pad } };
      const model = decodeCaffe(net({ data: [1, 2, size, size] }, [layer]));
      const input = Tensor.from('float32', Array.from({ length: 2 * size * size }, (_, i) => (i * 7) % 11), [1, 2, size, size]);
      await agree(model, input, `${size}x${size} k${kernel} s${stride} p${pad}`);
    }
  });

  it('a net with BatchNorm + Scale, within-channel LRN and InnerProduct', async () => {
    const { prototxt, weights } = smallNet();
    const model = decodeCaffe(prototxt, { weights: encodeCaffemodel(weights) });
    const input = Tensor.from('float32', Array.from({ length: 2 * 3 * 36 }, (_, i) => Math.sin(i) * 30), [2, 3, 6, 6]);
    await agree(model, input, 'small net');
  });
});
