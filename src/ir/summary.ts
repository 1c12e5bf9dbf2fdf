import { type Dim, formatShape } from '../core/shape.js';
import { opDef } from '../ops/index.js';
import { type Graph, type Node, type ValueInfo, isDefaultDomain } from './graph.js';
import { inferGraph } from './infer.js';

export interface LayerSummary {
  readonly name: string;
  readonly op: string;
  /** Output shapes with the model's symbolic dimensions. */
  readonly outputShapes: readonly (readonly Dim[] | undefined)[];
  /** Multiply-adds for one image (every symbolic dimension taken as 1). */
  readonly macs: number;
  /** Weight elements the node reads from initializers. */
  readonly params: number;
}

export interface GraphSummary {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly opCounts: ReadonlyMap<string, number>;
  readonly params: number;
  readonly layers: readonly LayerSummary[];
  /** Multiply-adds per image; FLOPs are twice this. */
  readonly macs: number;
}

/** What `joule info` prints: ops, parameters, per-layer shapes and multiply-adds per image. */
export function summarize(graph: Graph): GraphSummary {
  const symbolic = inferGraph(graph).types;
  const perImage = inferGraph({
    ...graph,
    inputs: graph.inputs.map((v) => ({ ...v, shape: v.shape?.map((d) => (typeof d === 'number' ? d : 1)) })),
  }).types;
  const concrete = (name: string): readonly number[] | undefined => {
    const s = perImage.get(name)?.shape;
    return s !== undefined && s.every((d) => typeof d === 'number') ? (s as number[]) : undefined;
  };
  const opCounts = new Map<string, number>();
  const layers: LayerSummary[] = graph.nodes.map((node) => {
    opCounts.set(node.op, (opCounts.get(node.op) ?? 0) + 1);
    return {
      name: node.name,
      op: node.op,
      outputShapes: node.outputs.map((o) => symbolic.get(o)?.shape),
      macs: nodeMacs(node, concrete),
      params: node.inputs.filter((i) => graph.initializers.has(i)).reduce((n, i) => n + graph.initializers.get(i)!.size, 0),
    };
  });
  let params = 0;
  for (const t of graph.initializers.values()) params += t.size;
  return {
    inputs: graph.inputs,
    outputs: graph.outputs.map((o) => ({ ...o, shape: symbolic.get(o.name)?.shape ?? o.shape })),
    opCounts,
    params,
    layers,
    macs: layers.reduce((n, l) => n + l.macs, 0),
  };
}

function nodeMacs(node: Node, shapeOf: (name: string) => readonly number[] | undefined): number {
  const def = isDefaultDomain(node.domain) ? opDef(node.op) : undefined;
  if (def?.macs === undefined) return 0;
  const outputs = node.outputs.map(shapeOf);
  if (outputs.some((s) => s === undefined)) return 0;
  return def.macs(node, node.inputs.map((i) => (i === '' ? undefined : shapeOf(i))), outputs as number[][]);
}

/** A fixed-width table of the summary, for terminals. */
export function formatSummary(s: GraphSummary): string {
  const lines: string[] = [];
  const io = (v: ValueInfo): string => `  ${v.name}: ${v.dtype} ${formatShape(v.shape)}`;
  lines.push('inputs:', ...s.inputs.map(io), 'outputs:', ...s.outputs.map(io));
  lines.push(`ops: ${[...s.opCounts].map(([op, n]) => `${op} ${n}`).join(', ')}`);
  lines.push(`parameters: ${s.params.toLocaleString('en-US')}`);
  lines.push('', 'layer'.padEnd(32) + 'op'.padEnd(20) + 'output'.padEnd(28) + 'MMAC'.padStart(10));
  for (const l of s.layers) {
    const out = l.outputShapes.map((x) => formatShape(x)).join(' ');
    lines.push(l.name.padEnd(32) + l.op.padEnd(20) + out.padEnd(28) + (l.macs ? (l.macs / 1e6).toFixed(1) : '').padStart(10));
  }
  lines.push('', `per image: ${(s.macs / 1e9).toFixed(3)} GMAC, ${((2 * s.macs) / 1e9).toFixed(3)} GFLOP`);
  return lines.join('\n');
}
