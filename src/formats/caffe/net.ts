// A Caffe net as an IR graph. Caffe's blobs may be overwritten in place (a ReLU whose top is its
// bottom); the IR is SSA, so every node output gets its own value, named after its layer as the zoo
// names them ('conv1', 'relu1'), while the net's inputs and outputs keep their blob names ('data', 'prob').

import { JouleError, fail } from '../../core/errors.js';
import { type Dim, formatShape } from '../../core/shape.js';
import { Tensor } from '../../core/tensor.js';
import { type Attribute, type Graph, type Node, type ValueInfo, type ValueType, makeGraph } from '../../ir/graph.js';
import { inferNode } from '../../ir/infer.js';
import { type Blob, shapeDims } from './blob.js';
import { type CaffeLayer, type WeightsByLayer, netLayers } from './decode.js';
import type { LayerContext } from './layer-context.js';
import { batchShape, converters } from './layers.js';
import { needsWeights } from './layers-norm.js';
import { type NetParameterMsg, caffeTypes, hasField } from './schema.js';

export interface ConvertOptions {
  /** The definition's file name, for errors. */
  readonly file: string;
  /** Trained blobs by layer name (from a .caffemodel), and that file's name. */
  readonly weights?: WeightsByLayer;
  readonly weightsFile?: string;
  /** Gives layers without trained blobs zeros of the right shapes instead of failing. */
  readonly zeroMissingWeights?: boolean;
}

const OPSET = 17;
/** The largest zero weight tensor made up for a layer without weights (a guard against absurd definitions). */
const MAX_ZERO_WEIGHTS = 2 ** 28;

const own = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** Nodes, initializers and the types of every value so far, with names unique per kind. */
class Emitter {
  readonly nodes: Node[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly initializers = new Map<string, Tensor>();
  readonly types = new Map<string, ValueType>();
  private readonly constants = new Map<string, Tensor>();
  private readonly values = new Set<string>();
  private readonly nodeNames = new Set<string>();

  uniqueValue(base: string): string {
    return claimUnique(this.values, base);
  }

  reserve(name: string): void {
    this.values.add(name);
  }

  input(name: string, shape: readonly Dim[]): void {
    this.inputs.push({ name, dtype: 'float32', shape });
    this.types.set(name, { dtype: 'float32', shape });
  }

  initializer(base: string, t: Tensor): string {
    const name = this.uniqueValue(base);
    this.initializers.set(name, t);
    this.constants.set(name, t);
    this.types.set(name, { dtype: t.dtype, shape: t.shape });
    return name;
  }

  node(op: string, base: string, inputs: readonly string[], attrs: Readonly<Record<string, Attribute>>, output: string): void {
    const node: Node = { name: claimUnique(this.nodeNames, base), op, domain: '', inputs: [...inputs], outputs: [output], attrs: { ...attrs } };
    this.nodes.push(node);
    const [type] = inferNode(node, OPSET, { types: this.types, constants: this.constants });
    this.types.set(output, type);
  }
}

function claimUnique(used: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
  used.add(name);
  return name;
}

/** Where each blob that ends up unconsumed was last written: Caffe's net outputs, in the order they were made. */
function netOutputs(inputs: readonly string[], layers: readonly CaffeLayer[], file: string): Map<string, [number, number]> {
  const last = new Map<string, [number, number]>();
  const consumed = new Set<string>();
  for (const name of inputs) last.set(name, [-1, 0]);
  layers.forEach((layer, i) => {
    for (const b of layer.bottoms) {
      if (!last.has(b)) fail('MODEL_INVALID', `${file}: layer '${layer.name}' reads blob '${b}', which no input or earlier layer produces`);
      consumed.add(b);
    }
    layer.tops.forEach((t, k) => {
      last.delete(t);
      last.set(t, [i, k]);
      consumed.delete(t);
    });
  });
  return new Map([...last].filter(([name, [layer]]) => layer >= 0 && !consumed.has(name)));
}

/** The inputs a net declares outside layers (`input` with `input_shape` or four `input_dim`s each). */
function declaredInputs(net: NetParameterMsg, file: string): [string, number[]][] {
  if (net.input.length === 0) return [];
  if (net.input_shape.length > 0 && net.input_dim.length > 0) fail('MODEL_INVALID', `${file}: give input shapes with input_shape or input_dim, not both`);
  if (net.input_shape.length > 0) {
    if (net.input_shape.length !== net.input.length) {
      fail('MODEL_INVALID', `${file}: ${net.input.length} inputs but ${net.input_shape.length} input_shape entries`);
    }
    return net.input.map((name, i) => [name, shapeDims(net.input_shape[i], `${file}: input_shape of '${name}'`)]);
  }
  if (net.input_dim.length !== 4 * net.input.length) {
    fail('MODEL_INVALID', `${file}: ${net.input.length} inputs need ${4 * net.input.length} input_dim values (four each), got ${net.input_dim.length}`);
  }
  return net.input.map((name, i) => [name, net.input_dim.slice(4 * i, 4 * i + 4)]);
}

/** Converts a parsed net definition (and its trained blobs) into an IR graph; `zeroed` names the layers given zero weights. */
export function convertNet(net: NetParameterMsg, options: ConvertOptions): { graph: Graph; zeroed: string[] } {
  const { file } = options;
  const layers = netLayers(net, file);
  const unsupported = layers.filter((l) => !own(converters, l.type));
  if (unsupported.length > 0) {
    const list = unsupported.map((l) => `'${l.name}' (type ${l.type})`).join('; ');
    throw new JouleError('UNSUPPORTED_OPS', `${file}: ${unsupported.length} layer(s) joule cannot convert: ${list}`);
  }
  const declared = declaredInputs(net, file);
  const outputs = netOutputs(
    declared.map(([name]) => name),
    layers,
    file,
  );
  const netBlobs = [...outputs.keys()];
  // Outputs keep their blob names, unless the blob is an input overwritten in place (SSA forbids it).
  const inputNames = new Set([...declared.map(([name]) => name), ...layers.filter((l) => l.type === 'Input').flatMap((l) => l.tops)]);
  for (const name of inputNames) outputs.delete(name);
  const emitter = new Emitter();
  for (const name of [...inputNames, ...outputs.keys()]) emitter.reserve(name);
  const weightsOf = (layer: CaffeLayer): readonly Blob[] | undefined =>
    options.weights?.get(layer.name)?.() ?? (layer.blobs.length > 0 ? layer.blobs : undefined);

  const params = new ParamReader();
  if (!options.zeroMissingWeights) {
    const missing = layers.filter((l) => needsWeights(params, l) && options.weights?.get(l.name) === undefined && l.blobs.length === 0);
    if (missing.length > 0) {
      const list = missing.map((l) => `'${l.name}' (${l.type})`).join(', ');
      const where = options.weightsFile === undefined ? 'no weights were given' : `${options.weightsFile} has none for them`;
      fail('MODEL_INVALID', `${file}: ${missing.length} layer(s) need trained weights and ${where}: ${list}; give the .caffemodel, or load with missingWeights: 'zeros' to inspect shapes`);
    }
  }

  const current = new Map<string, string>();
  const zeroed: string[] = [];
  const valueName = (layerIndex: number, top: number): string => {
    const layer = layers[layerIndex];
    const reserved = [...outputs].find(([, at]) => at[0] === layerIndex && at[1] === top);
    if (reserved !== undefined) return reserved[0];
    return emitter.uniqueValue(layer.tops.length === 1 ? layer.name : `${layer.name}/${layer.tops[top]}`);
  };
  for (const [name, dims] of declared) {
    if (current.has(name)) fail('MODEL_INVALID', `${file}: input '${name}' is declared twice`);
    emitter.input(name, batchShape(dims, `the shape of input '${name}'`, (message) => fail('MODEL_INVALID', `${file}: ${message}`)));
    current.set(name, name);
  }

  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    let last = i;
    const fails = (message: string): never => fail('MODEL_INVALID', message);
    const ctx: LayerContext = {
      layer,
      inputs: layer.bottoms.map((b) => current.get(b)!),
      arity(bottoms, tops) {
        const [bMin, bMax] = typeof bottoms === 'number' ? [bottoms, bottoms] : bottoms;
        const [tMin, tMax] = typeof tops === 'number' ? [tops, tops] : tops;
        const n = layer.bottoms.length;
        const m = layer.tops.length;
        if (n < bMin || n > bMax) fails(`takes ${range(bMin, bMax)} bottom(s), got ${n}`);
        if (m < tMin || m > tMax) fails(`makes ${range(tMin, tMax)} top(s), got ${m}`);
      },
      shape(value) {
        const s = emitter.types.get(value)?.shape;
        if (s === undefined) throw new JouleError('INTERNAL', `no shape known for '${value}'`);
        return s;
      },
      size(dim, what) {
        if (typeof dim !== 'number') fails(`${what} must be a known size, not '${dim}' (the batch)`);
        return dim as number;
      },
      param: (kind, of = layer) => params.param(kind, of),
      has: (kind, field, of = layer) => params.has(kind, field, of),
      input(name, shape) {
        if (emitter.types.has(name)) fails(`input '${name}' is declared twice`);
        emitter.input(name, shape);
        return name;
      },
      op(op, inputs, attrs = {}, suffix) {
        const output = suffix === undefined ? valueName(last, 0) : emitter.uniqueValue(`${layer.name}_${suffix}`);
        emitter.node(op, suffix === undefined ? layer.name : `${layer.name}_${suffix}`, inputs, attrs, output);
        return output;
      },
      constant: (suffix, tensor) => emitter.initializer(`${layer.name}_${suffix}`, tensor),
      weight(index, count, shape, of = layer) {
        const blobs = weightsOf(of);
        if (blobs === undefined) {
          const size = shape.reduce((a, b) => a * b, 1);
          if (size > MAX_ZERO_WEIGHTS) fails(`would need ${size} zero weights of shape ${formatShape(shape)}; that is more than joule makes up`);
          if (!zeroed.includes(of.name)) zeroed.push(of.name);
          return Tensor.zeros('float32', shape);
        }
        const from = options.weights?.get(of.name) !== undefined ? ` in ${options.weightsFile ?? 'the weights'}` : '';
        if (blobs.length !== count) fails(`layer '${of.name}' has ${blobs.length} blob(s) of weights${from}; it needs ${count}`);
        const blob = blobs[index];
        if (!blobFits(blob, shape)) {
          fails(`blob ${index} of layer '${of.name}'${from} has shape ${formatShape(blob.shape)}; the layer needs ${formatShape(shape)}`);
        }
        return new Tensor('float32', blob.data, shape);
      },
      peekNext: () => layers[last + 1],
      absorbNext() {
        last++;
      },
      fail: fails,
    };
    let values: string[];
    try {
      values = converters[layer.type](ctx);
    } catch (e) {
      if (e instanceof JouleError && e.code !== 'INTERNAL') throw new JouleError(e.code, `${file}: layer '${layer.name}' (${layer.type}): ${e.message}`);
      throw e;
    }
    for (let j = i; j <= last; j++) layers[j].tops.forEach((top, k) => current.set(top, values[k]));
    i = last;
  }

  const graphOutputs = netBlobs.map((blob): ValueInfo => {
    const value = current.get(blob)!;
    const name = outputs.has(blob) ? blob : value;
    // An output that is another value under a new name (a Split's top): an Identity names it.
    if (value !== name) emitter.node('Identity', name, [value], {}, name);
    return { name, dtype: 'float32', shape: emitter.types.get(name)!.shape };
  });
  const graph = makeGraph({
    name: net.name !== '' ? net.name : 'caffe',
    inputs: emitter.inputs,
    outputs: graphOutputs,
    nodes: emitter.nodes,
    initializers: emitter.initializers,
    opsets: new Map([['', OPSET]]),
  });
  return { graph, zeroed };
}

const range = (min: number, max: number): string => (min === max ? String(min) : max === Infinity ? `${min} or more` : `${min} to ${max}`);

/** Caffe's ShapeEquals: the exact shape, or for legacy 4D blobs the shape padded to 4 axes with leading 1s. */
function blobFits(blob: Blob, shape: readonly number[]): boolean {
  if (!blob.legacy) return blob.shape.length === shape.length && blob.shape.every((d, i) => d === shape[i]);
  if (shape.length > 4) return false;
  const padded = [...new Array<number>(4 - shape.length).fill(1), ...shape];
  return blob.shape.every((d, i) => d === padded[i]);
}

/** Reads `<kind>_param` messages of layers in either format, with defaults where a layer has none. */
class ParamReader {
  private readonly defaults = new Map<string, object>();

  param<T>(kind: string, layer: CaffeLayer): T {
    const msg = layer.msg[kind as `${string}_param`];
    if (msg !== null && msg !== undefined) return msg as T;
    let d = this.defaults.get(kind);
    if (d === undefined) {
      const field = caffeTypes().root.lookupType('caffe.LayerParameter').fields[kind];
      if (field === undefined) throw new JouleError('INTERNAL', `no parameter message '${kind}'`);
      d = (field.resolvedType as unknown as { create(): object }).create();
      this.defaults.set(kind, d);
    }
    return d as T;
  }

  has(kind: string, field: string, layer: CaffeLayer): boolean {
    const msg = layer.msg[kind as `${string}_param`];
    return msg !== null && msg !== undefined && hasField(msg, field);
  }
}
