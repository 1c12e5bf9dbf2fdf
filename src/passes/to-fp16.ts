import { float32ArrayToFloat16 } from '../core/float16.js';
import { Tensor } from '../core/tensor.js';
import type { Graph, Node } from '../ir/graph.js';

/** ONNX TensorProto.DataType FLOAT, the `to` of the Cast that widens a stored weight. */
const onnxFloat = 1;

/**
 * Stores every float32 weight as float16 (half the memory and bandwidth), widened by a Cast where it
 * is read, so arithmetic stays float32. Backends with float16 kernels fuse the Cast into the consumer.
 */
export function weightsToFp16(graph: Graph): Graph {
  const initializers = new Map(graph.initializers);
  const casts: Node[] = [];
  const taken = new Set([...graph.initializers.keys(), ...graph.nodes.flatMap((n) => n.outputs)]);
  for (const [name, t] of graph.initializers) {
    if (t.dtype !== 'float32' || t.size < 2) continue;
    let stored = `${name}_fp16`;
    for (let i = 1; taken.has(stored); i++) stored = `${name}_fp16_${i}`;
    taken.add(stored);
    initializers.delete(name);
    initializers.set(stored, new Tensor('float16', float32ArrayToFloat16(t.data as Float32Array), t.shape));
    casts.push({ name: `${stored}_cast`, op: 'Cast', domain: '', inputs: [stored], outputs: [name], attrs: { to: { type: 'int', value: onnxFloat } } });
  }
  return { ...graph, initializers, nodes: [...casts, ...graph.nodes], valueTypes: new Map() };
}
