/**
 * Whole networks against an independent implementation: each zoo network, exported to ONNX, gives the
 * same probabilities on joule's reference backend as on onnxruntime-node, at batch 1 and 3.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { Session } from '../../src/runtime/session.js';
import { syntheticInput } from '../../src/runtime/synthetic.js';
import { zooEntry } from '../../src/zoo/index.js';
import { relativeError } from '../helpers/compare.js';

describe.each(['caffenet', 'alexnet', 'googlenet'])('%s: joule reference vs onnxruntime-node', (name) => {
  it('agrees at batch 1 and 3 within 1e-4 relative error', async () => {
    const entry = zooEntry(name);
    const bytes = encodeOnnx(entry.build());
    const peer = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2, interOpNumThreads: 1 });
    const session = await Session.load(bytes, { backend: 'reference' });
    try {
      for (const batch of [1, 3]) {
        const input = syntheticInput(session.inputs[0], batch, entry.preprocessing);
        const ours = (await session.run({ [session.inputs[0].name]: input })).prob;
        const theirs = await peer.run({ [session.inputs[0].name]: new ort.Tensor('float32', input.data as Float32Array, [...input.shape]) });
        const expected = theirs.prob.data as Float32Array;
        expect(ours.shape).toEqual([batch, 1000]);
        const err = relativeError(ours.data as Float32Array, expected);
        expect(err, `${name} batch ${batch}`).toBeLessThanOrEqual(1e-4);
        // The check means something only if the network is decisive: the top class stands out.
        expect(Math.max(...(ours.data as Float32Array).subarray(0, 1000))).toBeGreaterThan(0.01);
      }
    } finally {
      await session.dispose();
      await peer.release();
    }
  });
});
