import { runGraph } from '../../src/backends/reference/interpreter.js';
import { Tensor } from '../../src/core/tensor.js';
import { type CaffeDecodeOptions, decodeCaffe } from '../../src/formats/caffe/index.js';
import type { Model } from '../../src/ir/graph.js';
import { verify } from '../../src/ir/verify.js';
import { type TextMessage, toPrototxt } from './caffe-fixtures.js';

/** A net definition: an Input layer per input (name and shape), then the layers. */
export function net(inputs: Readonly<Record<string, readonly number[]>>, layers: readonly TextMessage[]): string {
  const inputLayers = Object.entries(inputs).map(([name, dim]) => ({ name, type: 'Input', top: name, input_param: { shape: { dim } } }));
  return toPrototxt({ name: 'test', layer: [...inputLayers, ...layers] });
}

/** Decodes a definition (checking the graph) and runs it on the reference backend; outputs by name. */
export function forward(prototxt: string, feeds: Readonly<Record<string, Tensor>>, options: CaffeDecodeOptions = {}): Record<string, Tensor> {
  const model = load(prototxt, options);
  const outputs = runGraph(model.graph, new Map(Object.entries(feeds)));
  return Object.fromEntries(model.graph.outputs.map((o, i) => [o.name, outputs[i]]));
}

export function load(prototxt: string, options: CaffeDecodeOptions = {}): Model {
  const model = decodeCaffe(prototxt, options);
  verify(model.graph);
  return model;
}

/** A float32 tensor from values. */
export const t = (values: readonly number[], shape: readonly number[]): Tensor<'float32'> => Tensor.from('float32', values, shape);

/** A blob written into the definition: `{ shape { dim } data... }`. */
export const blob = (values: readonly number[], shape: readonly number[]): TextMessage => ({ shape: { dim: shape }, data: values });

/** The values of a tensor as plain numbers. */
export const values = (x: Tensor): number[] => Array.from(x.data as Float32Array);
