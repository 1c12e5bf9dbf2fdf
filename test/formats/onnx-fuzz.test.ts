import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { JouleError } from '../../src/core/errors.js';
import { decodeOnnx, decodeTensorProto } from '../../src/formats/onnx/decode.js';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { demoModel, mulberry32, nodeTestFile } from './onnx-fixtures.js';
import { below, mutationNames, mutations } from '../helpers/mutate.js';

// A bounded, reproducible fuzz run: mutants of valid files must decode to a model or fail with one of the
// decoder's error codes; never a crash, a RangeError, a hang or a huge allocation.

const ALLOWED = new Set(['MODEL_DECODE', 'MODEL_INVALID', 'UNSUPPORTED_DTYPE']);
const MUTANTS_PER_FILE = 1000;

interface Tally {
  decoded: number;
  errors: Record<string, number>;
  slowestMs: number;
}

/** Decodes mutants of `seed`, failing on anything but a result or an allowed JouleError. */
function fuzz(label: string, original: Uint8Array, seed: number, decode: (b: Uint8Array) => unknown, tally: Tally): void {
  const rand = mulberry32(seed);
  for (let i = 0; i < MUTANTS_PER_FILE; i++) {
    const how = mutationNames[below(rand, mutationNames.length)];
    const mutant = mutations[how](original, rand);
    const started = performance.now();
    let result: unknown;
    try {
      result = decode(mutant);
    } catch (e) {
      if (!(e instanceof JouleError) || !ALLOWED.has(e.code)) {
        throw new Error(`${label} mutant ${i} (${how}) threw ${e instanceof JouleError ? e.code : String(e)}: ${e instanceof Error ? e.stack : ''}`);
      }
      tally.errors[e.code] = (tally.errors[e.code] ?? 0) + 1;
    }
    tally.slowestMs = Math.max(tally.slowestMs, performance.now() - started);
    if (result !== undefined) tally.decoded++;
  }
}

/** A decoded mutant must survive encoding and decode back to the same graph. */
function decodeAndReencode(bytes: Uint8Array): unknown {
  const m = decodeOnnx(bytes);
  const again = decodeOnnx(encodeOnnx(m));
  if (!isDeepStrictEqual(again.graph, m.graph) || !isDeepStrictEqual(again.metadata, m.metadata)) {
    throw new Error('a decoded mutant does not survive encode + decode');
  }
  return m;
}

describe('ONNX decoder fuzzing', () => {
  it('turns every mutant of valid models into a Model or a JouleError', () => {
    const started = performance.now();
    const sources: [string, Uint8Array][] = [
      ['test_if', nodeTestFile('test_if', 'model.onnx')],
      ['test_constant', nodeTestFile('test_constant', 'model.onnx')],
      ['test_conv_with_strides_padding', nodeTestFile('test_conv_with_strides_padding', 'model.onnx')],
      ['demo (initializers + If)', encodeOnnx(demoModel())],
    ];
    const tally: Tally = { decoded: 0, errors: {}, slowestMs: 0 };
    sources.forEach(([label, bytes], k) => {
      expect(() => decodeOnnx(bytes)).not.toThrow();
      fuzz(label, bytes, 1000 + k, decodeAndReencode, tally);
    });
    const tensorTally: Tally = { decoded: 0, errors: {}, slowestMs: 0 };
    fuzz('test_add input_0.pb', nodeTestFile('test_add', 'test_data_set_0/input_0.pb'), 77, decodeTensorProto, tensorTally);
    const seconds = (performance.now() - started) / 1000;

    const total = sources.length * MUTANTS_PER_FILE;
    const errored = Object.values(tally.errors).reduce((a, b) => a + b, 0);
    console.log(
      `ONNX fuzz: ${total} model mutants, ${tally.decoded} decoded, ${errored} rejected ${JSON.stringify(tally.errors)}; ` +
        `${MUTANTS_PER_FILE} tensor mutants, ${tensorTally.decoded} decoded, rejected ${JSON.stringify(tensorTally.errors)}; ` +
        `slowest decode ${Math.max(tally.slowestMs, tensorTally.slowestMs).toFixed(1)} ms, ${seconds.toFixed(1)} s in all`,
    );
    expect(tally.decoded + errored).toBe(total);
    expect(tally.decoded).toBeGreaterThan(0);
    expect(errored).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(20);
  });
});
