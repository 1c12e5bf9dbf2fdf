/**
 * Shape inference with less known: every ONNX node-test model joule can run, with its input shapes
 * made symbolic or of unknown rank, must infer (or fail with a JouleError), never crash. Exported
 * models often reach an op with shapes that only the run will tell.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JouleError } from '../../src/core/errors.js';
import { decodeOnnx } from '../../src/formats/onnx/decode.js';
import type { Graph, Model } from '../../src/ir/graph.js';
import { inferGraph } from '../../src/ir/infer.js';
import { ops } from '../../src/ops/index.js';

const root = fileURLToPath(new URL('../../../shared/onnx-node-tests/node/', import.meta.url));

function models(): [string, Model][] {
  if (!existsSync(root)) return [];
  const out: [string, Model][] = [];
  for (const name of readdirSync(root).sort()) {
    try {
      const m = decodeOnnx(readFileSync(join(root, name, 'model.onnx')));
      if (m.graph.nodes.every((n) => n.op in ops)) out.push([name, m]);
    } catch {
      // Models joule cannot decode are the node-test runner's business.
    }
  }
  return out;
}

function tryInfer(graph: Graph): string | undefined {
  try {
    inferGraph(graph);
    return undefined;
  } catch (e) {
    return e instanceof JouleError ? undefined : `${(e as Error).stack}`;
  }
}

describe('shape inference with unknown shapes', () => {
  const cases = models();
  it('has cases', () => expect(cases.length).toBeGreaterThan(150));
  it('never crashes when input shapes are symbolic or of unknown rank', () => {
    const crashes: string[] = [];
    for (const [name, m] of cases) {
      const g = m.graph;
      const symbolic = { ...g, inputs: g.inputs.map((v, i) => ({ ...v, shape: v.shape?.map((_, j) => `s${i}_${j}`) })) };
      const unknown = { ...g, inputs: g.inputs.map((v) => ({ ...v, shape: undefined })) };
      for (const [label, graph] of [['symbolic', symbolic], ['unknown rank', unknown]] as const) {
        const crash = tryInfer(graph);
        if (crash !== undefined) crashes.push(`${name} (${label}): ${crash.split('\n').slice(0, 3).join(' | ')}`);
      }
    }
    expect(crashes, crashes.join('\n')).toEqual([]);
  });
});
