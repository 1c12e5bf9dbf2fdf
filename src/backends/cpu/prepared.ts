import { normalizeAxis, shapeSize } from '../../core/shape.js';
import { Tensor } from '../../core/tensor.js';
import { type Graph, type Node, isDefaultDomain, onnxOpset } from '../../ir/graph.js';
import { withInferredTypes } from '../../ir/infer.js';
import { widenFp16Weights } from '../../passes/to-fp16.js';
import { type BackendOptions, type PreparedGraph, type Profile, drainProfile } from '../backend.js';
import { constantClipBounds } from '../../ops/clip.js';
import { Attrs } from '../../ops/op.js';
import { runNode } from '../reference/interpreter.js';
import { JouleError } from '../../core/errors.js';
import { float32ArrayToFloat16 } from '../../core/float16.js';
import { ArenaPlanner } from './arena.js';
import { encodeFcJob, encodeGemmJob, encodeGemvJob, fcScratchBytes, gemmScratchBytes, tileRowsOf } from './jobs.js';
import type { KernelBuild, KernelName } from './kernels.js';
import { type WasmLayer, lowerNode } from './lower.js';
import type { PlainLayer } from './lower-plain.js';
import { CpuMemory, type WeightHold } from './memory.js';
import type { ThreadPool } from './pool.js';
import { candidates, fastest, rememberPick } from './tune.js';
import { directName, encodeDirect } from './direct.js';
import { type FftPlan, encodeFft, fftSizeOf, fftWeights, fftZeroFloats, planFft } from './fft.js';
import { encodeSpaceToDepth, spaceToDepthBytes, winogradAfterSpaceToDepth } from './space-to-depth.js';
import { type WinogradConv, type WinogradPlan, encodeWinograd, planWinograd, winogradVariantOf, winogradWeights } from './winograd.js';
import { alphaOf } from './winograd-transforms.js';

/** A wasm kernel over the pool with its parameter block. */
type Dispatch = readonly [KernelName, number];

/** One way to run a layer: its name for `algorithms()` and its kernels in order (filled in once memory is planned). */
interface Candidate {
  readonly name: string;
  readonly dispatches: Dispatch[];
}

/** One step of a run: a layer on wasm kernels (the chosen candidate), or a node on its reference kernel. */
type Step =
  | { readonly kind: 'wasm'; readonly candidates: Candidate[]; chosen: number; readonly index: number }
  | { readonly kind: 'reference'; readonly node: Node; readonly index: number };

/** Where a value lives in the shared memory, when a wasm kernel reads or writes it. */
interface Resident {
  readonly offset: number;
  readonly shape: readonly number[];
}

/**
 * Prepares a graph with concrete input shapes for the cpu backend: Conv, Gemm and MatMul with constant
 * weights become wasm layers (a following Relu or Clip fused as their epilogue, their algorithm measured
 * where they have several), and so do 2-D MaxPool and AveragePool, LRN, Concat (unless its producers
 * write it in place) and Softmax over float32; Flatten, Reshape, Squeeze, Unsqueeze and Identity become
 * views; every other node runs its reference kernel on the calling thread. Weights are packed and all
 * memory planned here, once.
 */
export async function prepareCpu(input: Graph, options: BackendOptions, build?: KernelBuild, shared?: CpuMemory): Promise<PreparedGraph> {
  if (shared !== undefined && build !== undefined && shared.build !== build) throw new Error(`a ${build} plan cannot share a ${shared.build} memory`);
  // A plan of a session shares its thread pool, memory and stored weights; any other has its own.
  const memory = shared ?? await CpuMemory.create(options.threads, build);
  try {
    return await prepareIn(memory, shared !== undefined, input, options);
  } catch (e) {
    if (shared === undefined) await memory.dispose();
    throw e;
  }
}

/** prepareCpu in a memory the plan shares with others of its session, or owns (and closes when disposed). */
async function prepareIn(memory: CpuMemory, shared: boolean, input: Graph, options: BackendOptions): Promise<PreparedGraph> {
  // The convolution kernels read float32 weights, the fully connected ones float16 as well: fp16 weights
  // are widened once, here, but for those.
  const typed = withInferredTypes(input);
  const halfFullyConnected = (name: string): boolean => {
    const readers = typed.nodes.filter((n) => n.inputs.includes(name));
    return readers.length > 0 && readers.every((n) => (n.op === 'Gemm' || n.op === 'MatMul') && n.inputs[1] === name && n.inputs[0] !== name);
  };
  const graph = withInferredTypes(widenFp16Weights(typed, (cast) => halfFullyConnected(cast.outputs[0])));
  const warnings: string[] = [];
  const opset = onnxOpset(graph);
  const fed = new Set(graph.inputs.map((v) => v.name));
  const constantOf = (name: string): Tensor | undefined => (fed.has(name) ? undefined : graph.initializers.get(name));
  const nodes = graph.nodes;
  const consumers = new Map<string, number[]>();
  nodes.forEach((node, i) => node.inputs.forEach((name) => name !== '' && consumers.set(name, [...(consumers.get(name) ?? []), i])));
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));

  const kernelBuild = memory.build;
  const tileRows = tileRowsOf(kernelBuild);
  // Lower what the kernels run; fuse a Relu that is the only reader of a layer's output.
  const layers = new Map<number, WasmLayer | PlainLayer>();
  const fused = new Set<number>();
  nodes.forEach((node, i) => {
    const layer = lowerNode(graph, node, tileRows);
    if (layer === undefined) return;
    if (layer.kind === 'plain') {
      layers.set(i, layer);
      return;
    }
    // A Relu, or a Clip with constant bounds, that alone reads the layer's output becomes its epilogue.
    const readers = consumers.get(layer.output) ?? [];
    const next = readers.length === 1 && !graphOutputs.has(layer.output) ? nodes[readers[0]] : undefined;
    const bounds = next?.op === 'Clip' && isDefaultDomain(next.domain) ? constantClipBounds(next, opset, constantOf) : undefined;
    if (next?.op === 'Relu' || bounds !== undefined) {
      fused.add(readers[0]);
      layer.output = next!.outputs[0];
      if (bounds !== undefined) (layer.job as { clip?: readonly [number, number] }).clip = bounds;
      else (layer.job as { relu: boolean }).relu = true;
    }
    layers.set(i, layer);
  });

  // A Cast that widens float16 weights only for fully connected layers that read them as they are never runs.
  nodes.forEach((node, i) => {
    if (node.op !== 'Cast' || !graph.initializers.has(node.inputs[0])) return;
    const readers = consumers.get(node.outputs[0]) ?? [];
    if (readers.length > 0 && readers.every((r) => { const layer = layers.get(r); return layer !== undefined && layer.kind !== 'plain' && layer.half; })) fused.add(i);
  });

  // A Concat along the channels of 4-D values whose every input is a convolution's output that only it
  // reads never runs: each convolution writes its slice of the Concat's output, whose images are then
  // further apart than the convolution's own.
  const slices = new Map<string, { readonly concat: string; readonly offset: number; readonly imageBytes: number }>();
  const producerOf = new Map<string, WasmLayer>();
  for (const layer of layers.values()) if (layer.kind === 'gemm' && layer.job.cImage > 0) producerOf.set(layer.output, layer);
  nodes.forEach((node, i) => {
    if (node.op !== 'Concat' || layers.get(i)?.kind !== 'plain' || graph.inputs.some((v) => node.inputs.includes(v.name))) return;
    const y = shapeOf(graph, node.outputs[0]);
    if (y.length !== 4 || normalizeAxis(new Attrs(node).int('axis', 0), 4, 'Concat') !== 1) return;
    const distinct = new Set(node.inputs).size === node.inputs.length;
    const inPlace = distinct && node.inputs.every((name) => producerOf.has(name) && !graphOutputs.has(name)
      && (consumers.get(name) ?? []).every((r) => r === i));
    if (!inPlace) return;
    const plane = y[2] * y[3] * 4;
    let channel = 0;
    for (const name of node.inputs) {
      slices.set(name, { concat: node.outputs[0], offset: channel * plane, imageBytes: y[1] * plane });
      channel += shapeOf(graph, name)[1];
    }
    fused.add(i);
  });

  // A value is resident in the shared memory when a wasm layer reads or writes it; it lives from the
  // step that defines it to its last reader (graph outputs to the end).
  const lastUse = new Map<string, number>();
  nodes.forEach((node, i) => node.inputs.forEach((name) => lastUse.set(name, i)));
  for (const name of graphOutputs) lastUse.set(name, nodes.length);
  const residentNames = new Set<string>();
  for (const layer of layers.values()) {
    for (const name of layer.kind === 'plain' ? layer.inputs : [layer.input]) residentNames.add(name);
    residentNames.add(layer.output);
  }
  const valueBytes = (name: string): number => shapeSize(shapeOf(graph, name)) * 4;

  const threads = options.threads;
  // The algorithms each layer may run (several where the pick is to be measured), and the Winograd plans.
  const choices = new Map<number, string[]>();
  const winogradPlans = new Map<string, WinogradPlan>();
  const planOf = (index: number, name: string): WinogradPlan | undefined => winogradPlans.get(`${index} ${name}`);
  /** The convolution a Winograd candidate runs: the layer's own, or the unit-stride one after space-to-depth. */
  const winogradOf = (layer: WasmLayer, name: string): { conv: WinogradConv; variant: WinogradPlan['variant'] } | undefined => {
    const direct = winogradVariantOf(name);
    if (direct !== undefined) return { conv: layer.winograd!, variant: direct };
    const strided = winogradAfterSpaceToDepth(name);
    return strided === undefined ? undefined : { conv: layer.spaceToDepth!.conv, variant: strided };
  };
  let scratchBytes = 0;
  let workspaceBytes = 0;
  let spaceToDepthWorkspace = 0;
  const fftPlans = new Map<string, FftPlan>();
  for (const [index, layer] of layers) {
    if (layer.kind === 'plain') {
      scratchBytes = Math.max(scratchBytes, Math.ceil(layer.scratchBytes / 64) * 64);
      continue;
    }
    if (layer.kind === 'gemm') scratchBytes = Math.max(scratchBytes, gemmScratchBytes(layer.job.k));
    if (layer.kind === 'fc') scratchBytes = Math.max(scratchBytes, fcScratchBytes(layer.job.np, layer.job.k, tileRows));
    const names = candidates(layer, options, kernelBuild);
    choices.set(index, names);
    for (const name of names) {
      const tile = fftSizeOf(name);
      if (tile !== undefined) {
        const plan = planFft(layer.fft!, tile);
        fftPlans.set(`${index} ${name}`, plan);
        scratchBytes = Math.max(scratchBytes, Math.ceil(plan.threadScratchBytes / 64) * 64);
        workspaceBytes = Math.max(workspaceBytes, plan.workspaceBytes);
        continue;
      }
      const winograd = winogradOf(layer, name);
      if (winograd === undefined) continue;
      if (winograd.conv !== layer.winograd) spaceToDepthWorkspace = Math.max(spaceToDepthWorkspace, spaceToDepthBytes(layer.spaceToDepth!));
      const plan = planWinograd(winograd.conv, winograd.variant);
      winogradPlans.set(`${index} ${name}`, plan);
      scratchBytes = Math.max(scratchBytes, Math.ceil(plan.threadScratchBytes / 64) * 64);
      workspaceBytes = Math.max(workspaceBytes, plan.workspaceBytes);
    }
  }

  const defined = [...graph.inputs.map((v) => v.name), ...graph.initializers.keys()];
  /**
   * Whether a convolution's weights packed for the GEMM are stored as float16 (widened a row tile at a
   * time): where they were float16 to begin with. Winograd's and FFT's transformed weights stay float32:
   * rounded to float16 they made CaffeNet's output 4x further from fp32's (6.7e-3 against 1.7e-3).
   */
  const halfConv = (layer: WasmLayer): boolean => layer.source.dtype === 'float16';

  /** How a plan lays out its region of the memory, with its steps' jobs encoded for those addresses. */
  interface Layout {
    readonly size: number;
    readonly steps: Step[];
    readonly resident: Map<string, Resident>;
    readonly pendingJobs: [Step & { kind: 'wasm' }, WasmLayer][];
    readonly permanentWrites: [number, Float32Array | Int32Array | Uint16Array][];
    /** The stored weights each candidate reads. */
    readonly holds: Map<Candidate, WeightHold[]>;
  }
  /**
   * Plans the region from `base` on: its size depends only on the graph, every address in it on `base`.
   * Weights are not in the region: they are found in, or added to, the memory's store. Undefined where the
   * memory cannot grow to hold the weights.
   */
  const layout = (base: number): Layout | undefined => {
    const arena = new ArenaPlanner(base);
    const holds = new Map<Candidate, WeightHold[]>();
    let outOfMemory = false;
    /** Stored weights for a candidate, made from the layer's weights as `key` says the first time; as float16 where `half`. */
    const stored = (cand: Candidate, layer: WasmLayer, key: string, make: () => Float32Array | Uint16Array, half = false): number => {
      const made = half ? () => float32ArrayToFloat16(make()) : make;
      const hold = memory.weight(layer.source, `${key}${half ? ' fp16' : ''} | ${layer.sourceKey}`, made);
      if (hold === undefined) {
        outOfMemory = true;
        return 0;
      }
      holds.set(cand, [...(holds.get(cand) ?? []), hold]);
      return hold.offset;
    };
    const permanentWrites: [number, Float32Array | Int32Array | Uint16Array][] = [];
    const keep = (data: Float32Array | Int32Array | Uint16Array): number => {
      const at = arena.permanent(data.byteLength);
      permanentWrites.push([at, data]);
      return at;
    };
    const resident = new Map<string, Resident>();
    const place = (name: string): void => {
      if (!resident.has(name)) resident.set(name, { offset: arena.acquire(valueBytes(name)), shape: shapeOf(graph, name) });
    };
    const releaseDead = (before: number): void => {
      for (const [name, r] of resident) {
        if ((lastUse.get(name) ?? -1) < before && !released.has(name)) {
          arena.release(r.offset, valueBytes(name));
          released.add(name);
        }
      }
    };
    const released = new Set<string>();
    for (const name of defined) if (residentNames.has(name)) place(name);

    const scratch = arena.permanent(scratchBytes * threads);
    // V and M of the Winograd layers, one at a time.
    const workspace = workspaceBytes > 0 ? arena.permanent(workspaceBytes) : 0;
    // z of the strided layers Winograd runs after space-to-depth, one at a time.
    const spaceToDepthBuffer = spaceToDepthWorkspace > 0 ? arena.permanent(spaceToDepthWorkspace) : 0;
    const pendingJobs: [Step & { kind: 'wasm' }, WasmLayer][] = [];

    const steps: Step[] = [];
    /** The value whose buffer a view (Flatten, Reshape, ...) shares. */
    const viewOf = new Map<string, string>();
    nodes.forEach((node, index) => {
      if (fused.has(index)) return;
      releaseDead(index);
      const layer = layers.get(index);
      if (layer === undefined && isView(graph, node) && resident.has(node.inputs[0])) {
        // The output is the input's buffer under another shape, which then lives as long as either.
        const root = viewOf.get(node.inputs[0]) ?? node.inputs[0];
        resident.set(node.outputs[0], { offset: resident.get(node.inputs[0])!.offset, shape: shapeOf(graph, node.outputs[0]) });
        viewOf.set(node.outputs[0], root);
        released.add(node.outputs[0]);
        lastUse.set(root, Math.max(lastUse.get(root) ?? -1, lastUse.get(node.outputs[0]) ?? -1));
        return;
      }
      if (layer === undefined) {
        steps.push({ kind: 'reference', node, index });
        for (const name of node.outputs) if (residentNames.has(name)) place(name);
        return;
      }
      const slice = slices.get(layer.output);
      if (slice === undefined) {
        place(layer.output);
      } else {
        // The slice lives in the Concat's output, which is planned at its first producer and never released with it.
        place(slice.concat);
        resident.set(layer.output, { offset: resident.get(slice.concat)!.offset + slice.offset, shape: shapeOf(graph, layer.output) });
        released.add(layer.output);
      }
      if (layer.kind === 'plain') {
        const encoded = layer.encode((name) => resident.get(name)!.offset, scratch, scratchBytes);
        const params = keep(encoded);
        steps.push({ kind: 'wasm', candidates: [{ name: layer.kernel, dispatches: [[layer.kernel, params]] }], chosen: 0, index });
        return;
      }
      const step = { kind: 'wasm' as const, candidates: choices.get(index)!.map((name) => ({ name, dispatches: [] })), chosen: 0, index };
      pendingJobs.push([step, layer]);
      steps.push(step);
    });
    for (const [step, layer] of pendingJobs) {
      const [b, c] = [resident.get(layer.input)!.offset, resident.get(layer.output)!.offset];
      const bias = keep(layer.bias);
      // A convolution's images lie cImage bytes apart, more where it writes its slice of a Concat.
      const yImageBytes = slices.get(layer.output)?.imageBytes ?? layer.job.cImage;
      for (const cand of step.candidates) {
        const { name, dispatches } = cand;
        if (name === directName) {
          const at = { x: b, w: stored(cand, layer, name, () => layer.direct!.weights), bias, y: c };
          dispatches.push(['f32_conv_direct', keep(encodeDirect(layer.direct!, at, layer.job.relu, layer.job.clip, yImageBytes))]);
          continue;
        }
        const fftPlan = fftPlans.get(`${step.index} ${name}`);
        if (fftPlan !== undefined) {
          const conv = layer.fft!;
          const at = {
            x: b, y: c, u: stored(cand, layer, name, () => fftWeights(conv, fftPlan.n, tileRows)), bias,
            zeros: arena.permanent(fftZeroFloats(conv, fftPlan.n) * 4), workspace, scratch, scratchStride: scratchBytes,
          };
          for (const [kernel, params] of encodeFft(conv, fftPlan, at, layer.job.relu, layer.job.clip, threads, tileRows, yImageBytes)) dispatches.push([kernel, keep(params)]);
          continue;
        }
        const plan = planOf(step.index, name);
        if (plan !== undefined) {
          const { conv } = winogradOf(layer, name)!;
          let x = b;
          if (conv !== layer.winograd) {
            x = spaceToDepthBuffer;
            dispatches.push(['f32_space_to_depth', keep(encodeSpaceToDepth(layer.spaceToDepth!, b, x))]);
          }
          const positions = alphaOf(plan.variant) ** 2;
          const at = {
            x, y: c, u: stored(cand, layer, name, () => winogradWeights(conv, plan.variant, tileRows)), bias,
            zeros: arena.permanent((positions * conv.outChannels + 8) * 4), workspace, scratch, scratchStride: scratchBytes,
          };
          for (const [kernel, params] of encodeWinograd(conv, plan, at, layer.job.relu, layer.job.clip, threads, tileRows, yImageBytes)) dispatches.push([kernel, keep(params)]);
          continue;
        }
        // The GEMV and the FC GEMM read the same row-major weights: stored once for plans of both.
        const a = layer.kind === 'gemm' ? stored(cand, layer, 'gemm', layer.weights, halfConv(layer)) : stored(cand, layer, 'fc', layer.weights);
        const { half } = layer;
        const { mg, np, k, relu, clip } = layer.job;
        if (layer.kind === 'gemv') {
          dispatches.push([half ? 'f16_gemv_4x4' : 'f32_gemv_4x4', keep(encodeGemvJob(a, b, bias, c, mg, k, relu, clip))]);
        } else if (layer.kind === 'fc') {
          dispatches.push(['f32_fc_gemm', keep(encodeFcJob({ w: a, x: b, bias, y: c, scratch, scratchStride: scratchBytes }, mg, np, k, half, relu, clip))]);
        } else {
          dispatches.push(['f32_conv_gemm_6x8', keep(encodeGemmJob({ ...layer.job, a, b, bias, c, scratch, cImage: yImageBytes, aHalf: halfConv(layer) }, threads, tileRows))]);
        }
      }
    }
    if (outOfMemory) {
      for (const hold of [...holds.values()].flat()) hold.release();
      return undefined;
    }
    return { size: arena.size - base, steps, resident, pendingJobs, permanentWrites, holds };
  };
  // Lay the plan out twice: once to learn its size, then in the region found for it.
  const sized = layout(0);
  const base = sized === undefined ? undefined : memory.allocate(sized.size);
  const placed = base === undefined ? undefined : layout(base);
  for (const hold of [...sized?.holds.values() ?? []].flat()) hold.release();
  if (placed === undefined) {
    if (base !== undefined) memory.free(base, sized!.size);
    if (shared) {
      // The session's memory is full (4 GiB): this plan gets a memory of its own.
      return prepareCpu(input, options, memory.build);
    }
    throw new JouleError('OUT_OF_MEMORY', `the plan needs more than WebAssembly's 4 GiB of memory (${(sized?.size ?? 0) / 2 ** 20 | 0} MiB besides its weights); run a smaller batch`);
  }
  const { steps, resident, pendingJobs, permanentWrites, holds } = placed;
  const pool = memory.pool;
  for (const [at, data] of permanentWrites) {
    if (data instanceof Uint16Array) new Uint16Array(pool.memory.buffer).set(data, at / 2);
    else (data instanceof Float32Array ? new Float32Array(pool.memory.buffer) : new Int32Array(pool.memory.buffer)).set(data, at / 4);
  }
  // Measure where a layer has several candidates: each on the layer's own buffers, before any run. The
  // weights only the losers read are let go.
  for (const [step, layer] of pendingJobs) {
    if (step.candidates.length < 2) continue;
    step.chosen = Math.max(0, fastest(step.candidates.map((cand) => () => runDispatches(pool, cand.dispatches))));
    rememberPick(layer, threads, kernelBuild, step.candidates[step.chosen].name);
    step.candidates.forEach((cand, i) => i !== step.chosen && holds.get(cand)?.forEach((hold) => hold.release()));
  }
  // Float16 weights that stay float32 after all: those of ops on reference kernels, and of convolutions
  // that do not run as a GEMM.
  const widened = new Set([...graph.initializers.keys()].filter((name) => !typed.initializers.has(name)));
  let widenedValues = 0;
  for (const step of steps) {
    if (step.kind === 'reference') widenedValues += step.node.inputs.filter((name) => widened.has(name)).reduce((sum, name) => sum + graph.initializers.get(name)!.size, 0);
  }
  for (const [step, layer] of pendingJobs) {
    const name = step.candidates[step.chosen].name;
    if (layer.kind === 'gemm' && halfConv(layer) && !name.startsWith('gemm')) widenedValues += layer.source.size;
  }
  if (widenedValues > 0) {
    warnings.push(`the cpu backend keeps ${(widenedValues * 4 / 1e6).toFixed(1)} MB of the model's float16 weights as float32 or wider: those of convolutions it runs by Winograd, FFT or directly (their transformed weights rounded to float16 would cost accuracy) and of ops on reference kernels`);
  }
  // Every value a run reads last at step i can be dropped from the JavaScript side after it.
  const dropAfter = new Map<number, string[]>();
  for (const [name, i] of lastUse) if (!graphOutputs.has(name)) dropAfter.set(i, [...(dropAfter.get(i) ?? []), name]);

  const profile: Profile | undefined = options.profile === true ? new Map() : undefined;
  const layerTimes: Profile = new Map();
  const copyIn = (name: string, t: Tensor): void => {
    const r = resident.get(name);
    if (r !== undefined) new Float32Array(pool.memory.buffer, r.offset, t.size).set(t.toFloat32());
  };
  const copyOut = (name: string): Tensor => {
    const r = resident.get(name)!;
    const size = shapeSize(r.shape);
    return new Tensor('float32', new Float32Array(pool.memory.buffer, r.offset, size).slice(), r.shape);
  };

  let disposed = false;
  return {
    warnings,
    async run(feeds) {
      // Its region may belong to another plan by now.
      if (disposed) throw new JouleError('BAD_ARGUMENT', 'this plan has been disposed');
      const env = new Map<string, Tensor>([...graph.initializers, ...feeds]);
      for (const name of defined) if (resident.has(name) && env.has(name)) copyIn(name, env.get(name)!);
      const fetch = (name: string): Tensor => {
        let t = env.get(name);
        if (t === undefined && resident.has(name)) env.set(name, (t = copyOut(name)));
        if (t === undefined) throw new Error(`value '${name}' has no value`);
        return t;
      };
      for (const step of steps) {
        const started = profile === undefined ? 0 : performance.now();
        if (step.kind === 'wasm') {
          for (const [kernel, params] of step.candidates[step.chosen].dispatches) {
            const kernelStarted = profile === undefined ? 0 : performance.now();
            pool.run(kernel, params);
            if (profile !== undefined) profile.set(kernel, (profile.get(kernel) ?? 0) + performance.now() - kernelStarted);
          }
        } else {
          const { node } = step;
          const inputs = node.inputs.map((name) => (name === '' ? undefined : fetch(name)));
          const results = runNode(node, opset, inputs, env);
          node.outputs.forEach((name, i) => {
            if (name === '' || results[i] === undefined) return;
            env.set(name, results[i]);
            copyIn(name, results[i]);
          });
        }
        if (profile !== undefined) {
          const ms = performance.now() - started;
          if (step.kind === 'reference') profile.set(step.node.op, (profile.get(step.node.op) ?? 0) + ms);
          const layer = nodes[step.index].name;
          layerTimes.set(layer, (layerTimes.get(layer) ?? 0) + ms);
        }
        for (const name of dropAfter.get(step.index) ?? []) if (!feeds.has(name) && !graph.initializers.has(name)) env.delete(name);
      }
      return new Map(graph.outputs.map((o) => [o.name, fetch(o.name)]));
    },
    profile: () => drainProfile(profile),
    layerProfile: () => drainProfile(layerTimes),
    algorithms() {
      return new Map(steps.flatMap((st) => (st.kind === 'wasm' ? [[nodes[st.index].name, st.candidates[st.chosen].name] as const] : [])));
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const hold of [...holds.values()].flat()) hold.release();
      memory.free(base!, placed.size);
      if (!shared) await memory.dispose();
    },
  };
}

/** Ops whose float32 output is their first input's data under another shape: they never run, they alias. */
const viewOps = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity']);

function isView(graph: Graph, node: Node): boolean {
  if (!viewOps.has(node.op) || !isDefaultDomain(node.domain) || node.outputs.length !== 1) return false;
  const [x, y] = [graph.valueTypes.get(node.inputs[0]), graph.valueTypes.get(node.outputs[0])];
  const concrete = (shape: readonly unknown[] | undefined): shape is readonly number[] => shape !== undefined && shape.every((d) => typeof d === 'number');
  return x?.dtype === 'float32' && y?.dtype === 'float32' && concrete(x.shape) && concrete(y.shape) && shapeSize(x.shape) === shapeSize(y.shape);
}

function runDispatches(pool: ThreadPool, dispatches: readonly Dispatch[]): void {
  for (const [kernel, params] of dispatches) pool.run(kernel, params);
}

function shapeOf(graph: Graph, name: string): readonly number[] {
  const t = graph.valueTypes.get(name) ?? graph.inputs.find((v) => v.name === name);
  if (t?.shape === undefined || !t.shape.every((d) => typeof d === 'number')) throw new Error(`value '${name}' has no concrete shape`);
  return t.shape as readonly number[];
}
