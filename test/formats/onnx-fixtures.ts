import { readFileSync } from 'node:fs';
import { Tensor } from '../../src/core/tensor.js';
import { GraphBuilder, float, floats, int, ints } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/graph.js';
import { onnxTypes } from '../../src/formats/onnx/schema.js';

/** The ONNX project's node tests, at ../shared/onnx-node-tests from the project root. */
export const nodeTests = new URL('../../../shared/onnx-node-tests/node/', import.meta.url);

/** A node-test file as a plain Uint8Array (a Node Buffer's slice() would share memory instead of copying). */
export function nodeTestFile(test: string, file: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`${test}/${file}`, nodeTests)));
}

/** Encodes a hand-written ModelProto (plain object with onnx.proto field names). */
export function encodeModelProto(model: Record<string, unknown>): Uint8Array {
  return onnxTypes().ModelProto.encode(model).finish();
}

export function encodeTensorProto(tensor: Record<string, unknown>): Uint8Array {
  return onnxTypes().TensorProto.encode(tensor).finish();
}

/** A ValueInfoProto of a tensor; a string dim is a dim_param, null a dimension with neither. */
export function tensorValueInfo(name: string, elemType: number, dims?: readonly (number | string | null)[]): Record<string, unknown> {
  const tensorType: Record<string, unknown> = { elem_type: elemType };
  if (dims !== undefined) {
    tensorType.shape = { dim: dims.map((d) => (d === null ? {} : typeof d === 'number' ? { dim_value: d } : { dim_param: d })) };
  }
  return { name, type: { tensor_type: tensorType } };
}

/** A ModelProto around a graph, with the default opset. */
export function modelAround(graph: Record<string, unknown>, opset = 17): Record<string, unknown> {
  return { ir_version: 8, opset_import: [{ domain: '', version: opset }], producer_name: 'test', graph };
}

/** A small deterministic PRNG (mulberry32), so that fuzz runs are reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * y = Relu(x·W + b) + If(cond, [1, 2], b + b): a MatMul/Add/Relu chain with initializers, a symbolic batch
 * dimension and an If whose else branch reads an initializer of the enclosing graph.
 */
export function demoModel(): Model {
  const thenB = new GraphBuilder('then_branch', 17);
  thenB.node('Constant', [], { value: Tensor.from('float32', [1, 2], [2]) }, { name: 'then_const', outputs: ['then_out'] });
  thenB.output('then_out', 'float32', [2]);
  const elseB = new GraphBuilder('else_branch', 17);
  elseB.node('Add', ['b', 'b'], {}, { name: 'else_add', outputs: ['else_out'] });
  elseB.output('else_out', 'float32', [2]);

  const g = new GraphBuilder('demo', 17);
  const x = g.input('x', 'float32', ['N', 3]);
  const cond = g.input('cond', 'bool', []);
  const w = g.initializer('W', Tensor.from('float32', [1, -1, 2, 0.5, -3, 1], [3, 2]));
  const b = g.initializer('b', Tensor.from('float32', [0.5, -1], [2]));
  const mm = g.op('MatMul', [x, w]);
  const sum = g.op('Add', [mm, b]);
  const relu = g.op('Relu', [sum]);
  const [branch] = g.node('If', [cond], { then_branch: thenB.build(), else_branch: elseB.build() });
  const [y] = g.node('Add', [relu, branch], {}, { outputs: ['y'] });
  g.output(y, 'float32', ['N', 2]);
  return { graph: g.build(), producer: 'test', metadata: { purpose: 'demo' } };
}

/** A node of a custom domain carrying one attribute of every kind joule holds. */
export function everyAttributeModel(): Model {
  // Subgraphs share the model's opsets.
  const opsets = new Map([['', 13], ['com.example', 2]]);
  const sub = new GraphBuilder('body', 13);
  sub.node('Identity', ['x'], {}, { name: 'inner', outputs: ['inner_out'] });
  sub.output('inner_out', 'float32', ['N', 2]);
  const g = new GraphBuilder('attrs', 13);
  const x = g.input('x', 'float32', ['N', 2]);
  g.node(
    'Fancy',
    [x, ''],
    {
      i: int(-7),
      big: int(2 ** 40 + 3),
      f: float(0.25),
      s: 'héllo ✓',
      t: Tensor.from('int64', [-1, 2 ** 40, 3], [3]),
      g: { ...sub.build(), opsets },
      is: ints([1, 0, -2]),
      fs: floats([1.5, -0.125]),
      ss: ['a', '', 'ü'],
      empty: ints([]),
    },
    { name: 'fancy', domain: 'com.example', outputs: ['y'] },
  );
  g.output('y', 'float32', ['N', '?']);
  const graph = g.build();
  return {
    graph: { ...graph, opsets, valueTypes: new Map([['unused_value', { dtype: 'float16', shape: ['N', 4, '?'] }]]) },
    producer: 'test',
    metadata: { author: 'joule tests', note: 'ünïcode' },
  };
}
