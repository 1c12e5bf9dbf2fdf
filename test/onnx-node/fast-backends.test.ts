/**
 * The ONNX project's conformance cases again, on the cpu and webgpu backends: every case whose ops
 * those backends run on their own kernels (convolutions, GEMMs, pooling, LRN, softmax, elementwise
 * ops, Concat, BatchNormalization and reshapes), loaded through the Session like any model, against
 * the outputs the ONNX project recorded. Every input after the first becomes an initializer, as trained
 * weights are (the cases feed a Conv's W as an input), so that the layers run on the backends' kernels
 * rather than falling back to the host. NODE_TEST_FILTER narrows them as in node-tests.test.ts.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import type { BackendName } from '../../src/backends/index.js';
import type { Tensor } from '../../src/core/tensor.js';
import { decodeOnnx, decodeTensorProto } from '../../src/formats/onnx/decode.js';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { Session } from '../../src/runtime/session.js';
import { gpuMissing } from '../backends/webgpu/gpu.js';
import { compareTensors } from '../helpers/compare.js';
import { exclusions } from './exclusions.js';

const root = fileURLToPath(new URL('../../../shared/onnx-node-tests/node/', import.meta.url));
const filter = new RegExp(process.env.NODE_TEST_FILTER ?? '');

/** Ops with kernels of their own on the fast backends (the cpu backend runs a subset, the rest on the reference). */
const kernelOps = new Set(['Conv', 'Gemm', 'MatMul', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LRN', 'Softmax', 'Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'Clip', 'Add', 'Sub', 'Mul', 'Div', 'Concat', 'BatchNormalization']);
const plumbing = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Constant']);

interface Case {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly feeds: Record<string, Tensor>;
  readonly expected: Tensor[];
}

function loadCases(): Case[] {
  if (!existsSync(root)) return [];
  const cases: Case[] = [];
  for (const name of readdirSync(root).filter((c) => filter.test(c)).sort()) {
    if (name in exclusions) continue;
    const dir = join(root, name);
    const bytes = readFileSync(join(dir, 'model.onnx'));
    let graph;
    try {
      graph = decodeOnnx(bytes).graph;
    } catch {
      continue;
    }
    const ops = graph.nodes.map((n) => n.op);
    if (!ops.some((op) => kernelOps.has(op)) || !ops.every((op) => kernelOps.has(op) || plumbing.has(op))) continue;
    if (![...graph.inputs, ...graph.outputs].every((v) => v.dtype === 'float32')) continue;
    const data = join(dir, 'test_data_set_0');
    const values = graph.inputs.map((_, i) => decodeTensorProto(readFileSync(join(data, `input_${i}.pb`))).tensor);
    const constants = new Map(graph.inputs.slice(1).map((v, i) => [v.name, values[i + 1]]));
    const model = decodeOnnx(bytes);
    const withWeights = { ...model, graph: { ...model.graph, inputs: model.graph.inputs.slice(0, 1), initializers: new Map([...model.graph.initializers, ...constants]) } };
    const expected = graph.outputs.map((_, i) => decodeTensorProto(readFileSync(join(data, `output_${i}.pb`))).tensor);
    cases.push({ name, bytes: encodeOnnx(withWeights), feeds: { [graph.inputs[0].name]: values[0] }, expected });
  }
  return cases;
}

const cases = loadCases();
// The cpu backend's profile names a node's op where the reference kernel ran it.
const opNames = Object.fromEntries([...kernelOps, ...plumbing].map((op) => [op, true]));

for (const backend of ['cpu', 'webgpu'] as BackendName[]) {
  const skip = backend === 'webgpu' ? gpuMissing : undefined;
  describe.skipIf(skip !== undefined)(`ONNX node tests on the ${backend} backend`, () => {
    let passed = 0;
    let onKernels = 0;
    it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
      const session = await Session.load(c.bytes, { backend, threads: 2, tune: 'heuristic', profile: true });
      try {
        const out = await session.run(c.feeds);
        if ([...(await session.profile()).keys()].some((step) => !/^(host |run |upload |wait )/.test(step) && !(step in opNames))) onKernels++;
        session.outputs.forEach((o, i) => {
          const problem = compareTensors(out[o.name], c.expected[i], { rtol: 1e-3, atol: 1e-5 });
          if (problem !== undefined) throw new Error(`output ${i} ('${o.name}'): ${problem}`);
        });
        passed++;
      } finally {
        await session.dispose();
      }
    });
    afterAll(() => console.log(`ONNX node tests on the ${backend} backend: ${passed} of ${cases.length} cases passed, ${onKernels} of them on the backend's own kernels`));
  });
}
