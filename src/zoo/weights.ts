// Deterministic synthetic weights. The zoo's networks are untrained: their weights come from a seeded
// generator, so every run, machine and backend sees bit-identical parameters without shipping 240 MB
// of files. Values are uniform (not Gaussian): a uniform draw needs no Math.log/Math.cos, whose
// results the language leaves implementation-defined, so the bits do not depend on the JavaScript
// engine, and it is several times faster (61 M values in a fraction of a second).

import { Tensor } from '../core/tensor.js';

/** The seed the zoo uses when none is given. */
export const defaultSeed = 2015;

/** FNV-1a over the UTF-16 code units of a string. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The splitmix32 finaliser: a bijective 32-bit mix. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * The stream seed of one named tensor. Each tensor draws from its own stream, so a tensor's values
 * depend only on (seed, name, size): conv weights stay the same when a smaller input size changes fc6.
 */
export function tensorSeed(seed: number, name: string): number {
  return mix32(mix32(seed >>> 0) ^ hashString(name));
}

/** Fills `out` with values uniform in [-limit, limit) from a mulberry32 stream. */
export function fillUniform(out: Float32Array, streamSeed: number, limit: number): Float32Array {
  let a = streamSeed | 0;
  const scale = (2 * limit) / 4294967296;
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) * scale - limit;
  }
  return out;
}

/** A float32 tensor of uniform values with standard deviation `std` (limit std * sqrt(3)). */
export function uniformTensor(seed: number, name: string, shape: readonly number[], std: number): Tensor<'float32'> {
  let size = 1;
  for (const d of shape) size *= d;
  const data = fillUniform(new Float32Array(size), tensorSeed(seed, name), std * Math.sqrt(3));
  return new Tensor('float32', data, shape);
}

/** He (Kaiming) scaling: the weight std that keeps the mean square of activations through a ReLU layer. */
export function heStd(fanIn: number): number {
  return Math.sqrt(2 / fanIn);
}
