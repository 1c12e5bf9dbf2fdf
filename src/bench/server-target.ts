// The server scenario's target: joule's dynamic batcher (the one `joule serve` runs) in front of the
// point's own Session, fed one synthetic image per request.

import type { Tensor } from '../core/tensor.js';
import { syntheticInput } from '../runtime/synthetic.js';
import type { Session } from '../runtime/session.js';
import { type BatchRunner, DynamicBatcher, defaultBatchSizes } from '../serve/batcher.js';
import type { BatchOutput } from '../serve/instances.js';
import { preprocessingOf } from '../zoo/index.js';
import type { ServerTargetFactory } from './scenarios.js';

export interface BatcherSettings {
  readonly maxBatch: number;
  readonly maxDelayMs: number;
}

/** Runs batches on a Session in this thread, one at a time. */
class SessionRunner implements BatchRunner {
  private busy = false;
  onIdle?: () => void;

  constructor(private readonly session: Session) {}

  get idle(): number {
    return this.busy ? 0 : 1;
  }

  async run(feeds: Readonly<Record<string, Tensor>>): Promise<BatchOutput> {
    this.busy = true;
    try {
      const started = performance.now();
      const outputs = await this.session.run(feeds);
      return { outputs, computeMs: performance.now() - started };
    } finally {
      this.busy = false;
      queueMicrotask(() => this.onIdle?.());
    }
  }
}

/**
 * A server target for joule runtimes (peers are not served: undefined). Each batch size the batcher pads
 * to is run once before the offered load starts, so no request waits for a plan to be prepared.
 */
export function batcherServerTarget(settings: BatcherSettings): ServerTargetFactory {
  return async ({ loaded }) => {
    const session = loaded.session;
    if (session === undefined) return undefined;
    const preprocessing = preprocessingOf(session.info);
    const feedsOf = (batch: number): Record<string, Tensor> =>
      Object.fromEntries(session.inputs.map((v) => [v.name, syntheticInput(v, batch, preprocessing)]));
    const sizes = defaultBatchSizes(settings.maxBatch);
    for (const size of sizes) await session.run(feedsOf(size));
    const runner = new SessionRunner(session);
    const batcher = new DynamicBatcher(session.inputs, runner, { ...settings, maxQueue: 64 * settings.maxBatch, batchSizes: sizes });
    runner.onIdle = () => batcher.pump();
    const one = feedsOf(1);
    return {
      submit: async () => ({ batchSize: (await batcher.submit(one)).batchRows }),
      maxBatch: settings.maxBatch,
      maxDelayMs: settings.maxDelayMs,
      close: () => batcher.drain(),
    };
  };
}
