/** Byte-level mutations for fuzzing decoders: flips, overwrites, truncation, insertion, duplication. */
export type Rand = () => number;
export const below = (rand: Rand, n: number) => Math.floor(rand() * n);

export const mutations: Record<string, (b: Uint8Array, rand: Rand) => Uint8Array> = {
  flipBit(b, rand) {
    const out = new Uint8Array(b);
    out[below(rand, out.length)] ^= 1 << below(rand, 8);
    return out;
  },
  overwrite(b, rand) {
    const out = new Uint8Array(b);
    const at = below(rand, out.length);
    // Mostly one random byte; sometimes a run of 0xff, which reads as a huge varint length or count.
    const run = rand() < 0.3 ? 1 + below(rand, 9) : 1;
    for (let i = at; i < Math.min(out.length, at + run); i++) out[i] = run > 1 ? 0xff : below(rand, 256);
    return out;
  },
  truncate(b, rand) {
    return new Uint8Array(b.subarray(0, below(rand, b.length)));
  },
  insert(b, rand) {
    const at = below(rand, b.length + 1);
    const bytes = Uint8Array.from({ length: 1 + below(rand, 8) }, () => below(rand, 256));
    return concat(b.subarray(0, at), bytes, b.subarray(at));
  },
  duplicateSpan(b, rand) {
    const start = below(rand, b.length);
    const span = b.subarray(start, start + 1 + below(rand, 64));
    const at = below(rand, b.length + 1);
    return concat(b.subarray(0, at), span, b.subarray(at));
  },
};
export const mutationNames = Object.keys(mutations);

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

