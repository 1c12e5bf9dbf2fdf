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

/**
 * The inverse, for a backend whose kernels read float32 weights: each Cast that widens a stored float16
 * weight becomes a float32 initializer (the float16 values, exactly), so the widening happens once, at
 * prepare, rather than on every run; `keep` leaves the Casts whose readers take float16 themselves.
 */
export function widenFp16Weights(graph: Graph, keep: (cast: Node) => boolean = () => false): Graph {
  const initializers = new Map(graph.initializers);
  const fed = new Set(graph.inputs.map((v) => v.name));
  const nodes = graph.nodes.filter((node) => {
    const stored = node.op === 'Cast' && node.attrs.to?.value === onnxFloat ? graph.initializers.get(node.inputs[0]) : undefined;
    if (stored?.dtype !== 'float16' || fed.has(node.inputs[0]) || keep(node)) return true;
    const widened = new Tensor('float32', stored.toFloat32(), stored.shape);
    sources.set(widened, stored);
    initializers.set(node.outputs[0], widened);
    return false;
  });
  if (nodes.length === graph.nodes.length) return graph;
  const read = new Set(nodes.flatMap((n) => n.inputs));
  for (const [name, t] of graph.initializers) if (t.dtype === 'float16' && !read.has(name)) initializers.delete(name);
  return { ...graph, nodes, initializers, valueTypes: new Map() };
}

/** The float16 tensors widened weights were made from. */
const sources = new WeakMap<Tensor, Tensor>();

/**
 * The float16 tensor a float32 weight was widened from by widenFp16Weights, else the tensor itself: what
 * stays the same when a session widens its fp16 weights again for another input shape.
 */
export function widenedFrom(t: Tensor): Tensor {
  return sources.get(t) ?? t;
}
