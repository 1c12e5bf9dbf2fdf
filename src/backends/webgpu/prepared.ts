import { JouleError } from '../../core/errors.js';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from '../../core/float16.js';
import { type Feed, GpuTensor } from '../../core/gpu-tensor.js';
import { Tensor } from '../../core/tensor.js';
import { type Graph, type Node, onnxOpset } from '../../ir/graph.js';
import { withInferredTypes } from '../../ir/infer.js';
import { type BackendOptions, type OutputLocation, type PreparedGraph, type Profile, drainProfile } from '../backend.js';
import { constantClipBounds } from '../../ops/clip.js';
import { runNode } from '../reference/interpreter.js';
import { type GpuContext, acquireGpu, checkDevice, releaseGpu } from './device.js';
import { unary } from './kernels.js';
import type { MatrixTile } from './matrix.js';
import { type ConcatLayer, type ConvLayer, type DispatchSpec, type EmitContext, type Layer, type Variant, elementwiseGroups, lowerNode } from './lower.js';
import { Params, paramWords } from './wgsl.js';

type Shape = readonly number[];

/** One recorded dispatch, with everything bound at prepare. */
interface Dispatch {
  readonly label: string;
  /** The node it computes ('' for the plan's own casts). */
  readonly node: string;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly groups: readonly [number, number, number];
}

/** A step of a run: dispatches recorded into the current command encoder, or a node on the host. */
type Step =
  | { readonly kind: 'gpu'; readonly dispatches: Dispatch[] }
  | { readonly kind: 'host'; readonly node: Node; readonly index: number };

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** How many pipelines a device has compiled (tests check that a new batch size compiles none). */
export function pipelineCount(device: GPUDevice): number {
  return pipelines.get(device)?.size ?? 0;
}

/** The pipeline for a WGSL source, compiled once per device: the source is the key. */
function pipelineFor(device: GPUDevice, code: string): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (cache === undefined) pipelines.set(device, (cache = new Map()));
  let pipeline = cache.get(code);
  if (pipeline === undefined) {
    pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
    cache.set(code, pipeline);
  }
  return pipeline;
}

const align = (n: number, to: number): number => Math.ceil(n / to) * to;

/**
 * Prepares a graph with concrete shapes for WebGPU: every node the kernels take becomes dispatches
 * recorded once, with weights uploaded and memory assigned by liveness; a ReLU after a convolution or
 * fully connected layer becomes its epilogue, and convolutions feeding a Concat write their slice of it
 * directly. Nodes the kernels do not take run on the host, with their inputs read back and their outputs
 * written up. A run is one command encoder and one submission between host steps, and one readback.
 */
export async function prepareWebGpu(input: Graph, options: BackendOptions, gpu?: GpuContext): Promise<PreparedGraph> {
  const context = gpu ?? (await acquireGpu(options.powerPreference));
  try {
    return await prepareOn(context, input, options, gpu === undefined);
  } catch (e) {
    if (gpu === undefined) await releaseGpu();
    throw e;
  }
}

async function prepareOn(context: GpuContext, input: Graph, options: BackendOptions, owned: boolean): Promise<PreparedGraph> {
  checkDevice(context);
  const { device } = context;
  const storage = options.precision === 'fp16' && context.f16 ? 'f16' : 'f32';
  const warnings = options.precision === 'fp16' && !context.f16
    ? [`the WebGPU adapter (${context.adapter}) has no shader-f16: values are stored and computed in f32 (the weights keep their fp16 rounding)`]
    : [];
  if (storage === 'f16' && context.matrixNote !== undefined && context.matrixTiles.length === 0) warnings.push(context.matrixNote);
  const matrixTiles = storage !== 'f16' ? [] : matrixEmulation.tile === undefined ? context.matrixTiles : [...context.matrixTiles, matrixEmulation.tile];
  const bytesPer = storage === 'f16' ? 2 : 4;
  const graph = withInferredTypes(input);
  const opset = onnxOpset(graph);
  const nodes = graph.nodes;

  // Constants: initializers, and Casts of them (how fp16 weights arrive).
  const castOf = new Map<string, Tensor>();
  for (const node of nodes) {
    const source = node.op === 'Cast' ? graph.initializers.get(node.inputs[0]) : undefined;
    if (source !== undefined && source.dtype === 'float16' && node.attrs.to?.value === 1) castOf.set(node.outputs[0], source);
  }
  const constant = (name: string): Tensor | undefined => {
    const t = graph.initializers.get(name) ?? castOf.get(name);
    return t !== undefined && (t.dtype === 'float32' || t.dtype === 'float16') ? t : undefined;
  };
  const shape = (name: string): Shape | undefined => {
    const t = graph.valueTypes.get(name) ?? graph.inputs.find((v) => v.name === name);
    if (t?.dtype !== 'float32' || t.shape === undefined || !t.shape.every((d) => typeof d === 'number')) return undefined;
    return t.shape as Shape;
  };
  const cx = { graph, opset, shape, constant };

  const readers = new Map<string, number[]>();
  nodes.forEach((node, i) => node.inputs.forEach((name) => name !== '' && readers.set(name, [...(readers.get(name) ?? []), i])));
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));

  const layers = new Map<number, Layer>();
  nodes.forEach((node, i) => {
    if (castOf.has(node.outputs[0])) return;
    const layer = lowerNode(node, cx);
    if (layer !== undefined) layers.set(i, layer);
  });

  // Fusion. A ReLU or a Clip (constant bounds) that is the only reader of a convolution's output
  // becomes its epilogue.
  const skipped = new Set<number>();
  for (const layer of layers.values()) {
    if (!isConv(layer) || graphOutputs.has(layer.writes)) continue;
    const next = readers.get(layer.writes) ?? [];
    const after = next.length === 1 && layers.has(next[0]) ? nodes[next[0]] : undefined;
    const bounds = after?.op === 'Clip' ? constantClipBounds(after, opset, constant) : undefined;
    if (after?.op === 'Relu') layer.activation = { kind: 'relu', lo: 0, hi: 0 };
    else if (bounds !== undefined) layer.activation = { kind: 'clip', lo: bounds[0], hi: bounds[1] };
    else continue;
    layer.writes = after!.outputs[0];
    skipped.add(next[0]);
  }
  // A convolution whose only reader is a Concat along channels writes its slice of the Concat directly.
  const writerOf = new Map<string, ConvLayer>();
  for (const layer of layers.values()) if (isConv(layer)) writerOf.set(layer.writes, layer);
  const sliceOf = new Map<string, string>();
  for (const layer of layers.values()) {
    if (!isConcat(layer) || layer.axis !== 1) continue;
    const channels = shape(layer.writes)![1];
    let offset = 0;
    for (const name of layer.reads) {
      const producer = writerOf.get(name);
      const only = (readers.get(name) ?? []).length === 1 && !graphOutputs.has(name);
      if (producer !== undefined && only) {
        producer.target = { channels, offset };
        producer.writes = layer.writes;
        layer.copied.delete(name);
        sliceOf.set(name, layer.writes);
      }
      offset += shape(name)![1];
    }
  }

  // Memory: every value the GPU reads or writes has a home; aliases (Reshape, Flatten) share their input's.
  const homeOf = (name: string): string => {
    for (let at = name; ; ) {
      const next = sliceOf.get(at) ?? aliasOf.get(at);
      if (next === undefined) return at;
      at = next;
    }
  };
  const aliasOf = new Map<string, string>();
  for (const layer of layers.values()) if (layer.alias === true) aliasOf.set(layer.writes, layer.reads[0]);
  const gpuValues = new Set<string>();
  for (const [i, layer] of layers) {
    if (skipped.has(i)) continue;
    for (const name of layer.reads) gpuValues.add(name);
    gpuValues.add(layer.writes);
  }
  const lastUse = new Map<string, number>();
  nodes.forEach((node, i) => node.inputs.forEach((name) => lastUse.set(homeOf(name), Math.max(lastUse.get(homeOf(name)) ?? -1, i))));
  for (const name of graphOutputs) lastUse.set(homeOf(name), nodes.length);
  nodes.forEach((node, i) => {
    const layer = layers.get(i);
    if (layer !== undefined) lastUse.set(homeOf(layer.writes), Math.max(lastUse.get(homeOf(layer.writes)) ?? -1, i));
  });

  // Slots are reused by liveness: a value takes a free slot (growing it if needed) when first written.
  const slots: { bytes: number; free: boolean }[] = [];
  const slotOf = new Map<string, number>();
  const valueBytes = (name: string): number => {
    const s = shape(name);
    if (s === undefined) throw new JouleError('INTERNAL', `value '${name}' has no concrete float32 shape`);
    const bytes = align(Math.max(1, s.reduce((a, b) => a * b, 1)) * bytesPer, 16);
    if (bytes > context.maxBinding) {
      throw new JouleError('OUT_OF_MEMORY', `value '${name}' ${JSON.stringify(s)} needs ${bytes} bytes on the GPU; this adapter binds at most ${context.maxBinding} bytes: use a smaller batch`);
    }
    return bytes;
  };
  const place = (home: string): void => {
    if (slotOf.has(home)) return;
    const bytes = valueBytes(home);
    let best = -1;
    slots.forEach((s, i) => {
      if (s.free && (best < 0 || Math.abs(s.bytes - bytes) < Math.abs(slots[best].bytes - bytes))) best = i;
    });
    if (best < 0) {
      slots.push({ bytes, free: false });
      best = slots.length - 1;
    }
    slots[best] = { bytes: Math.max(bytes, slots[best].bytes), free: false };
    slotOf.set(home, best);
  };
  const release = (upTo: number): void => {
    for (const [home, slot] of slotOf) if ((lastUse.get(home) ?? -1) < upTo && !slots[slot].free && !freed.has(home)) {
      slots[slot].free = true;
      freed.add(home);
    }
  };
  const freed = new Set<string>();
  // Values that come from the host (graph inputs, outputs of host steps) and are read on the GPU.
  const uploads = new Map<string, number>();
  for (const v of graph.inputs) if (gpuValues.has(v.name)) place(homeOf(v.name));
  nodes.forEach((node, i) => {
    release(i);
    const layer = layers.get(i);
    if (skipped.has(i)) return;
    if (layer === undefined) {
      for (const name of node.outputs) if (gpuValues.has(name)) place(homeOf(name));
      return;
    }
    for (const name of layer.reads) if (!slotOf.has(homeOf(name)) && constant(name) === undefined) place(homeOf(name));
    place(homeOf(layer.writes));
  });

  const buffers: GPUBuffer[] = [];
  const track = (b: GPUBuffer): GPUBuffer => (buffers.push(b), b);
  const storageUsage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  const slotBuffers = slots.map((s, i) => track(device.createBuffer({ label: `slot ${i}`, size: s.bytes, usage: storageUsage })));
  const valueBuffer = (name: string): GPUBuffer => {
    const slot = slotOf.get(homeOf(name));
    if (slot === undefined) throw new JouleError('INTERNAL', `value '${name}' has no GPU memory`);
    return slotBuffers[slot];
  };

  // Record every step's dispatches.
  // A slot is one dispatch, or a choice among variants that the plan settles below.
  const dispatchList: { readonly key?: string; readonly variants: readonly Variant[]; readonly node: string }[] = [];
  let emitting = '';
  let scratchBytes = 0;
  let scratchBuffer: GPUBuffer | undefined;
  const unusedBuffer = track(device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE }));
  const toStorage = (data: Float32Array): Uint16Array | Float32Array => (storage === 'f16' ? float32ArrayToFloat16(data) : data);
  const upload = (data: Float32Array | Uint16Array, usage = storageUsage): GPUBuffer => {
    const buffer = track(device.createBuffer({ size: align(Math.max(data.byteLength, 4), 16), usage, mappedAtCreation: true }));
    const range = buffer.getMappedRange();
    (data instanceof Float32Array ? new Float32Array(range) : new Uint16Array(range)).set(data);
    buffer.unmap();
    return buffer;
  };
  const scratchProxy = { placeholder: true } as unknown as GPUBuffer;
  const ctx: EmitContext = {
    storage,
    value: valueBuffer,
    weight: (data) => upload(toStorage(data)),
    scratch(bytes) {
      scratchBytes = Math.max(scratchBytes, bytes);
      return scratchProxy;
    },
    unused: unusedBuffer,
    maxBinding: context.maxBinding,
    matrixTiles,
    dispatch(label, code, bound, params, groups) {
      dispatchList.push({ variants: [{ name: label, dispatches: [{ label, code, buffers: bound, params, groups }] }], node: emitting });
    },
    choose(key, variants) {
      dispatchList.push({ key, variants, node: emitting });
    },
  };

  const steps: Step[] = [];
  // The float32 buffer an upload lands in before its cast to f16, by value.
  const castIn = new Map<string, GPUBuffer>();
  const stepDispatches: number[][] = [];
  const pushGpu = (from: number): void => {
    const last = steps[steps.length - 1];
    const list = Array.from({ length: dispatchList.length - from }, (_, i) => from + i);
    if (list.length === 0) return;
    if (last?.kind === 'gpu') stepDispatches[stepDispatches.length - 1].push(...list);
    else {
      steps.push({ kind: 'gpu', dispatches: [] });
      stepDispatches.push(list);
    }
  };
  // Uploaded values arrive as float32; with f16 storage a cast dispatch converts them in place.
  const stageUpload = (name: string): void => {
    const elements = shape(name)!.reduce((a, b) => a * b, 1);
    uploads.set(name, elements);
    if (storage === 'f16') {
      const from = track(device.createBuffer({ size: align(elements * 4, 16), usage: storageUsage }));
      ctx.dispatch('cast-in', unary('f16', 'Identity', 'f32'), [from, valueBuffer(name)], new Params().u32(elements), elementwiseGroups(elements));
      castIn.set(name, from);
    }
  };
  for (const v of graph.inputs) {
    if (!gpuValues.has(v.name)) continue;
    const before = dispatchList.length;
    stageUpload(v.name);
    pushGpu(before);
  }
  nodes.forEach((node, index) => {
    if (skipped.has(index) || castOf.has(node.outputs[0])) return;
    const layer = layers.get(index);
    const before = dispatchList.length;
    if (layer === undefined) {
      steps.push({ kind: 'host', node, index });
      stepDispatches.push([]);
      for (const name of node.outputs) if (gpuValues.has(name)) stageUpload(name);
      pushGpu(before);
      return;
    }
    emitting = node.name;
    layer.emit(ctx);
    pushGpu(before);
  });

  if (scratchBytes > context.maxBinding) {
    throw new JouleError('OUT_OF_MEMORY', `split-K scratch needs ${scratchBytes} bytes; this adapter binds at most ${context.maxBinding}`);
  }
  if (scratchBytes > 0) scratchBuffer = track(device.createBuffer({ label: 'split-K scratch', size: align(scratchBytes, 16), usage: GPUBufferUsage.STORAGE }));
  const producedOnGpu = (name: string): boolean => gpuValues.has(name) && !uploads.has(name) && !graph.inputs.some((v) => v.name === name);
  // Outputs a run leaves on the GPU are float32: with f16 storage, a cast of their own writes them there.
  const castOutSpecs: { name: string; to: GPUBuffer; spec: DispatchSpec }[] = [];
  if (storage === 'f16') {
    for (const { name } of graph.outputs) {
      if (!producedOnGpu(name)) continue;
      const elements = shape(name)!.reduce((a, b) => a * b, 1);
      const to = track(device.createBuffer({ label: `output ${name} (f32)`, size: align(Math.max(1, elements) * 4, 16), usage: storageUsage }));
      const spec = { label: 'cast-out', code: unary('f32', 'Identity', 'f16'), buffers: [valueBuffer(name), to], params: new Params().u32(elements), groups: elementwiseGroups(elements) };
      castOutSpecs.push({ name, to, spec });
    }
  }
  const specCount = castOutSpecs.length + dispatchList.reduce((n, slot) => n + slot.variants.reduce((m, v) => m + v.dispatches.length, 0), 0);
  const uniform = track(device.createBuffer({ label: 'parameters', size: Math.max(1, specCount) * 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }));
  const allParams = new Uint32Array(Math.max(1, specCount) * 64);
  let bound = 0;
  const bind = (d: DispatchSpec, node: string): Dispatch => {
    const i = bound++;
    allParams.set(d.params.words, i * 64);
    const pipeline = pipelineFor(device, d.code);
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: uniform, offset: i * 256, size: paramWords * 4 } },
      ...d.buffers.map((b, j) => ({ binding: j + 1, resource: { buffer: b === scratchProxy ? scratchBuffer! : b } })),
    ];
    return { label: d.label, node, pipeline, bindGroup: device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }), groups: d.groups };
  };
  // Variants are bound (and their pipelines compiled) only when they are timed or chosen.
  const boundSlots = dispatchList.map((slot) => slot.variants.map(() => undefined as Dispatch[] | undefined));
  const bindVariant = (slot: number, variant: number): Dispatch[] =>
    (boundSlots[slot][variant] ??= dispatchList[slot].variants[variant].dispatches.map((d) => bind(d, dispatchList[slot].node)));
  const flushParams = (): void => device.queue.writeBuffer(uniform, 0, allParams);
  const measure = options.tune === 'measure' || (options.tune !== 'heuristic' && !context.software);
  const chosen = await chooseVariants(context, dispatchList, bindVariant, flushParams, measure && device.features.has('timestamp-query'));
  const algorithms = new Map<string, string>();
  dispatchList.forEach((slot, i) => {
    if (slot.key === undefined) return;
    const name = slot.variants[chosen[i]].name;
    algorithms.set(slot.node, algorithms.has(slot.node) ? `${algorithms.get(slot.node)}; ${name}` : name);
  });
  steps.forEach((step, i) => {
    if (step.kind === 'gpu') step.dispatches.push(...stepDispatches[i].flatMap((slot) => bindVariant(slot, chosen[slot])));
  });
  const castOuts = new Map(castOutSpecs.map((c) => [c.name, { to: c.to, dispatch: bind(c.spec, '') }]));
  flushParams();
  const dispatches = steps.flatMap((step) => (step.kind === 'gpu' ? step.dispatches : []));
  const oom = await device.popErrorScope();
  const invalid = await device.popErrorScope();
  if (oom !== null) {
    buffers.forEach((b) => b.destroy());
    throw new JouleError('OUT_OF_MEMORY', `the GPU ran out of memory preparing the model: ${oom.message}`);
  }
  if (invalid !== null) {
    buffers.forEach((b) => b.destroy());
    throw new JouleError('INTERNAL', `WebGPU rejected the prepared model: ${invalid.message}`);
  }

  // Readback: graph outputs on the GPU, and GPU values that host steps read.
  const downloads = new Map<string, GPUBuffer>();
  const readBuffer = (name: string): GPUBuffer => {
    let b = downloads.get(name);
    if (b === undefined) {
      b = track(device.createBuffer({ size: valueBytes(name), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
      downloads.set(name, b);
    }
    return b;
  };
  for (const o of graph.outputs) if (producedOnGpu(o.name)) readBuffer(o.name);
  for (const step of steps) if (step.kind === 'host') for (const name of step.node.inputs) if (producedOnGpu(name)) readBuffer(name);
  // Values the host needs as Tensors: a GpuTensor fed for one of these is downloaded first.
  const hostReads = new Set(graph.outputs.map((o) => o.name));
  for (const step of steps) if (step.kind === 'host') for (const name of step.node.inputs) hostReads.add(name);

  // Graph inputs go up through staging buffers of their own, mapped for writing between runs: one copy
  // into mapped memory, then one on the GPU. (queue.writeBuffer would allocate a fresh staging buffer
  // for every large input, which costs more than the copy.)
  const staging = new Map<string, { buffer: GPUBuffer; ready?: Promise<unknown> }>();
  for (const v of graph.inputs) {
    if (!uploads.has(v.name)) continue;
    const bytes = align(uploads.get(v.name)! * 4, 16);
    staging.set(v.name, { buffer: track(device.createBuffer({ label: `input ${v.name}`, size: bytes, usage: GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC, mappedAtCreation: true })) });
  }

  const profile: Profile | undefined = options.profile === true ? new Map() : undefined;
  const layerTimes: Profile = new Map();
  // With timestamp queries, profiling times every dispatch on the GPU itself (one pass each).
  // (A query set holds 4096 timestamps: beyond 2048 dispatches the rest go untimed.)
  const timedCount = Math.min(dispatches.length, maxQueries / 2);
  const timed = profile !== undefined && device.features.has('timestamp-query') && timedCount > 0;
  const querySet = timed ? device.createQuerySet({ type: 'timestamp', count: 2 * timedCount }) : undefined;
  const resolved = timed ? track(device.createBuffer({ size: 16 * timedCount, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC })) : undefined;
  const timestamps = timed ? track(device.createBuffer({ size: 16 * timedCount, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST })) : undefined;
  const dispatchIndex = new Map(dispatches.map((d, i) => [d, i]));
  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;
  const enqueue = (feeds: ReadonlyMap<string, Feed>, location: OutputLocation): Promise<Map<string, Tensor | GpuTensor>> => {
    if (disposed) throw new JouleError('BAD_ARGUMENT', 'this prepared graph has been disposed');
    // Runs share the plan's buffers, so they take turns.
    const result = queue.then(() => execute(feeds, location));
    queue = result.catch(() => undefined);
    return result;
  };

  async function execute(feeds: ReadonlyMap<string, Feed>, location: OutputLocation): Promise<Map<string, Tensor | GpuTensor>> {
    checkDevice(context);
    const env = new Map<string, Tensor>(graph.initializers);
    for (const [name, feed] of feeds) {
      if (feed instanceof GpuTensor) {
        checkGpuFeed(name, feed);
        if (hostReads.has(name) || !staging.has(name)) env.set(name, await feed.download());
      } else env.set(name, feed);
    }
    const writeUp = (name: string, t: Tensor): void => {
      const data = t.toFloat32();
      const cast = castIn.get(name);
      device.queue.writeBuffer(cast ?? valueBuffer(name), 0, storage === 'f16' && cast === undefined ? float32ArrayToFloat16(data) : data);
    };
    // GpuTensor inputs are copied in a submission of their own, checked: a destroyed buffer would make
    // WebGPU drop the submission and leave the outputs as they were.
    const onDevice = [...staging.keys()].filter((name) => feeds.get(name) instanceof GpuTensor);
    if (onDevice.length > 0) {
      device.pushErrorScope('validation');
      const copies = device.createCommandEncoder();
      for (const name of onDevice) {
        const feed = feeds.get(name) as GpuTensor;
        copies.copyBufferToBuffer(feed.buffer, 0, castIn.get(name) ?? valueBuffer(name), 0, feed.byteLength);
      }
      device.queue.submit([copies.finish()]);
      const error = await device.popErrorScope();
      if (error !== null) throw new JouleError('BAD_FEED', `WebGPU refused the run with a GpuTensor input (its buffer destroyed?): ${error.message}`);
    }
    let encoder = device.createCommandEncoder();
    const uploadStarted = profile === undefined ? 0 : performance.now();
    const staged: { buffer: GPUBuffer; ready?: Promise<unknown> }[] = [];
    for (const [name, s] of staging) {
      const feed = feeds.get(name)!;
      if (feed instanceof GpuTensor) continue;
      staged.push(s);
      if (s.buffer.mapState === 'pending') await s.ready;
      if (s.buffer.mapState === 'unmapped') await s.buffer.mapAsync(GPUMapMode.WRITE);
      const data = feed.toFloat32();
      new Float32Array(s.buffer.getMappedRange(), 0, data.length).set(data);
      s.buffer.unmap();
      encoder.copyBufferToBuffer(s.buffer, 0, castIn.get(name) ?? valueBuffer(name), 0, data.length * 4);
    }
    if (profile !== undefined) profile.set('upload (host side)', (profile.get('upload (host side)') ?? 0) + performance.now() - uploadStarted);
    let pending = 0;
    const readBack = async (names: string[]): Promise<void> => {
      for (const name of names) encoder.copyBufferToBuffer(valueBuffer(name), 0, downloads.get(name)!, 0, downloads.get(name)!.size);
      device.queue.submit([encoder.finish()]);
      encoder = device.createCommandEncoder();
      pending = 0;
      const waitStarted = profile === undefined ? 0 : performance.now();
      await Promise.all(names.map((name) => downloads.get(name)!.mapAsync(GPUMapMode.READ)));
      if (profile !== undefined) profile.set('wait for the GPU', (profile.get('wait for the GPU') ?? 0) + performance.now() - waitStarted);
      for (const name of names) {
        const b = downloads.get(name)!;
        const s = shape(name)!;
        const count = s.reduce((a, c) => a * c, 1);
        const range = b.getMappedRange();
        const data = storage === 'f16' ? float16ArrayToFloat32(new Uint16Array(range, 0, count)) : new Float32Array(range, 0, count).slice();
        b.unmap();
        env.set(name, new Tensor('float32', data, s));
      }
    };
    const started = performance.now();
    for (const step of steps) {
      if (step.kind === 'gpu' && querySet !== undefined) {
        for (const d of step.dispatches) {
          const i = dispatchIndex.get(d)!;
          const pass = encoder.beginComputePass(i < timedCount ? { timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } } : undefined);
          pass.setPipeline(d.pipeline);
          pass.setBindGroup(0, d.bindGroup);
          pass.dispatchWorkgroups(d.groups[0], d.groups[1], d.groups[2]);
          pass.end();
          pending++;
        }
        continue;
      }
      if (step.kind === 'gpu') {
        const pass = encoder.beginComputePass();
        for (const d of step.dispatches) {
          pass.setPipeline(d.pipeline);
          pass.setBindGroup(0, d.bindGroup);
          pass.dispatchWorkgroups(d.groups[0], d.groups[1], d.groups[2]);
          pending++;
        }
        pass.end();
        continue;
      }
      const { node } = step;
      const needed = node.inputs.filter((name) => name !== '' && !env.has(name) && producedOnGpu(name));
      if (needed.length > 0) await readBack(needed);
      const inputs = node.inputs.map((name) => {
        if (name === '') return undefined;
        const t = env.get(name);
        if (t === undefined) throw new JouleError('INTERNAL', `value '${name}' has no value on the host`);
        return t;
      });
      const hostStarted = profile === undefined ? 0 : performance.now();
      const results = runNode(node, opset, inputs, env);
      if (profile !== undefined) profile.set(`host ${node.op}`, (profile.get(`host ${node.op}`) ?? 0) + performance.now() - hostStarted);
      node.outputs.forEach((name, i) => {
        if (name === '' || results[i] === undefined) return;
        env.set(name, results[i]);
        if (uploads.has(name)) writeUp(name, results[i]);
      });
    }
    const outputs = graph.outputs.map((o) => o.name).filter((name) => producedOnGpu(name) && !env.has(name));
    if (querySet !== undefined) {
      encoder.resolveQuerySet(querySet, 0, 2 * timedCount, resolved!, 0);
      encoder.copyBufferToBuffer(resolved!, 0, timestamps!, 0, timestamps!.size);
    }
    const onGpu = location === 'gpu' ? leaveOnGpu(encoder, outputs) : new Map<string, GpuTensor>();
    if (outputs.length > 0 || pending > 0 || staging.size > 0) await readBack(location === 'gpu' ? [] : outputs);
    // Map the staging buffers for the next run while the caller works.
    for (const s of staged) s.ready = s.buffer.mapAsync(GPUMapMode.WRITE).catch(() => undefined);
    if (profile !== undefined) profile.set('run (wall clock)', (profile.get('run (wall clock)') ?? 0) + performance.now() - started);
    if (timestamps !== undefined) {
      await timestamps.mapAsync(GPUMapMode.READ);
      const ns = new BigUint64Array(timestamps.getMappedRange());
      dispatches.slice(0, timedCount).forEach((d, i) => {
        const ms = Number(ns[2 * i + 1] - ns[2 * i]) / 1e6;
        if (ms < 0) return;
        profile!.set(d.label, (profile!.get(d.label) ?? 0) + ms);
        if (d.node !== '') layerTimes.set(d.node, (layerTimes.get(d.node) ?? 0) + ms);
      });
      timestamps.unmap();
    }
    checkDevice(context);
    return new Map(graph.outputs.map((o) => {
      const t = onGpu.get(o.name) ?? env.get(o.name);
      if (t === undefined) throw new JouleError('INTERNAL', `output '${o.name}' has no value`);
      // Outputs computed on the host go up too, where they are float32.
      return [o.name, location === 'gpu' && t instanceof Tensor && t.dtype === 'float32' ? GpuTensor.upload(device, t) : t];
    }));
  }

  /** Records copies of the GPU-computed outputs into new float32 buffers, the caller's to keep. */
  function leaveOnGpu(encoder: GPUCommandEncoder, names: readonly string[]): Map<string, GpuTensor> {
    const casts = names.flatMap((name) => castOuts.get(name)?.dispatch ?? []);
    if (casts.length > 0) {
      const pass = encoder.beginComputePass();
      for (const d of casts) {
        pass.setPipeline(d.pipeline);
        pass.setBindGroup(0, d.bindGroup);
        pass.dispatchWorkgroups(d.groups[0], d.groups[1], d.groups[2]);
      }
      pass.end();
    }
    return new Map(names.map((name) => {
      const s = shape(name)!;
      const bytes = s.reduce((a, b) => a * b, 1) * 4;
      const buffer = device.createBuffer({ label: `output ${name}`, size: align(Math.max(bytes, 4), 16), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      encoder.copyBufferToBuffer(castOuts.get(name)?.to ?? valueBuffer(name), 0, buffer, 0, bytes);
      return [name, new GpuTensor(device, buffer, s)];
    }));
  }

  /** A GpuTensor input must live on this plan's device and be readable by a copy. */
  function checkGpuFeed(name: string, feed: GpuTensor): void {
    if (feed.device !== device) {
      throw new JouleError('BAD_FEED', `input '${name}' is a GpuTensor on another GPUDevice; make its buffer on the session's device (session.gpuDevice())`);
    }
    if ((feed.buffer.usage & GPUBufferUsage.COPY_SRC) === 0) {
      throw new JouleError('BAD_FEED', `input '${name}' is a GpuTensor whose buffer lacks GPUBufferUsage.COPY_SRC`);
    }
  }

  return {
    run(feeds) {
      return enqueue(feeds, 'host') as Promise<Map<string, Tensor>>;
    },
    runDevice: enqueue,
    warnings,
    algorithms() {
      return algorithms;
    },
    profile: () => drainProfile(profile),
    layerProfile: () => drainProfile(layerTimes),
    async dispose() {
      if (disposed) return;
      disposed = true;
      await queue;
      // No buffer is destroyed with a mapping pending: its callback would outlive the device.
      await Promise.all([...staging.values()].map((st) => st.ready));
      for (const b of buffers) b.destroy();
      querySet?.destroy();
      if (owned) await releaseGpu();
    },
  };
}

const choices = new WeakMap<GPUDevice, Map<string, string>>();

/** Timestamp queries a query set may hold (WebGPU's limit): two per timed pass. */
const maxQueries = 4096;

/** Runs each list of dispatches as one timestamped pass and returns the passes' GPU times in ns. */
async function timePasses(device: GPUDevice, passes: readonly (readonly Dispatch[])[]): Promise<number[]> {
  const times: number[] = [];
  for (let from = 0; from < passes.length; from += maxQueries / 2) {
    const chunk = passes.slice(from, from + maxQueries / 2);
    const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * chunk.length });
    const resolved = device.createBuffer({ size: 16 * chunk.length, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: 16 * chunk.length, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    chunk.forEach((dispatches, i) => {
      const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      for (const d of dispatches) {
        pass.setPipeline(d.pipeline);
        pass.setBindGroup(0, d.bindGroup);
        pass.dispatchWorkgroups(d.groups[0], d.groups[1], d.groups[2]);
      }
      pass.end();
    });
    encoder.resolveQuerySet(querySet, 0, 2 * chunk.length, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, read, 0, read.size);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const ns = new BigUint64Array(read.getMappedRange().slice(0));
    read.unmap();
    for (const b of [resolved, read]) b.destroy();
    querySet.destroy();
    chunk.forEach((_, i) => times.push(Number(ns[2 * i + 1] - ns[2 * i])));
  }
  return times;
}

/** For tests: when set, every choice takes the first variant whose name starts with this. */
export const forcedVariant: { prefix?: string } = {};

/** For tests on adapters without subgroup matrices: a tile (emulated) that f16 convolutions are offered too. */
export const matrixEmulation: { tile?: MatrixTile } = {};

/**
 * Settles every choice among variants: by the cache of earlier choices on this device, else by timing
 * each variant on the GPU (a warm-up pass, then the median of three timed passes) where `measure`
 * allows, else the first (the heuristic's pick). Returns the chosen variant's index per slot.
 */
async function chooseVariants(
  context: GpuContext,
  slots: readonly { readonly key?: string; readonly variants: readonly Variant[] }[],
  bind: (slot: number, variant: number) => readonly Dispatch[],
  flushParams: () => void,
  measure: boolean,
): Promise<number[]> {
  const { device } = context;
  const forced = forcedVariant.prefix;
  if (forced !== undefined) {
    return slots.map((slot) => {
      const exact = slot.variants.findIndex((v) => v.name === forced);
      return Math.max(0, exact >= 0 ? exact : slot.variants.findIndex((v) => v.name.startsWith(forced)));
    });
  }
  let cache = choices.get(device);
  if (cache === undefined) choices.set(device, (cache = new Map()));
  const chosen = slots.map((slot) => {
    const known = slot.key === undefined ? undefined : cache.get(slot.key);
    return known === undefined ? -1 : Math.max(0, slot.variants.findIndex((v) => v.name === known));
  });
  const open = slots.map((slot, i) => i).filter((i) => chosen[i] < 0 && slots[i].variants.length > 1 && measure);
  for (let i = 0; i < slots.length; i++) if (chosen[i] < 0 && !open.includes(i)) chosen[i] = 0;
  if (open.length === 0) return chosen;
  const reps = 3;
  const runs = open.flatMap((slot) => slots[slot].variants.map((_, variant) => ({ slot, variant, dispatches: bind(slot, variant) })));
  flushParams();
  // Each run: one warm-up pass, then `reps` timed passes; every pass is timed, the warm-up ignored.
  const passes = runs.flatMap((run) => Array.from({ length: reps + 1 }, () => run.dispatches));
  const times = await timePasses(device, passes);
  const best = new Map<number, [number, number]>();
  runs.forEach((run, r) => {
    const timed = times.slice(r * (reps + 1) + 1, (r + 1) * (reps + 1)).sort((a, b) => a - b);
    const median = timed[Math.floor(reps / 2)];
    const current = best.get(run.slot);
    if (current === undefined || median < current[1]) best.set(run.slot, [run.variant, median]);
  });
  for (const slot of open) {
    chosen[slot] = best.get(slot)![0];
    cache.set(slots[slot].key!, slots[slot].variants[chosen[slot]].name);
  }
  return chosen;
}

function isConv(layer: Layer): layer is ConvLayer {
  return (layer as ConvLayer).kind === 'conv';
}

function isConcat(layer: Layer): layer is ConcatLayer {
  return (layer as ConcatLayer).kind === 'concat';
}
