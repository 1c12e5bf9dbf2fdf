import { describe, expect, it } from 'vitest';
import { JouleError } from '../../src/core/errors.js';
import { decodeCaffe, decodeCaffeMean } from '../../src/formats/caffe/index.js';
import { verify } from '../../src/ir/verify.js';
import { below, mutationNames, mutations } from '../helpers/mutate.js';
import { mulberry32 } from './onnx-fixtures.js';
import { encodeBlob, encodeCaffemodel, smallNet } from './caffe-fixtures.js';

// A bounded, reproducible fuzz run: mutants of valid Caffe files must load or fail with one of the
// decoder's error codes; never a crash, a RangeError, a hang or a huge allocation.

const MUTANTS = 1000;

interface Tally {
  loaded: number;
  errors: Record<string, number>;
  slowestMs: number;
}

type Mutation = (b: Uint8Array, rand: () => number) => Uint8Array;

function fuzz(label: string, original: Uint8Array, seed: number, load: (b: Uint8Array) => unknown, allowed: ReadonlySet<string>, tally: Tally, only?: Mutation): void {
  const rand = mulberry32(seed);
  for (let i = 0; i < MUTANTS; i++) {
    const how = only === undefined ? mutationNames[below(rand, mutationNames.length)] : 'number';
    const mutant = (only ?? mutations[how])(original, rand);
    const started = performance.now();
    try {
      load(mutant);
      tally.loaded++;
    } catch (e) {
      if (!(e instanceof JouleError) || !allowed.has(e.code)) {
        throw new Error(`${label} mutant ${i} (${how}) threw ${e instanceof JouleError ? `${e.code}: ${e.message}` : String(e)}: ${e instanceof Error ? e.stack : ''}`);
      }
      tally.errors[e.code] = (tally.errors[e.code] ?? 0) + 1;
    }
    tally.slowestMs = Math.max(tally.slowestMs, performance.now() - started);
  }
}

describe('Caffe decoder fuzzing', () => {
  it('turns every mutant of a .caffemodel, a .prototxt and a mean file into a model or a JouleError', () => {
    const started = performance.now();
    const { prototxt, weights, mean } = smallNet();
    const text = new TextEncoder().encode(prototxt);
    const binary = encodeCaffemodel(weights);
    const legacyV1 = encodeCaffemodel(weights.filter((w) => w.type !== 'BatchNorm' && w.type !== 'Scale'), { v1: true, legacyBlobs: true });
    const load = (definition: Uint8Array, w: Uint8Array | undefined, missing: 'error' | 'zeros' = 'error') => {
      const model = decodeCaffe(definition, { weights: w, missingWeights: missing });
      verify(model.graph);
      return model;
    };
    expect(() => load(text, binary)).not.toThrow();

    const weightErrors = new Set(['MODEL_DECODE', 'MODEL_INVALID']);
    const textErrors = new Set(['MODEL_DECODE', 'MODEL_INVALID', 'UNSUPPORTED_OPS', 'SHAPE_MISMATCH']);
    const tallies: Record<string, Tally> = {};
    const run = (label: string, original: Uint8Array, seed: number, f: (b: Uint8Array) => unknown, allowed: ReadonlySet<string>) => {
      tallies[label] = { loaded: 0, errors: {}, slowestMs: 0 };
      fuzz(label, original, seed, f, allowed, tallies[label]);
    };
    run('caffemodel', binary, 2015, (b) => load(text, b), weightErrors);
    run('V1 caffemodel, legacy blobs', legacyV1, 2016, (b) => load(text, b, 'zeros'), weightErrors);
    run('prototxt', text, 2017, (b) => load(b, binary), textErrors);
    run('prototxt, zero weights', text, 2018, (b) => load(b, undefined, 'zeros'), textErrors);
    // Well-formed text with absurd parameters: a number of the definition replaced by another.
    const numbers = [...prototxt.matchAll(/\b\d+\b/g)].map((m) => m.index);
    const values = ['0', '1', '2', '3', '5', '64', '1000', '65535', '2147483647', '4294967295'];
    const numberMutant = (_: Uint8Array, rand: () => number): Uint8Array => {
      const at = numbers[below(rand, numbers.length)];
      const end = at + /^\d+/.exec(prototxt.slice(at))![0].length;
      return new TextEncoder().encode(prototxt.slice(0, at) + values[below(rand, values.length)] + prototxt.slice(end));
    };
    for (const [label, w, missing] of [['prototxt numbers', binary, 'error'], ['prototxt numbers, zero weights', undefined, 'zeros']] as const) {
      tallies[label] = { loaded: 0, errors: {}, slowestMs: 0 };
      fuzz(label, text, 2020, (b) => load(b, w, missing), textErrors, tallies[label], numberMutant);
    }
    run('mean', encodeBlob(mean, true), 2019, (b) => decodeCaffeMean(b), weightErrors);
    const seconds = (performance.now() - started) / 1000;
    console.log(`Caffe fuzz: ${JSON.stringify(tallies)}; ${seconds.toFixed(1)} s in all`);
    for (const [label, tally] of Object.entries(tallies)) {
      const errored = Object.values(tally.errors).reduce((a, b) => a + b, 0);
      expect(tally.loaded + errored, label).toBe(MUTANTS);
      expect(tally.loaded, label).toBeGreaterThan(0);
      expect(errored, label).toBeGreaterThan(0);
    }
    expect(seconds).toBeLessThan(30);
  });
});
