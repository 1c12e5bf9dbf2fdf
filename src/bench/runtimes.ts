// The runtimes a point runs on: joule's backends through Session, and the peers onnxruntime-node and
// onnxruntime-web (WebAssembly), imported dynamically so that a missing peer is a skipped point.

import { readFile } from 'node:fs/promises';
import type { Precision } from '../backends/backend.js';
import { isBackendName } from '../backends/index.js';
import { JouleError } from '../core/errors.js';
import { GpuTensor } from '../core/gpu-tensor.js';
import { Tensor } from '../core/tensor.js';
import { encodeOnnx } from '../formats/onnx/encode.js';
import type { ValueInfo } from '../ir/graph.js';
import { summarize } from '../ir/summary.js';
import { loadModel } from '../runtime/load.js';
import { Session } from '../runtime/session.js';
import { syntheticInput } from '../runtime/synthetic.js';
import { type Preprocessing, preprocessingOf, zoo, zooEntry } from '../zoo/index.js';
import { jouleVersion, packageVersion } from './machine.js';
import type { BatchTarget } from './scenarios.js';
import { type PeerError, PeerProcess } from './peer-process.js';
import type { RuntimeId } from './schema.js';

/** A model ready for every runtime: its ONNX bytes, inputs, preprocessing and work per image. */
export interface BenchModel {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly inputs: readonly ValueInfo[];
  readonly preprocessing?: Preprocessing;
  /** Multiply-adds per image. */
  readonly macs: number;
}

/** A zoo name ('caffenet', or 'zoo:caffenet') or a model file (.onnx; a .prototxt is converted). */
export async function loadBenchModel(source: string): Promise<BenchModel> {
  const zooName = source.startsWith('zoo:') ? source.slice(4) : source;
  if (Object.prototype.hasOwnProperty.call(zoo, zooName)) {
    const entry = zooEntry(zooName);
    const model = entry.build();
    return { name: zooName, bytes: encodeOnnx(model), inputs: model.graph.inputs, preprocessing: entry.preprocessing, macs: summarize(model.graph).macs };
  }
  const model = await loadModel(source);
  const bytes = /\.onnx$/i.test(source) ? new Uint8Array(await readFile(source)) : encodeOnnx(model);
  const name = source.split(/[/\\]/).pop() ?? source;
  return { name, bytes, inputs: model.graph.inputs, preprocessing: preprocessingOf(model), macs: summarize(model.graph).macs };
}

/**
 * Which runtime and backend: ('joule', 'cpu'), ('onnxruntime-node', 'cpu'), ('onnxruntime-web', 'wasm').
 * joule's 'webgpu-resident' is the webgpu backend with its inputs uploaded once and its outputs left on
 * the GPU, each run awaited on the GPU's queue: what the 2015 study timed, and PyTorch does with tensors
 * on the GPU.
 */
export interface RuntimeSpec {
  readonly runtime: string;
  readonly backend: string;
}

export const peerSpecs: readonly RuntimeSpec[] = [
  { runtime: 'onnxruntime-node', backend: 'cpu' },
  { runtime: 'onnxruntime-web', backend: 'wasm' },
];

/** A model loaded into a runtime at one precision. */
export interface LoadedRuntime {
  readonly id: RuntimeId;
  /** The joule Session behind it (joule runtimes only). */
  readonly session?: Session;
  /** Feeds for `batch` synthetic images, bound once; each run of the target runs them. */
  prepare(batch: number): Promise<BatchTarget>;
  /** Class scores of `images` different synthetic images, one batch-1 run each (for accuracy). */
  classify?(images: number): Promise<Float32Array[]>;
  /** What the runtime could not do as asked (joule's session.warnings()). */
  warnings(): Promise<string[]>;
  /** The GPU adapter it ran on, once it has run (joule's webgpu backend). */
  device?(): Promise<string | undefined>;
  dispose(): Promise<void>;
}

/** Loads a model into a runtime; throws SkipPoint where the combination cannot run here. */
export type RuntimeLoader = (spec: RuntimeSpec, model: BenchModel, precision: Precision, threads: number) => Promise<LoadedRuntime>;

/** A point that cannot run here (a peer not installed, no GPU adapter): reported as skipped with the reason. */
export class SkipPoint extends Error {
  override readonly name = 'SkipPoint';
}

/** Whether an error means "skip" (not installed, backend unavailable) rather than "failed". */
export function isSkip(e: unknown): boolean {
  return e instanceof SkipPoint || (e instanceof JouleError && e.code === 'BACKEND_UNAVAILABLE');
}

/** Whether a spec runs on the GPU (its power comes from a GPU meter, its large batch is 128). */
export const onGpu = (spec: RuntimeSpec): boolean => spec.runtime === 'joule' && spec.backend.startsWith('webgpu');

/** The runtime label of a spec, e.g. 'joule cpu', 'onnxruntime-web wasm'. */
export const specLabel = (spec: RuntimeSpec): string => `${spec.runtime} ${spec.backend}`;

/** joule's backends and the peers, as `joule bench` runs them. */
export const loadRuntime: RuntimeLoader = async (spec, model, precision, threads) => {
  if (spec.runtime === 'joule') return loadJoule(spec.backend, model, precision, threads);
  if (precision !== 'fp32') throw new SkipPoint(`${spec.runtime} runs the fp32 model only (joule's fp16 stores weights as float16)`);
  if (spec.runtime === 'onnxruntime-node') return loadOrtNode(model, threads);
  if (spec.runtime === 'onnxruntime-web') return loadOrtWeb(model, threads);
  throw new SkipPoint(`unknown runtime '${spec.runtime}'`);
};

function feedsFor(model: BenchModel, batch: number): Tensor[] {
  return model.inputs.map((info) => syntheticInput(info, batch, model.preprocessing));
}

async function loadJoule(backend: string, model: BenchModel, precision: Precision, threads: number): Promise<LoadedRuntime> {
  const resident = backend === 'webgpu-resident';
  const sessionBackend = resident ? 'webgpu' : backend;
  if (!isBackendName(sessionBackend)) throw new SkipPoint(`joule has no backend '${backend}'`);
  const session = await Session.load(model.bytes, { backend: sessionBackend, precision, threads });
  const run = async (tensors: readonly Tensor[]): Promise<Record<string, Tensor>> =>
    session.run(Object.fromEntries(session.inputs.map((info, i) => [info.name, tensors[i]])));
  // Resident: each point's inputs, uploaded once, freed with the runtime.
  const uploaded: GpuTensor[] = [];
  const residentTarget = async (tensors: readonly Tensor[]): Promise<BatchTarget> => {
    const device = await session.gpuDevice();
    const feeds = Object.fromEntries(session.inputs.map((info, i) => {
      if (tensors[i].dtype !== 'float32') throw new SkipPoint(`webgpu-resident takes float32 inputs only; '${info.name}' is ${tensors[i].dtype}`);
      const t = GpuTensor.upload(device, tensors[i]);
      uploaded.push(t);
      return [info.name, t];
    }));
    return {
      run: async () => {
        const outputs = await session.run(feeds, { outputLocation: 'gpu' });
        await device.queue.onSubmittedWorkDone();
        for (const t of Object.values(outputs)) if (t instanceof GpuTensor) t.destroy();
      },
    };
  };
  return {
    id: { runtime: 'joule', backend, version: jouleVersion() },
    session,
    async prepare(batch) {
      const tensors = feedsFor(model, batch);
      if (resident) return residentTarget(tensors);
      return { run: async () => void (await run(tensors)) };
    },
    async classify(images) {
      // One synthetic batch of `images` holds different images (the pattern varies with the batch index).
      const all = feedsFor(model, images);
      const scores: Float32Array[] = [];
      for (let i = 0; i < images; i++) {
        const one = all.map((t) => {
          const per = t.size / images;
          return new Tensor(t.dtype, t.data.slice(i * per, (i + 1) * per), [1, ...t.shape.slice(1)]);
        });
        const outputs = await run(one);
        scores.push(Float32Array.from(outputs[session.outputs[0].name].toNumbers()));
      }
      return scores;
    },
    warnings: () => session.warnings(),
    async device() {
      if (sessionBackend !== 'webgpu') return undefined;
      const { acquireGpu, releaseGpu } = await import('../backends/webgpu/device.js');
      const context = await acquireGpu(session.options.powerPreference);
      const adapter = context.adapter;
      await releaseGpu();
      return adapter;
    },
    async dispose() {
      for (const t of uploaded.splice(0)) t.destroy();
      await session.dispose();
    },
  };
}

/** The part of onnxruntime's API (node and web share it) that a benchmark uses. */
export interface OrtTensor {
  readonly dims: readonly number[];
}
export interface OrtSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<unknown>;
  release(): Promise<void>;
}
export interface OrtModule {
  readonly InferenceSession: { create(bytes: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  readonly env?: { wasm: { numThreads?: number } };
}

async function importPeer(name: string): Promise<OrtModule> {
  try {
    // A variable keeps bundlers and the type checker from requiring the peer.
    const specifier = name;
    const mod = (await import(specifier)) as OrtModule & { default?: OrtModule };
    return mod.InferenceSession !== undefined ? mod : mod.default!;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new SkipPoint(`${name} is not installed`);
    throw new SkipPoint(`${name} could not be loaded: ${(e as Error).message}`);
  }
}

function peerRuntime(ort: OrtModule, session: OrtSession, model: BenchModel, id: RuntimeId): LoadedRuntime {
  return {
    id,
    async prepare(batch) {
      const feeds: Record<string, OrtTensor> = {};
      for (const [i, t] of feedsFor(model, batch).entries()) {
        if (!(t.data instanceof Float32Array)) throw new SkipPoint(`${id.runtime}: the benchmark feeds float32 inputs only`);
        feeds[session.inputNames[i] ?? model.inputs[i].name] = new ort.Tensor('float32', t.data, t.shape);
      }
      return { run: async () => void (await session.run(feeds)) };
    },
    warnings: async () => [],
    dispose: () => session.release(),
  };
}

async function loadOrtNode(model: BenchModel, threads: number): Promise<LoadedRuntime> {
  const ort = await importPeer('onnxruntime-node');
  const session = await ort.InferenceSession.create(model.bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // Spinning threads would steal cores from whatever runs next.
    extra: { session: { 'intra_op.allow_spinning': '0' } },
  });
  return peerRuntime(ort, session, model, { runtime: 'onnxruntime-node', backend: 'cpu', version: packageVersion('onnxruntime-node') });
}

/** onnxruntime-web in a child process (peer-process.ts says why), its numThreads set to `threads`. */
async function loadOrtWeb(model: BenchModel, threads: number): Promise<LoadedRuntime> {
  const peer = PeerProcess.start();
  let inputNames: readonly string[];
  try {
    ({ inputNames = [] } = await peer.request({ type: 'load', module: 'onnxruntime-web', bytes: model.bytes, threads, options: { graphOptimizationLevel: 'all' } }));
  } catch (e) {
    await peer.close();
    const code = (e as PeerError).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new SkipPoint('onnxruntime-web is not installed');
    throw new SkipPoint(`onnxruntime-web could not be loaded: ${(e as Error).message}`);
  }
  let nextId = 0;
  return {
    id: { runtime: 'onnxruntime-web', backend: 'wasm', version: packageVersion('onnxruntime-web') },
    async prepare(batch) {
      const tensors = feedsFor(model, batch);
      if (tensors.some((t) => !(t.data instanceof Float32Array))) throw new SkipPoint('onnxruntime-web: the benchmark feeds float32 inputs only');
      const id = nextId++;
      const feeds = tensors.map((t, i) => ({ name: inputNames[i] ?? model.inputs[i].name, data: t.data as Float32Array, dims: t.shape }));
      await peer.request({ type: 'feeds', id, feeds });
      return { run: async () => void (await peer.request({ type: 'run', id })) };
    },
    warnings: async () => [],
    dispose: () => peer.close(),
  };
}
