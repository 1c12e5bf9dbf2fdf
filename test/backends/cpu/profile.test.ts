import { describe, expect, it } from 'vitest';
import { encodeOnnx } from '../../../src/formats/onnx/encode.js';
import { Session } from '../../../src/runtime/session.js';
import { syntheticInput } from '../../../src/runtime/synthetic.js';
import { zooEntry } from '../../../src/zoo/index.js';

describe('Session.profile', () => {
  it('reports time per kind of step on the cpu backend, and resets when read', async () => {
    const entry = zooEntry('caffenet');
    const bytes = encodeOnnx(entry.build({ inputSize: 67 }));
    const session = await Session.load(bytes, { backend: 'cpu', threads: 2, profile: true });
    const feeds = { data: syntheticInput(session.inputs[0], 2, entry.preprocessing) };
    await session.run(feeds);
    const profile = await session.profile();
    expect([...profile.keys()]).toEqual(expect.arrayContaining(['f32_conv_gemm_6x8', 'f32_maxpool2d__simd128', 'f32_lrn__simd128', 'f32_softmax']));
    for (const ms of profile.values()) expect(ms).toBeGreaterThanOrEqual(0);
    expect((await session.profile()).size).toBe(0);
    await session.dispose();
  });

  it('is empty without the profile option', async () => {
    const bytes = encodeOnnx(zooEntry('caffenet').build({ inputSize: 67 }));
    const session = await Session.load(bytes, { backend: 'cpu', threads: 1 });
    await session.run({ data: syntheticInput(session.inputs[0], 1) });
    expect((await session.profile()).size).toBe(0);
    await session.dispose();
  });
});
