import { JouleError } from '../core/errors.js';
import { type Feed, GpuTensor } from '../core/gpu-tensor.js';
import type { Tensor } from '../core/tensor.js';
import type { BackendOptions, BackendSession, OutputLocation, Precision, PreparedGraph, Profile } from '../backends/backend.js';
import { type BackendName, backends, isBackendName } from '../backends/index.js';
import { availableParallelism } from '../platform/host.js';
import { type Graph, type Model, type Node, type ValueInfo, onnxOpset, subgraphsOf } from '../ir/graph.js';
import { withInferredTypes } from '../ir/infer.js';
import { verify } from '../ir/verify.js';
import { runPasses, weightsToFp16 } from '../passes/index.js';
import { checkFeeds } from './feeds.js';
import { type LoadOptions, type ModelSource, loadModel } from './load.js';

/** How a session loads (see LoadOptions: Caffe weights, a mean file) and runs its model. */
export interface SessionOptions extends LoadOptions {
  /** Which backend runs the model (default 'reference'). */
  readonly backend?: BackendName;
  /** 'fp16' stores weights as float16; arithmetic stays float32 or wider (default 'fp32'). */
  readonly precision?: Precision;
  /** Worker threads for backends that use them (default: the available cores). */
  readonly threads?: number;
  /** Time each step of every run, for `profile()` (backends that support it; default false). */
  readonly profile?: boolean;
  /**
   * How layers choose among algorithms (convolution tiles, split-K): 'measure' times the candidates on
   * the first run of each input shape, 'heuristic' uses fixed rules, 'auto' (default) lets the backend
   * decide (the webgpu backend measures on hardware GPUs).
   */
  readonly tune?: 'auto' | 'measure' | 'heuristic';
  /** Which GPU the webgpu backend asks for where a machine has several (default 'high-performance'). */
  readonly powerPreference?: 'high-performance' | 'low-power';
  /**
   * A GPUDevice of yours for the webgpu backend to run on (to share GpuTensors with your own shaders),
   * instead of one it opens. joule uses what the device was created with (`shader-f16` for fp16, its
   * limits) and never destroys it.
   */
  readonly gpuDevice?: GPUDevice;
  /**
   * How many prepared plans (one per distinct set of input shapes, such as a batch size) are kept; the
   * oldest is released when a new shape needs room (default 4).
   */
  readonly maxPlans?: number;
}

/** How one run goes. */
export interface RunOptions {
  /**
   * 'gpu' leaves float32 outputs on the GPU as GpuTensors, the caller's to destroy (webgpu backend). The
   * run then returns once its work is queued: `download()` or the device's queue waits for it.
   */
  readonly outputLocation?: OutputLocation;
}

/** A loaded, optimized model bound to a backend: load once, run many times. */
export class Session {
  private readonly plans = new Map<string, Promise<PreparedGraph>>();
  /** Runs in flight per plan, and the evicted plans that wait for theirs to end. */
  private readonly users = new Map<Promise<PreparedGraph>, number>();
  private readonly evicted = new Set<Promise<PreparedGraph>>();
  /** What the plans share on the backend (threads, stored weights), opened with the first plan. */
  private shared?: Promise<BackendSession | undefined>;
  private disposed = false;

  private constructor(
    /** What the model file says about itself (producer, metadata such as preprocessing). */
    readonly info: Pick<Model, 'producer' | 'metadata'>,
    /** The model after joule's passes, with symbolic input shapes. */
    readonly graph: Graph,
    readonly options: ResolvedSessionOptions,
  ) {}

  /**
   * Loads a model (an .onnx or Caffe .prototxt path, 'zoo:<name>', ONNX bytes or `{ prototxt }`), checks it
   * and prepares it for the backend. A Caffe model takes its trained weights from `options.weights`.
   */
  static async load(source: ModelSource, options: SessionOptions = {}): Promise<Session> {
    const resolved = resolveOptions(options);
    const model = await loadModel(source, options);
    verify(model.graph);
    rejectUnsupported(model.graph, resolved.backend);
    let graph = runPasses(withInferredTypes(model.graph));
    if (resolved.precision === 'fp16') {
      graph = weightsToFp16(graph);
      verify(graph);
    }
    // Only the optimized graph is kept: with fp16 the float32 weights are dropped here.
    return new Session({ producer: model.producer, metadata: model.metadata }, withInferredTypes(graph), resolved);
  }

  /** The inputs a run needs, with symbolic dimensions such as the batch 'N'. */
  get inputs(): readonly ValueInfo[] {
    return this.graph.inputs;
  }

  get outputs(): readonly ValueInfo[] {
    return this.graph.outputs;
  }

  /**
   * Runs the model on one set of feeds and returns every graph output by name. Inputs may be GpuTensors
   * (read on the GPU by the webgpu backend, downloaded first by the others).
   */
  async run(feeds: Readonly<Record<string, Feed>>): Promise<Record<string, Tensor>>;
  async run(feeds: Readonly<Record<string, Feed>>, options: RunOptions & { outputLocation: 'gpu' }): Promise<Record<string, GpuTensor | Tensor>>;
  async run(feeds: Readonly<Record<string, Feed>>, options?: RunOptions): Promise<Record<string, Tensor | GpuTensor>>;
  async run(feeds: Readonly<Record<string, Feed>>, options: RunOptions = {}): Promise<Record<string, Tensor | GpuTensor>> {
    if (this.disposed) throw new JouleError('BAD_ARGUMENT', 'this session has been disposed');
    const location = options.outputLocation ?? 'host';
    if (location !== 'host' && location !== 'gpu') {
      throw new JouleError('BAD_ARGUMENT', `unknown outputLocation '${String(location)}'; use 'host' or 'gpu'`);
    }
    if (location === 'gpu' && this.options.backend !== 'webgpu') {
      throw new JouleError('BAD_ARGUMENT', `outputLocation 'gpu' needs the webgpu backend; this session runs on ${this.options.backend}`);
    }
    const checked = checkFeeds(this.inputs, feeds);
    const onGpu = [...checked.values()].some((f) => f instanceof GpuTensor);
    // The plan is held while the run waits for it and runs: a plan evicted meanwhile (runs of more shapes
    // than maxPlans at once) is released when its last run ends, not under it.
    const entry = this.plan(checked);
    this.users.set(entry, (this.users.get(entry) ?? 0) + 1);
    try {
      const plan = await entry;
      let results: Map<string, Tensor | GpuTensor>;
      if (plan.runDevice !== undefined && (onGpu || location === 'gpu')) results = await plan.runDevice(checked, location);
      else results = await plan.run(await hostFeeds(checked));
      return Object.fromEntries(this.outputs.map((o) => [o.name, results.get(o.name)!]));
    } finally {
      const left = this.users.get(entry)! - 1;
      if (left > 0) this.users.set(entry, left);
      else {
        this.users.delete(entry);
        if (this.evicted.delete(entry)) void release(entry);
      }
    }
  }

  /**
   * The GPUDevice the webgpu backend runs this session on, opened on first use: GpuTensor inputs must
   * live there. It stays the session's until `dispose()`.
   */
  async gpuDevice(): Promise<GPUDevice> {
    if (this.disposed) throw new JouleError('BAD_ARGUMENT', 'this session has been disposed');
    const device = (await this.openShared())?.gpuDevice;
    if (device === undefined) throw new JouleError('BAD_ARGUMENT', `the ${this.options.backend} backend runs on no GPUDevice; use backend 'webgpu'`);
    return device;
  }

  /** With `profile: true`: milliseconds per layer (node name) in the runs since the last call, where the backend times layers. */
  async layerProfile(): Promise<Profile> {
    const total: Profile = new Map();
    for (const plan of this.plans.values()) {
      for (const [node, ms] of (await plan).layerProfile?.() ?? []) total.set(node, (total.get(node) ?? 0) + ms);
    }
    return total;
  }

  /** What the backend could not do as asked and did instead, for the plans prepared so far. */
  async warnings(): Promise<string[]> {
    const all = new Set<string>();
    for (const plan of this.plans.values()) for (const w of (await plan).warnings ?? []) all.add(w);
    return [...all];
  }

  /** The algorithm each layer runs with, by node name, for the plans prepared so far (latest shape last). */
  async algorithms(): Promise<Map<string, string>> {
    const all = new Map<string, string>();
    for (const plan of this.plans.values()) for (const [node, name] of (await plan).algorithms?.() ?? []) all.set(node, name);
    return all;
  }

  /**
   * Milliseconds spent per kind of step (a kernel, or an op on a reference kernel) in the runs since the
   * last call. Empty unless the session was loaded with `profile: true` on a backend that profiles.
   */
  async profile(): Promise<Profile> {
    const total: Profile = new Map();
    for (const plan of this.plans.values()) {
      for (const [step, ms] of (await plan).profile?.() ?? []) total.set(step, (total.get(step) ?? 0) + ms);
    }
    return total;
  }

  /** Releases the backend's resources; the session cannot run afterwards. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const plans = [...this.plans.values(), ...this.evicted];
    this.plans.clear();
    this.evicted.clear();
    await Promise.all(plans.map(release));
    await (await this.shared?.catch(() => undefined))?.dispose();
  }

  /** The graph specialized to the feeds' shapes (shape arithmetic folded away), prepared once per shape. */
  private plan(feeds: ReadonlyMap<string, Feed>): Promise<PreparedGraph> {
    const key = this.inputs.map((v) => feeds.get(v.name)!.shape.join('x')).join(',');
    let plan = this.plans.get(key);
    if (plan === undefined) {
      if (this.plans.size >= this.options.maxPlans) {
        const [oldest, evicted] = this.plans.entries().next().value as [string, Promise<PreparedGraph>];
        this.plans.delete(oldest);
        if (this.users.has(evicted)) this.evicted.add(evicted);
        else void release(evicted);
      }
      const inputs = this.inputs.map((v) => ({ ...v, shape: feeds.get(v.name)!.shape }));
      const specialized = runPasses({ ...this.graph, inputs });
      const backend = backends[this.options.backend];
      const options = this.backendOptions();
      plan = this.openShared().then((s) => backend.prepare(specialized, options, s));
      this.plans.set(key, plan);
      // A plan that fails is not kept: the next run with these shapes tries again.
      const failed = plan;
      failed.catch(() => this.plans.get(key) === failed && this.plans.delete(key));
    }
    return plan;
  }

  private backendOptions(): BackendOptions {
    const { precision, threads, profile, tune, powerPreference, gpuDevice } = this.options;
    return { precision, threads, profile, tune, powerPreference, gpuDevice };
  }

  /** What the plans share on the backend, opened once; a session that could not open it tries again later. */
  private openShared(): Promise<BackendSession | undefined> {
    const shared = (this.shared ??= backends[this.options.backend].openSession?.(this.backendOptions()) ?? Promise.resolve(undefined));
    shared.catch(() => this.shared === shared && (this.shared = undefined));
    return shared;
  }
}

/** Host copies of GpuTensor feeds, for plans that read only host memory. */
async function hostFeeds(feeds: ReadonlyMap<string, Feed>): Promise<Map<string, Tensor>> {
  const out = new Map<string, Tensor>();
  for (const [name, feed] of feeds) out.set(name, feed instanceof GpuTensor ? await feed.download() : feed);
  return out;
}

/** Disposes a plan; one that failed to prepare holds nothing to release. */
async function release(plan: Promise<PreparedGraph>): Promise<void> {
  await (await plan.catch(() => undefined))?.dispose();
}

/** The options that stay with a session once loaded. */
export type ResolvedSessionOptions = Required<Pick<SessionOptions, 'backend' | 'precision' | 'threads' | 'profile' | 'tune' | 'powerPreference' | 'maxPlans'>> &
  Pick<SessionOptions, 'gpuDevice'>;

function resolveOptions(options: SessionOptions): ResolvedSessionOptions {
  const backend = options.backend ?? 'reference';
  if (!isBackendName(backend)) {
    throw new JouleError('BAD_ARGUMENT', `unknown backend '${String(backend)}'; available: ${Object.keys(backends).join(', ')}`);
  }
  const precision = options.precision ?? 'fp32';
  if (precision !== 'fp32' && precision !== 'fp16') {
    throw new JouleError('BAD_ARGUMENT', `unknown precision '${String(precision)}'; use 'fp32' or 'fp16'`);
  }
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new JouleError('BAD_ARGUMENT', `threads must be a positive integer, got ${String(threads)}`);
  }
  const tune = options.tune ?? 'auto';
  if (!['auto', 'measure', 'heuristic'].includes(tune)) {
    throw new JouleError('BAD_ARGUMENT', `unknown tune '${String(tune)}'; use 'auto', 'measure' or 'heuristic'`);
  }
  const powerPreference = options.powerPreference ?? 'high-performance';
  if (powerPreference !== 'high-performance' && powerPreference !== 'low-power') {
    throw new JouleError('BAD_ARGUMENT', `unknown powerPreference '${String(powerPreference)}'; use 'high-performance' or 'low-power'`);
  }
  const maxPlans = options.maxPlans ?? 4;
  if (!Number.isInteger(maxPlans) || maxPlans < 1) {
    throw new JouleError('BAD_ARGUMENT', `maxPlans must be a positive integer, got ${String(maxPlans)}`);
  }
  const gpuDevice = options.gpuDevice;
  if (gpuDevice !== undefined && typeof (gpuDevice as { createBuffer?: unknown }).createBuffer !== 'function') {
    throw new JouleError('BAD_ARGUMENT', 'gpuDevice must be a GPUDevice');
  }
  if (gpuDevice !== undefined && backend !== 'webgpu') {
    throw new JouleError('BAD_ARGUMENT', `gpuDevice is for the webgpu backend; this session runs on ${backend}`);
  }
  return { backend, precision, threads, profile: options.profile === true, tune, powerPreference, maxPlans, gpuDevice };
}

/** Fails with one error listing every node (subgraphs included) the backend cannot run. */
function rejectUnsupported(graph: Graph, backendName: BackendName): void {
  const backend = backends[backendName];
  const opset = onnxOpset(graph);
  const problems: string[] = [];
  const visit = (g: Graph): void => {
    for (const node of g.nodes) {
      const reason = backend.unsupported(node, opset);
      if (reason !== undefined) problems.push(describeNode(node));
      for (const sub of subgraphsOf(node)) visit(sub);
    }
  };
  visit(graph);
  if (problems.length > 0) {
    throw new JouleError(
      'UNSUPPORTED_OPS',
      `the model uses ${problems.length} node(s) the ${backend.name} backend cannot run: ${problems.join('; ')}`,
    );
  }
}

function describeNode(node: Node): string {
  return `'${node.name}' (op ${node.op}, domain '${node.domain || 'ai.onnx'}')`;
}
