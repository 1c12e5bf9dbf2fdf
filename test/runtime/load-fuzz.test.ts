/**
 * A bounded, reproducible fuzz run of the whole load-and-run path: mutants of valid models go through
 * Session.load (decode, verify, inference, passes) and, when they load, run on synthetic inputs. Each
 * must succeed or fail with a JouleError; never a TypeError, a RangeError, a crash or a hang.
 */
import { describe, expect, it } from 'vitest';
import { JouleError } from '../../src/core/errors.js';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { Session } from '../../src/runtime/session.js';
import { syntheticInput } from '../../src/runtime/synthetic.js';
import { demoModel, mulberry32, nodeTestFile } from '../formats/onnx-fixtures.js';
import { below, mutationNames, mutations } from '../helpers/mutate.js';

const MUTANTS_PER_FILE = 300;
const seeds: [string, () => Uint8Array][] = [
  ['demo model with an If', () => encodeOnnx(demoModel())],
  ['conv', () => nodeTestFile('test_conv_with_strides_and_asymmetric_padding', 'model.onnx')],
  ['maxpool ceil', () => nodeTestFile('test_maxpool_2d_ceil', 'model.onnx')],
  ['gemm', () => nodeTestFile('test_gemm_all_attributes', 'model.onnx')],
  ['reshape', () => nodeTestFile('test_reshape_negative_extended_dims', 'model.onnx')],
  ['slice', () => nodeTestFile('test_slice_neg_steps', 'model.onnx')],
  ['lrn', () => nodeTestFile('test_lrn', 'model.onnx')],
];

async function loadAndRun(bytes: Uint8Array): Promise<'ran' | string> {
  const session = await Session.load(bytes);
  try {
    const feeds = Object.fromEntries(session.inputs.map((v) => [v.name, syntheticInput(v, 2)]));
    if (Object.values(feeds).some((t) => t.size > 1 << 20)) return 'input too large to try';
    await session.run(feeds);
    return 'ran';
  } finally {
    await session.dispose();
  }
}

describe('load-and-run fuzz', () => {
  it.each(seeds)('mutants of %s load and run, or fail with a JouleError', async (name, file) => {
    const original = file();
    const rand = mulberry32(0x5eed);
    const tally: Record<string, number> = {};
    const crashes: string[] = [];
    for (let i = 0; i < MUTANTS_PER_FILE; i++) {
      const mutation = mutationNames[below(rand, mutationNames.length)];
      const mutant = mutations[mutation](original, rand);
      try {
        const outcome = await loadAndRun(mutant);
        tally[outcome] = (tally[outcome] ?? 0) + 1;
      } catch (e) {
        if (e instanceof JouleError) tally[e.code] = (tally[e.code] ?? 0) + 1;
        else crashes.push(`mutant ${i} (${mutation}): ${(e as Error).stack?.split('\n').slice(0, 4).join(' | ')}`);
      }
    }
    console.log(`load-and-run fuzz, ${name}: ${JSON.stringify(tally)}`);
    expect(crashes, crashes.slice(0, 10).join('\n')).toEqual([]);
    expect(Object.values(tally).reduce((a, b) => a + b, 0)).toBe(MUTANTS_PER_FILE);
  });
});
