// The server's model instances: worker threads that each hold a Session, run one batch at a time, and
// are restarted when they die.

import { Worker } from 'node:worker_threads';
import { JouleError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import type { FromInstance, InstanceSpec, ModelDescription, WireTensor } from './protocol.js';

/** A batch lost because the instance running it died; the batcher may retry it elsewhere. */
export class InstanceCrashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstanceCrashError';
  }
}

export interface BatchOutput {
  readonly outputs: Record<string, Tensor>;
  readonly computeMs: number;
}

interface Pending {
  readonly id: number;
  resolve(output: BatchOutput): void;
  reject(error: Error): void;
}

interface Instance {
  readonly index: number;
  worker: Worker;
  state: 'starting' | 'idle' | 'busy' | 'stopped';
  pending?: Pending;
}

export interface PoolEvents {
  /** An instance became free to take a batch. */
  onAvailable?(): void;
  /** An instance died and is being restarted. */
  onCrash?(index: number, reason: string): void;
  onReady?(count: number): void;
}

// src/serve/instances.ts runs its worker from source through tsx; dist/serve/instances.js runs the .js.
const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(fromSource ? './instance-worker.ts' : './instance-worker.js', import.meta.url);
const restartDelaysMs = [0, 100, 500, 2000, 5000];

export class InstancePool {
  private readonly instances: Instance[] = [];
  private nextId = 1;
  private closed = false;
  private restarts = 0;

  private constructor(
    private readonly spec: InstanceSpec,
    private readonly events: PoolEvents,
    /** What the instances loaded: inputs, outputs, metadata. */
    readonly model: ModelDescription,
  ) {}

  /** Starts `count` instances and resolves once all have loaded the model; fails with the first load error. */
  static async start(spec: InstanceSpec, count: number, events: PoolEvents = {}): Promise<InstancePool> {
    const workers = Array.from({ length: count }, () => spawn(spec));
    let model: ModelDescription;
    try {
      model = (await Promise.all(workers.map(waitReady)))[0];
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    const pool = new InstancePool(spec, events, model);
    workers.forEach((worker, index) => pool.adopt({ index, worker, state: 'idle' }));
    events.onReady?.(count);
    return pool;
  }

  get size(): number {
    return this.instances.length;
  }

  /** Instances that have loaded the model and are not restarting. */
  get ready(): number {
    return this.instances.filter((i) => i.state === 'idle' || i.state === 'busy').length;
  }

  get idle(): number {
    return this.instances.filter((i) => i.state === 'idle').length;
  }

  /** Times an instance has been restarted after dying. */
  get restartCount(): number {
    return this.restarts;
  }

  /**
   * Runs one batch on an idle instance; the caller checks `idle` first. Rejects with an
   * InstanceCrashError if the instance dies while running it, and with a JouleError if the model refuses it.
   */
  run(feeds: Readonly<Record<string, Tensor>>): Promise<BatchOutput> {
    const instance = this.instances.find((i) => i.state === 'idle');
    if (instance === undefined) throw new JouleError('INTERNAL', 'no idle instance');
    instance.state = 'busy';
    const wire: WireTensor[] = Object.entries(feeds).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, data: t.data }));
    const id = this.nextId++;
    return new Promise<BatchOutput>((resolve, reject) => {
      instance.pending = { id, resolve, reject };
      instance.worker.postMessage({ type: 'run', id, feeds: wire }, [...new Set(wire.map((w) => w.data.buffer as ArrayBuffer))]);
    });
  }

  /** Stops instance `index` abruptly, as a crash would (for drills and tests): it is restarted. */
  async kill(index: number): Promise<void> {
    await this.instances[index].worker.terminate();
  }

  /** Stops every instance; batches still running are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.instances.map(async (i) => {
      i.state = 'stopped';
      await i.worker.terminate();
    }));
  }

  private adopt(instance: Instance): void {
    this.instances[instance.index] = instance;
    const { worker } = instance;
    worker.on('message', (message: FromInstance) => {
      if (message.type !== 'result' && message.type !== 'error') return;
      const pending = instance.pending;
      if (pending === undefined || pending.id !== message.id) return;
      instance.pending = undefined;
      instance.state = 'idle';
      if (message.type === 'result') {
        const outputs = Object.fromEntries(message.outputs.map((o) => [o.name, new Tensor(o.dtype, o.data as Float32Array, o.shape)]));
        pending.resolve({ outputs, computeMs: message.computeMs });
      } else {
        pending.reject(new JouleError(message.error.code === 'UNKNOWN' ? 'INTERNAL' : message.error.code, message.error.message));
      }
      this.events.onAvailable?.();
    });
    worker.on('error', () => undefined); // 'exit' follows and handles it
    worker.once('exit', (code) => {
      if (instance.state === 'stopped' || this.closed) {
        instance.pending?.reject(new InstanceCrashError('the server is shutting down'));
        return;
      }
      const reason = `instance ${instance.index} exited with code ${code}`;
      instance.state = 'starting';
      instance.pending?.reject(new InstanceCrashError(reason));
      instance.pending = undefined;
      this.events.onCrash?.(instance.index, reason);
      void this.restart(instance.index, 0);
    });
  }

  private async restart(index: number, attempt: number): Promise<void> {
    await new Promise((r) => setTimeout(r, restartDelaysMs[Math.min(attempt, restartDelaysMs.length - 1)]));
    if (this.closed) return;
    this.restarts++;
    const worker = spawn(this.spec);
    try {
      await waitReady(worker);
    } catch {
      await worker.terminate();
      return this.restart(index, attempt + 1);
    }
    if (this.closed) {
      await worker.terminate();
      return;
    }
    this.adopt({ index, worker, state: 'idle' });
    this.events.onReady?.(this.ready);
    this.events.onAvailable?.();
  }
}

function spawn(spec: InstanceSpec): Worker {
  if (!fromSource) return new Worker(workerUrl, { workerData: spec });
  // From source (tests, development) the worker registers tsx's loader before importing its TypeScript entry.
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: spec });
}

/** The model an instance loaded, once it has; a load failure rejects with the instance's error. */
function waitReady(worker: Worker): Promise<ModelDescription> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number): void => reject(new JouleError('INTERNAL', `a model instance exited with code ${code} while loading`));
    worker.once('exit', onExit);
    worker.once('error', (e) => reject(e));
    worker.once('message', (message: FromInstance) => {
      worker.off('exit', onExit);
      if (message.type === 'ready') resolve(message.model);
      else if (message.type === 'failed') reject(new JouleError(message.error.code === 'UNKNOWN' ? 'INTERNAL' : message.error.code, message.error.message));
      else reject(new JouleError('INTERNAL', `a model instance sent '${message.type}' before it was ready`));
    });
  });
}
