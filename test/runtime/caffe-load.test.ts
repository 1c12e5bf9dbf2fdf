import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { Session } from '../../src/runtime/session.js';
import { preprocessingOf, zoo } from '../../src/zoo/index.js';
import { encodeBlob, encodeCaffemodel, smallNet } from '../formats/caffe-fixtures.js';
import { expectJouleError } from '../helpers/errors.js';

const net = smallNet();
const weights = encodeCaffemodel(net.weights);
const input = Tensor.from('float32', Array.from({ length: 3 * 36 }, (_, i) => (i % 7) - 3), [1, 3, 6, 6]);

describe('Session.load with Caffe models', () => {
  it('loads { prototxt } with weights as bytes and runs any batch', async () => {
    const session = await Session.load({ prototxt: net.prototxt }, { weights });
    expect(session.inputs).toEqual([{ name: 'data', dtype: 'float32', shape: ['N', 3, 6, 6] }]);
    expect(session.info.metadata['joule.source']).toBe('caffe');
    const one = (await session.run({ data: input })).prob;
    const batch = Tensor.from('float32', [...input.data, ...input.data], [2, 3, 6, 6]);
    const two = (await session.run({ data: batch })).prob;
    expect(Array.from(two.data as Float32Array).slice(3)).toEqual(Array.from(one.data as Float32Array));
    await session.dispose();
  });

  it('fails without weights unless zero weights are asked for', async () => {
    await expectJouleError(Session.load({ prototxt: net.prototxt }), 'MODEL_INVALID', "'fc' (InnerProduct)", "missingWeights: 'zeros'");
    const session = await Session.load({ prototxt: new TextEncoder().encode(net.prototxt) }, { missingWeights: 'zeros' });
    expect(session.info.metadata['joule.weights']).toContain('zeros');
    await session.dispose();
  });

  it('records a mean file as preprocessing metadata, for Caffe and other models alike', async () => {
    const mean = encodeBlob(net.mean, true);
    const session = await Session.load({ prototxt: net.prototxt }, { weights, mean });
    expect(preprocessingOf(session.info)).toEqual({ inputName: 'data', size: 6, resize: 4, channelOrder: 'BGR', mean: [100.5, 110.5, 120.5], scale: 1, layout: 'NCHW' });
    await session.dispose();
    const onnx = await Session.load(encodeOnnx(zoo.caffenet.build({ inputSize: 67 })), { mean });
    expect(preprocessingOf(onnx.info)?.mean).toEqual([100.5, 110.5, 120.5]);
    await onnx.dispose();
    const gray = encodeBlob(Tensor.zeros('float32', [1, 1, 4, 4]), true);
    await expectJouleError(Session.load({ prototxt: net.prototxt }, { weights, mean: gray }), 'BAD_ARGUMENT', '[..., 3, H, W]');
  });

  it('refuses Caffe options for other models, and names unreadable files', async () => {
    await expectJouleError(Session.load('zoo:caffenet', { weights }), 'BAD_ARGUMENT', 'Caffe');
    await expectJouleError(Session.load('missing/deploy.prototxt'), 'IO', 'missing/deploy.prototxt');
    await expectJouleError(Session.load({ prototxt: 'models/deploy.prototxt' }), 'BAD_ARGUMENT', 'looks like a path');
    await expectJouleError(Session.load({ prototxt: net.prototxt }, { weights: 'missing.caffemodel' }), 'IO', 'missing.caffemodel');
    await expectJouleError(Session.load({ prototxt: net.prototxt }, { weights, missingWeights: 'some' as 'zeros' }), 'BAD_ARGUMENT', 'missingWeights');
    await expectJouleError(Session.load({ prototxt: net.prototxt }, { weights: new Uint8Array([0x0f, 0]) }), 'MODEL_DECODE', 'Caffe weights file');
  });
});
