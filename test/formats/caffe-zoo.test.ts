import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGraph } from '../../src/backends/reference/interpreter.js';
import { Tensor } from '../../src/core/tensor.js';
import { decodeCaffe } from '../../src/formats/caffe/index.js';
import type { Model } from '../../src/ir/graph.js';
import { verify } from '../../src/ir/verify.js';
import { Session } from '../../src/runtime/session.js';
import { decodeOnnx } from '../../src/formats/onnx/decode.js';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { zoo } from '../../src/zoo/index.js';
import { compareTensors } from '../helpers/compare.js';
import { type WeightsLayer, caffeNetPrototxt, encodeCaffemodel, googLeNetFinalPool, googLeNetPrototxt, zooWeights } from './caffe-fixtures.js';

/** A deterministic image-like batch, pixel values minus a mean, at the scale of real inputs. */
function image(size: number, batch: number): Tensor<'float32'> {
  const data = new Float32Array(batch * 3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = 60 * Math.sin(i * 0.37) + 20 * Math.cos(i * 0.011);
  return new Tensor('float32', data, [batch, 3, size, size]);
}

function run(model: Model, input: Tensor, extra: readonly string[] = []): Tensor[] {
  const outputs = [...model.graph.outputs, ...extra.map((name) => ({ name, dtype: 'float32' as const, shape: undefined }))];
  return runGraph({ ...model.graph, outputs }, new Map([['data', input]]));
}

/**
 * A zoo network as the reference, after an ONNX round trip: Caffe stores LRN's alpha as a float (1e-4
 * becomes 9.9999997e-5), as ONNX attributes do, while the zoo builds it from the double 1e-4.
 */
function zooNet(name: 'caffenet' | 'alexnet' | 'googlenet', inputSize?: number): Model {
  return decodeOnnx(encodeOnnx(zoo[name].build({ inputSize })));
}

const exact = { rtol: 0, atol: 0 };

/** Training-only layers a real .caffemodel carries besides the deploy net's: ignored when loading. */
const trainingLayers: WeightsLayer[] = [
  { name: 'data', type: 'Data', blobs: [], top: ['data', 'label'] },
  { name: 'loss', type: 'SoftmaxWithLoss', blobs: [], bottom: ['fc8', 'label'] },
  { name: 'accuracy', type: 'Accuracy', blobs: [], bottom: ['fc8', 'label'] },
];

describe('the zoo written as Caffe files and read back', () => {
  it('CaffeNet: input_dim, a V1 .caffemodel with legacy 4D blobs and training layers, outputs equal to the zoo', () => {
    const size = 67;
    const reference = zooNet('caffenet', size);
    const weights = encodeCaffemodel([...trainingLayers.slice(0, 1), ...zooWeights(reference), ...trainingLayers.slice(1)], { v1: true, legacyBlobs: true });
    const model = decodeCaffe(caffeNetPrototxt('caffenet', size), { weights });
    verify(model.graph);
    expect(model.graph.inputs).toEqual([{ name: 'data', dtype: 'float32', shape: ['N', 3, size, size] }]);
    expect(model.graph.outputs.map((o) => [o.name, o.shape])).toEqual([['prob', ['N', 1000]]]);
    // In-place layers become separate values named after their layers, as the zoo names them.
    const layers = ['relu1', 'norm1', 'relu5', 'pool5', 'relu6', 'fc8'];
    const x = image(size, 2);
    const want = run(reference, x, layers);
    const got = run(model, x, layers);
    got.forEach((t, i) => expect(compareTensors(t, want[i], exact), ['prob', ...layers][i]).toBeUndefined());
  });

  it('AlexNet: an Input layer and a current-format .caffemodel with shaped blobs', () => {
    const size = 99;
    const reference = zooNet('alexnet', size);
    const model = decodeCaffe(caffeNetPrototxt('alexnet', size), { weights: encodeCaffemodel(zooWeights(reference)) });
    const x = image(size, 1);
    expect(compareTensors(run(model, x)[0], run(reference, x)[0], exact)).toBeUndefined();
    let params = 0;
    for (const t of model.graph.initializers.values()) params += t.size;
    let zooParams = 0;
    for (const t of reference.graph.initializers.values()) zooParams += t.size;
    expect(params).toBe(zooParams);
  });

  it('GoogLeNet: BVLC deploy style (in-place ReLUs, inception concats), auxiliary classifiers in the weights ignored', () => {
    const size = 64;
    const reference = zooNet('googlenet', size);
    const aux: WeightsLayer = { name: 'loss1/fc', type: 'InnerProduct', blobs: [Tensor.zeros('float32', [1024, 2048]), Tensor.zeros('float32', [1024])] };
    const weights = encodeCaffemodel([...zooWeights(reference), aux]);
    const model = decodeCaffe(googLeNetPrototxt(size, googLeNetFinalPool(reference)), { weights });
    verify(model.graph);
    const x = image(size, 2);
    const extra = ['inception_3a/output', 'inception_5b/output', 'pool5/7x7_s1'];
    const want = run(reference, x, extra);
    run(model, x, extra).forEach((t, i) => expect(compareTensors(t, want[i], exact), ['prob', ...extra][i]).toBeUndefined());
  });

  it('CaffeNet at its real size through Session.load with file paths', async () => {
    const reference = zooNet('caffenet');
    const dir = await mkdtemp(join(tmpdir(), 'joule-caffe-'));
    await writeFile(join(dir, 'deploy.prototxt'), caffeNetPrototxt('caffenet', 227));
    await writeFile(join(dir, 'bvlc_reference_caffenet.caffemodel'), encodeCaffemodel(zooWeights(reference), { v1: true, legacyBlobs: true }));
    const session = await Session.load(join(dir, 'deploy.prototxt'), { weights: join(dir, 'bvlc_reference_caffenet.caffemodel') });
    expect(session.info.producer).toBe('caffe');
    const x = image(227, 1);
    const { prob } = await session.run({ data: x });
    expect(compareTensors(prob, run(reference, x)[0], exact)).toBeUndefined();
    await session.dispose();
  });
});
