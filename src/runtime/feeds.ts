import { JouleError } from '../core/errors.js';
import { formatShape } from '../core/shape.js';
import { type Feed, GpuTensor } from '../core/gpu-tensor.js';
import { Tensor } from '../core/tensor.js';
import type { ValueInfo } from '../ir/graph.js';

function describe(v: ValueInfo): string {
  return `${v.name} (${v.dtype} ${formatShape(v.shape)})`;
}

/**
 * Checks feeds against the model's inputs: every input given, no unknown names, dtype, rank and every
 * fixed dimension as declared, and each symbolic dimension (such as the batch 'N') the same size
 * wherever it appears. Errors name the input, what was expected and what was given.
 */
export function checkFeeds(inputs: readonly ValueInfo[], feeds: Readonly<Record<string, Feed>>): Map<string, Feed> {
  const known = new Map(inputs.map((v) => [v.name, v]));
  for (const name of Object.keys(feeds)) {
    if (!known.has(name)) {
      throw new JouleError('BAD_FEED', `unknown input '${name}'; the model's inputs are ${inputs.map(describe).join(', ')}`);
    }
  }
  const symbols = new Map<string, { size: number; input: string }>();
  const out = new Map<string, Feed>();
  for (const v of inputs) {
    const t = feeds[v.name];
    if (t === undefined) throw new JouleError('BAD_FEED', `missing input ${describe(v)}`);
    if (!(t instanceof Tensor) && !(t instanceof GpuTensor)) throw new JouleError('BAD_FEED', `input '${v.name}' must be a Tensor or a GpuTensor`);
    if (t.dtype !== v.dtype) {
      throw new JouleError('BAD_FEED', `input '${v.name}' expects dtype ${v.dtype}, got ${t.dtype}`);
    }
    if (v.shape !== undefined) {
      if (t.shape.length !== v.shape.length) {
        throw new JouleError('BAD_FEED', `input '${v.name}' expects rank ${v.shape.length} ${formatShape(v.shape)}, got rank ${t.shape.length} ${formatShape(t.shape)}`);
      }
      v.shape.forEach((dim, i) => {
        const size = t.shape[i];
        if (typeof dim === 'number') {
          if (dim !== size) {
            throw new JouleError('BAD_FEED', `input '${v.name}' expects shape ${formatShape(v.shape)}, got ${formatShape(t.shape)} (dimension ${i} should be ${dim})`);
          }
        } else if (dim !== '?') {
          const seen = symbols.get(dim);
          if (seen !== undefined && seen.size !== size) {
            throw new JouleError('BAD_FEED', `dimension '${dim}' is ${seen.size} in input '${seen.input}' but ${size} in input '${v.name}'`);
          }
          symbols.set(dim, { size, input: v.name });
        }
      });
    }
    out.set(v.name, t);
  }
  return out;
}
