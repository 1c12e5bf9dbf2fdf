import { describe, expect, it } from 'vitest';
import { compareOutputs } from '../../src/bench/accuracy.js';
import { asProbabilities, topIndices } from '../../src/runtime/top-k.js';

const id = { runtime: 'joule', backend: 'cpu', version: '0.1.0' };
const f = (xs: number[]): Float32Array => Float32Array.from(xs);

describe('fp16 against fp32 accuracy', () => {
  it('counts top-1 and top-5 agreement and the probability differences', () => {
    const reference = [f([0.5, 0.2, 0.1, 0.1, 0.05, 0.05]), f([0.1, 0.6, 0.1, 0.1, 0.05, 0.05])];
    // Image 0: same top-1, same top-5 set; image 1: top-1 flips to class 0, class 5 enters the top 5.
    const candidate = [f([0.45, 0.25, 0.1, 0.1, 0.05, 0.05]), f([0.6, 0.1, 0.1, 0.05, 0.0, 0.15])];
    const r = compareOutputs('tiny', id, reference, candidate);
    expect(r).toMatchObject({ model: 'tiny', runtime: id, inputs: 2, top1Agreement: 0.5, top5Agreement: 0.5 });
    expect(r.maxAbsDiff).toBeCloseTo(0.5);
    expect(r.meanAbsDiff).toBeCloseTo((0.05 + 0.05 + 0.5 + 0.5 + 0.05 + 0.05 + 0.1) / 12);
  });

  it('is perfect on identical outputs', () => {
    const out = [f([0.1, 0.9])];
    expect(compareOutputs('m', id, out, out)).toMatchObject({ top1Agreement: 1, top5Agreement: 1, maxAbsDiff: 0, meanAbsDiff: 0 });
  });

  it('softmaxes logits, keeps probabilities', () => {
    const p = f([0.25, 0.75]);
    expect(asProbabilities(p)).toBe(p);
    const q = asProbabilities(f([0, Math.log(3)]));
    expect(q[0]).toBeCloseTo(0.25);
    expect(q[1]).toBeCloseTo(0.75);
    expect(topIndices(f([1, 3, 2, 3]), 3)).toEqual([1, 3, 2]);
  });

  it('refuses outputs that do not pair up', () => {
    expect(() => compareOutputs('m', id, [f([1])], [])).toThrow(/same non-zero number/);
  });
});
