/**
 * onnxruntime-web as `joule bench` runs it: in a child process of its own (src/bench/peer-process.ts),
 * loaded, fed and run on request, then released with the child ending; a missing module is a skipped point.
 */
import { describe, expect, it } from 'vitest';
import { PeerError, PeerProcess } from '../../src/bench/peer-process.js';
import { loadRuntime, SkipPoint } from '../../src/bench/runtimes.js';
import { decodeOnnx } from '../../src/formats/onnx/decode.js';
import { summarize } from '../../src/ir/summary.js';
import { tinyClassifier } from '../serve/fixtures.js';

describe('onnxruntime-web in a child process', () => {
  it('loads the model, runs two batch sizes in any order and releases', async () => {
    const bytes = tinyClassifier();
    const model = decodeOnnx(bytes);
    const runtime = await loadRuntime({ runtime: 'onnxruntime-web', backend: 'wasm' }, { name: 'tiny', bytes, inputs: model.graph.inputs, macs: summarize(model.graph).macs }, 'fp32', 1);
    expect(runtime.id.runtime).toBe('onnxruntime-web');
    const one = await runtime.prepare(1);
    const four = await runtime.prepare(4);
    await four.run();
    await one.run();
    await four.run();
    await runtime.dispose();
    await expect(one.run()).rejects.toThrow(/exited/);
  }, 60_000);

  it('reports a module it cannot import with its code', async () => {
    const peer = PeerProcess.start();
    const failure = await peer.request({ type: 'load', module: 'no-such-runtime', bytes: new Uint8Array(), threads: 1, options: {} }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PeerError);
    expect((failure as PeerError).code).toBe('ERR_MODULE_NOT_FOUND');
    await peer.close();
  }, 60_000);

  it('skips the point with the reason when onnxruntime-web cannot load the model', async () => {
    const bytes = Uint8Array.from([1, 2, 3]);
    const failure = await loadRuntime({ runtime: 'onnxruntime-web', backend: 'wasm' }, { name: 'broken', bytes, inputs: [], macs: 0 }, 'fp32', 1).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SkipPoint);
    expect((failure as Error).message).toMatch(/onnxruntime-web could not be loaded/);
  }, 60_000);
});
