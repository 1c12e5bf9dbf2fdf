import { Tensor } from '../core/tensor.js';
import { type Graph, type Node, isDefaultDomain } from '../ir/graph.js';
import { Attrs } from '../ops/op.js';

/**
 * Folds an inference-mode BatchNormalization into the Conv (or Gemm) that feeds it, when the statistics
 * and the layer's weights are constants and nothing else reads the layer's output:
 * W'[m] = W[m] * s[m] and b'[m] = (b[m] - mean[m]) * s[m] + beta[m], with s = scale / sqrt(var + eps).
 * The layer then writes the BatchNormalization's output, and one kernel does the work of two.
 */
export function foldBatchNorm(graph: Graph): Graph {
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const name of n.inputs) if (name !== '') readers.set(name, (readers.get(name) ?? 0) + 1);
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const name of n.outputs) producer.set(name, n);
  // An initializer that is also a graph input may be overridden by a feed: it is no constant.
  const fed = new Set(graph.inputs.map((v) => v.name));
  const f32 = (name: string | undefined): Tensor | undefined => {
    const t = name === undefined || name === '' || fed.has(name) ? undefined : graph.initializers.get(name);
    return t?.dtype === 'float32' ? t : undefined;
  };

  const initializers = new Map(graph.initializers);
  const taken = new Set([...graph.initializers.keys(), ...graph.nodes.flatMap((n) => n.outputs), ...graph.inputs.map((v) => v.name)]);
  const fresh = (base: string): string => {
    let name = `${base}_bn`;
    for (let i = 1; taken.has(name); i++) name = `${base}_bn${i}`;
    taken.add(name);
    return name;
  };
  const replaced = new Map<Node, Node>();
  const removed = new Set<Node>();
  for (const bn of graph.nodes) {
    if (bn.op !== 'BatchNormalization' || !isDefaultDomain(bn.domain)) continue;
    if (bn.outputs.slice(1).some((o) => o !== '' && (readers.get(o) ?? 0) > 0) || new Attrs(bn).int('training_mode', 0) !== 0) continue;
    const stats = bn.inputs.slice(1, 5).map(f32);
    const layer = producer.get(bn.inputs[0]);
    if (stats.some((t) => t === undefined) || layer === undefined || replaced.has(layer) || !isDefaultDomain(layer.domain)) continue;
    if (readers.get(bn.inputs[0]) !== 1 || graphOutputs.has(bn.inputs[0])) continue;
    const [scale, beta, mean, variance] = stats.map((t) => t!.toFloat64());
    const channels = scale.length;
    const eps = new Attrs(bn).float('epsilon', 1e-5);
    const s = scale.map((v, c) => v / Math.sqrt(variance[c] + eps));
    const folded = layer.op === 'Conv' ? foldIntoConv(layer, s, f32) : layer.op === 'Gemm' ? foldIntoGemm(layer, s, f32) : undefined;
    if (folded === undefined || folded.bias.length !== channels) continue;
    const bias = folded.bias.map((v, c) => (v - mean[c]) * s[c] + beta[c]);
    const wName = fresh(layer.inputs[1]);
    const bName = fresh(layer.op === 'Conv' ? (layer.inputs[2] || `${layer.name}_bias`) : (layer.inputs[2] || `${layer.name}_c`));
    initializers.set(wName, folded.weights);
    initializers.set(bName, new Tensor('float32', Float32Array.from(bias), [channels]));
    const attrs = layer.op === 'Gemm' ? { ...layer.attrs, beta: { type: 'float' as const, value: 1 } } : layer.attrs;
    replaced.set(layer, { ...layer, inputs: [layer.inputs[0], wName, bName], outputs: [bn.outputs[0]], attrs });
    removed.add(bn);
  }
  if (removed.size === 0) return graph;
  const nodes = graph.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  // Weights nobody reads any more go with the rewrite.
  const read = new Set(nodes.flatMap((n) => n.inputs));
  for (const name of [...initializers.keys()]) if (!read.has(name) && !graphOutputs.has(name)) initializers.delete(name);
  return { ...graph, nodes, initializers, valueTypes: new Map() };
}

type Lookup = (name: string | undefined) => Tensor | undefined;

/** Conv weights [M, C/g, kh, kw] scaled per output channel; the bias it had (or zeros). */
function foldIntoConv(conv: Node, s: Float64Array, f32: Lookup): { weights: Tensor; bias: Float64Array } | undefined {
  const w = f32(conv.inputs[1]);
  const b = conv.inputs[2] === undefined || conv.inputs[2] === '' ? undefined : f32(conv.inputs[2]);
  if (w === undefined || (conv.inputs[2] !== undefined && conv.inputs[2] !== '' && b === undefined) || w.shape[0] !== s.length) return undefined;
  const per = w.size / s.length;
  const src = w.data as Float32Array;
  const out = new Float32Array(w.size);
  for (let m = 0; m < s.length; m++) for (let i = 0; i < per; i++) out[m * per + i] = src[m * per + i] * s[m];
  return { weights: new Tensor('float32', out, w.shape), bias: b === undefined ? new Float64Array(s.length) : b.toFloat64() };
}

/** Gemm (A not transposed) with a constant B and a C of one value per output column (or none). */
function foldIntoGemm(gemm: Node, s: Float64Array, f32: Lookup): { weights: Tensor; bias: Float64Array } | undefined {
  const a = new Attrs(gemm);
  const w = f32(gemm.inputs[1]);
  const cName = gemm.inputs[2];
  const c = cName === undefined || cName === '' ? undefined : f32(cName);
  if (a.int('transA', 0) !== 0 || w === undefined || w.rank !== 2 || (cName !== undefined && cName !== '' && c === undefined)) return undefined;
  const transB = a.int('transB', 0) !== 0;
  const [rows, cols] = w.shape;
  const n = transB ? rows : cols;
  if (n !== s.length || (c !== undefined && c.size !== n && c.size !== 1)) return undefined;
  const src = w.data as Float32Array;
  const out = new Float32Array(w.size);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[r * cols + k] = src[r * cols + k] * s[transB ? r : k];
  const beta = a.float('beta', 1);
  const cv = c?.toFloat64();
  const bias = new Float64Array(n).map((_, j) => (cv === undefined ? 0 : beta * cv[cv.length === 1 ? 0 : j]));
  return { weights: new Tensor('float32', out, w.shape), bias };
}
