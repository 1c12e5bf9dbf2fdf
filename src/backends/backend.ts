import type { Feed, GpuTensor } from '../core/gpu-tensor.js';
import type { Tensor } from '../core/tensor.js';
import type { Graph, Node } from '../ir/graph.js';

export type Precision = 'fp32' | 'fp16';

/** Where a run leaves its outputs: host memory (Tensors) or the GPU (GpuTensors, webgpu only). */
export type OutputLocation = 'host' | 'gpu';

/** What a backend is told when it prepares a graph. */
export interface BackendOptions {
  readonly precision: Precision;
  /** Worker threads a backend may use; backends without threads ignore it. */
  readonly threads: number;
  /** Time every step of a run, by kind of step, for `PreparedGraph.profile`. */
  readonly profile?: boolean;
  /**
   * How a backend picks among algorithms for a layer: 'measure' times the candidates once per layer
   * shape and caches the pick, 'heuristic' takes a fixed rule's pick, 'auto' (the default) measures
   * where that is cheap enough to be worth it.
   */
  readonly tune?: 'auto' | 'measure' | 'heuristic';
  /** Which GPU to ask for where a machine has several (GPU backends; default 'high-performance'). */
  readonly powerPreference?: 'high-performance' | 'low-power';
  /** A device the caller opened and owns, to run on instead of one the backend opens (GPU backends). */
  readonly gpuDevice?: GPUDevice;
}

/** Milliseconds spent per kind of step (a kernel name, or the op type of a node), summed over runs. */
export type Profile = Map<string, number>;

/** What a profile has gathered since the last call, leaving it empty. */
export function drainProfile(profile: Profile | undefined): Profile {
  const taken = new Map(profile ?? []);
  profile?.clear();
  return taken;
}

/** A graph a backend has prepared (weights packed, kernels compiled), ready to run on feeds. */
export interface PreparedGraph {
  run(feeds: ReadonlyMap<string, Tensor>): Promise<Map<string, Tensor>>;
  /**
   * A run whose inputs may be GpuTensors, leaving the outputs on the GPU when `outputs` is 'gpu' (GPU
   * backends). With outputs on the GPU it returns once the work is queued: the queue orders later uses.
   */
  runDevice?(feeds: ReadonlyMap<string, Feed>, outputs: OutputLocation): Promise<Map<string, Tensor | GpuTensor>>;
  /** With `profile` set at prepare: the time per kind of step since the last call (then reset). */
  profile?(): Profile;
  /** With `profile` set: milliseconds per node (by name) since the last call (then reset). */
  layerProfile?(): Profile;
  /** The algorithm chosen for each layer that had a choice, by node name. */
  algorithms?(): ReadonlyMap<string, string>;
  /** What the backend could not do as asked, and did instead (a precision it lacks, say). */
  readonly warnings?: readonly string[];
  dispose(): Promise<void>;
}

/** What the plans of one session share on a backend (threads, stored weights), released after them. */
export interface BackendSession {
  /** The device a GPU backend's plans run on, for buffers a caller shares with them. */
  readonly gpuDevice?: GPUDevice;
  dispose(): Promise<void>;
}

/** The one interface every backend implements: say what it can run, then prepare once and run many times. */
export interface Backend {
  readonly name: string;
  /** Undefined when the backend can run the node, else the reason it cannot. */
  unsupported(node: Node, opset: number): string | undefined;
  /** State for the plans of one session to share, where the backend has any; passed to each `prepare`. */
  openSession?(options: BackendOptions): Promise<BackendSession>;
  prepare(graph: Graph, options: BackendOptions, session?: BackendSession): Promise<PreparedGraph>;
}
