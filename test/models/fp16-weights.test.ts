/** precision 'fp16' (weights stored as float16) keeps the zoo networks' answers. */
import { describe, expect, it } from 'vitest';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { Session } from '../../src/runtime/session.js';
import { syntheticInput } from '../../src/runtime/synthetic.js';
import { topK } from '../../src/runtime/top-k.js';
import { zooEntry } from '../../src/zoo/index.js';

describe.each([
  ['caffenet', 99],
  ['alexnet', 99],
  ['googlenet', 96],
] as const)('%s at %i pixels: fp16 weights against fp32', (name, size) => {
  it('agrees on the top-1 class with probabilities within 1e-2', async () => {
    const entry = zooEntry(name);
    const bytes = encodeOnnx(entry.build({ inputSize: size }));
    const fp32 = await Session.load(bytes);
    const fp16 = await Session.load(bytes, { precision: 'fp16' });
    const weights = [...fp16.graph.initializers.values()].filter((t) => t.size > 1000);
    expect(weights.length).toBeGreaterThan(0);
    expect(weights.every((t) => t.dtype === 'float16')).toBe(true);
    const feeds = { [fp32.inputs[0].name]: syntheticInput(fp32.inputs[0], 2, entry.preprocessing) };
    const a = (await fp32.run(feeds)).prob;
    const h = (await fp16.run(feeds)).prob;
    expect(topK(h, 1).map((r) => r[0].index)).toEqual(topK(a, 1).map((r) => r[0].index));
    const pa = a.data as Float32Array;
    const ph = h.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < pa.length; i++) worst = Math.max(worst, Math.abs(pa[i] - ph[i]));
    expect(worst).toBeGreaterThan(0); // the weights really changed
    expect(worst).toBeLessThan(1e-2);
    await fp32.dispose();
    await fp16.dispose();
  });
});
