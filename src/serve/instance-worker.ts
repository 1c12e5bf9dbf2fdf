// A model instance: a worker thread that holds one Session and runs the batches the server sends it.

import { parentPort, workerData } from 'node:worker_threads';
import { JouleError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { Session } from '../runtime/session.js';
import { syntheticInput } from '../runtime/synthetic.js';
import { preprocessingOf } from '../zoo/index.js';
import type { FromInstance, InstanceSpec, ToInstance, WireError, WireTensor } from './protocol.js';

const port = parentPort!;
const spec = workerData as InstanceSpec;

function wireError(e: unknown): WireError {
  if (e instanceof JouleError) return { code: e.code, message: e.message };
  return { code: 'UNKNOWN', message: e instanceof Error ? e.message : String(e) };
}

function post(message: FromInstance, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

let session: Session;
try {
  session = await Session.load(spec.model, spec.options);
  const preprocessing = preprocessingOf(session.info);
  for (const batch of spec.warmBatches) {
    await session.run(Object.fromEntries(session.inputs.map((v) => [v.name, syntheticInput(v, batch, preprocessing)])));
  }
  post({
    type: 'ready',
    model: {
      inputs: session.inputs,
      outputs: session.outputs,
      metadata: session.info.metadata,
      producer: session.info.producer,
      warnings: await session.warnings(),
    },
  });
} catch (e) {
  post({ type: 'failed', error: wireError(e) });
  process.exit(1);
}

port.on('message', (message: ToInstance) => {
  void run(message);
});

async function run({ id, feeds }: ToInstance): Promise<void> {
  try {
    const tensors = Object.fromEntries(feeds.map((f) => [f.name, new Tensor(f.dtype, f.data as Float32Array, f.shape)]));
    const started = performance.now();
    const results = await session.run(tensors);
    const computeMs = performance.now() - started;
    const outputs: WireTensor[] = Object.entries(results).map(([name, t]) => {
      // A view into a backend's memory is copied so that its buffer can be transferred whole.
      const whole = t.data.buffer instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength;
      return { name, dtype: t.dtype, shape: t.shape, data: whole ? t.data : t.data.slice() };
    });
    post({ type: 'result', id, outputs, computeMs }, [...new Set(outputs.map((o) => o.data.buffer as ArrayBuffer))]);
  } catch (e) {
    post({ type: 'error', id, error: wireError(e) });
  }
}
