/**
 * The ONNX project's own conformance cases for single operators, run on the reference backend.
 *
 * Every case whose ops joule implements must pass or be listed in exclusions.ts with a reason; cases
 * for ops joule does not implement are counted and skipped. Set NODE_TEST_FILTER to a regular
 * expression over case names to run a subset, e.g. NODE_TEST_FILTER='^test_(conv|maxpool)'.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { JouleError } from '../../src/core/errors.js';
import type { Tensor } from '../../src/core/tensor.js';
import { decodeOnnx, decodeTensorProto } from '../../src/formats/onnx/decode.js';
import { type Graph, subgraphsOf } from '../../src/ir/graph.js';
import { verify } from '../../src/ir/verify.js';
import { runGraph } from '../../src/backends/reference/interpreter.js';
import { ops } from '../../src/ops/index.js';
import { exclusions } from './exclusions.js';
import { compareTensors } from '../helpers/compare.js';

const root = fileURLToPath(new URL('../../../shared/onnx-node-tests/node/', import.meta.url));
const filter = new RegExp(process.env.NODE_TEST_FILTER ?? '');
const cases = existsSync(root) ? readdirSync(root).filter((c) => filter.test(c)).sort() : [];
const registered = Object.keys(ops).map((op) => op.toLowerCase());

function opTypes(graph: Graph, into = new Set<string>()): Set<string> {
  for (const node of graph.nodes) {
    into.add(node.op);
    for (const sub of subgraphsOf(node)) opTypes(sub, into);
  }
  return into;
}

/** A case's name names its op (test_maxpool_2d_pads -> MaxPool). */
function namesRegisteredOp(name: string): boolean {
  const rest = name.replace(/^test_/, '');
  return registered.some((op) => rest === op || rest.startsWith(`${op}_`));
}

const tally = { total: cases.length, passed: 0, excluded: 0, outOfScope: 0, failed: 0 };

describe('ONNX node tests on the reference backend', () => {
  it('finds the conformance cases', () => {
    expect(existsSync(root), `missing ${root}`).toBe(true);
    for (const name of Object.keys(exclusions)) {
      expect(existsSync(join(root, name)), `exclusion '${name}' names no case`).toBe(true);
    }
  });

  for (const name of cases) {
    const dir = join(root, name);
    let model: ReturnType<typeof decodeOnnx> | undefined;
    let decodeError: unknown;
    try {
      model = decodeOnnx(readFileSync(join(dir, 'model.onnx')));
    } catch (e) {
      decodeError = e;
    }
    const unsupported = model ? [...opTypes(model.graph)].filter((op) => !(op in ops)) : [];
    const inScope = model ? unsupported.length === 0 : namesRegisteredOp(name);
    if (!inScope) {
      tally.outOfScope++;
      continue;
    }
    if (name in exclusions) {
      tally.excluded++;
      it.skip(`${name} (excluded: ${exclusions[name]})`, () => {});
      continue;
    }
    it(name, () => {
      try {
        if (model === undefined) throw decodeError;
        const graph = model.graph;
        verify(graph);
        const dataDir = join(dir, 'test_data_set_0');
        const feeds = new Map<string, Tensor>();
        graph.inputs.forEach((input, i) => {
          feeds.set(input.name, decodeTensorProto(readFileSync(join(dataDir, `input_${i}.pb`))).tensor);
        });
        const outputs = runGraph(graph, feeds);
        outputs.forEach((actual, i) => {
          const expected = decodeTensorProto(readFileSync(join(dataDir, `output_${i}.pb`))).tensor;
          const problem = compareTensors(actual, expected, { rtol: 1e-3, atol: 1e-7 });
          if (problem !== undefined) throw new Error(`output ${i} ('${graph.outputs[i].name}'): ${problem}`);
        });
        tally.passed++;
      } catch (e) {
        tally.failed++;
        if (e instanceof JouleError) throw new Error(`${e.code}: ${e.message}`);
        throw e;
      }
    });
  }

  afterAll(() => {
    console.log(
      `ONNX node tests: ${tally.total} cases; ran ${tally.passed + tally.failed} (passed ${tally.passed}, failed ${tally.failed}), ` +
        `excluded ${tally.excluded}, not in joule's op set ${tally.outOfScope}`,
    );
  });
});
