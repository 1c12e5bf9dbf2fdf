// The demo page's engine: a module Web Worker that holds one joule Session and answers the page's requests.
// The build (scripts/build-browser.ts) leaves `joule` out of this file and imports the library's browser
// bundle (../joule.js) instead, so the page runs exactly what the package ships.

import { Session, Tensor, asProbabilities, canShareMemory, encodeOnnx, imagenetLabels, pixelsToTensor, preprocessingOf, topIndices, zooEntry } from '../../browser/index.js';
import type { Preprocessing } from '../../browser/index.js';
import type { EngineAnswer, EngineMessage, EngineReply, ModelChoice } from './protocol.js';

interface WorkerScope {
  onmessage: ((event: { data: EngineMessage }) => void) | null;
  postMessage(message: EngineReply): void;
}
const scope = globalThis as unknown as WorkerScope;

let current: { session: Session; preprocessing: Preprocessing; labels: readonly string[] | undefined } | undefined;
// Requests run one at a time, in order.
let queue: Promise<void> = Promise.resolve();

scope.onmessage = ({ data }) => {
  queue = queue.then(async () => {
    try {
      scope.postMessage({ ...(await handle(data)), id: data.id });
    } catch (e) {
      scope.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e), id: data.id });
    }
  });
};

async function handle(message: EngineMessage): Promise<EngineAnswer> {
  switch (message.type) {
    case 'load': {
      const started = performance.now();
      await current?.session.dispose();
      current = undefined;
      const session = await Session.load(modelSource(message.model), { backend: message.backend, precision: message.precision });
      const known = preprocessingOf(session.info);
      const preprocessing = known ?? assumedPreprocessing(session);
      const classes = session.outputs[0]?.shape?.[1];
      const labels = message.model.kind === 'zoo' || classes === imagenetLabels.length ? imagenetLabels : undefined;
      current = { session, preprocessing, labels };
      // The first run prepares the plan (packs weights, compiles pipelines): done here, not in the first classification.
      await session.run({ [preprocessing.inputName]: pixelsToTensor(new Uint8Array(preprocessing.size ** 2 * 3), preprocessing) });
      return {
        type: 'loaded',
        preprocessing,
        preprocessingKnown: known !== undefined,
        threads: message.backend === 'cpu' ? session.options.threads : 1,
        crossOriginIsolated: canShareMemory(),
        warnings: await session.warnings(),
        ms: performance.now() - started,
      };
    }
    case 'classify': {
      const { session, preprocessing, labels } = loaded();
      const input = pixelsToTensor(message.pixels, preprocessing);
      const started = performance.now();
      const outputs = await session.run({ [preprocessing.inputName]: input });
      const ms = performance.now() - started;
      const scores = outputs[session.outputs[0].name].toFloat32();
      const probabilities = asProbabilities(scores);
      return {
        type: 'classified',
        predictions: topIndices(probabilities, message.top).map((index) => ({ index, label: labels?.[index] ?? `class ${index}`, probability: probabilities[index] })),
        // asProbabilities hands back the scores themselves where they already form a distribution.
        softmaxApplied: probabilities !== scores,
        ms,
      };
    }
    case 'bench': {
      const { session, preprocessing } = loaded();
      const { size } = preprocessing;
      const pixels = new Uint8Array(message.batch * size * size * 3);
      for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
      const one = size * size * 3;
      const data = new Float32Array(message.batch * one);
      for (let b = 0; b < message.batch; b++) data.set(pixelsToTensor(pixels.subarray(b * one, (b + 1) * one), preprocessing).data, b * one);
      const feeds = { [preprocessing.inputName]: new Tensor('float32', data, [message.batch, 3, size, size]) };
      await session.run(feeds); // warm-up: prepares this batch size's plan
      let runs = 0;
      const started = performance.now();
      while (runs < 3 || performance.now() - started < message.minMs) {
        await session.run(feeds);
        runs++;
      }
      const seconds = (performance.now() - started) / 1000;
      return { type: 'benched', batch: message.batch, imagesPerSecond: (runs * message.batch) / seconds, runs, meanMs: (seconds * 1000) / runs };
    }
  }
}

function loaded(): NonNullable<typeof current> {
  if (current === undefined) throw new Error('no model is loaded');
  return current;
}

function modelSource(model: ModelChoice): Parameters<typeof Session.load>[0] {
  if (model.kind === 'file') return new Uint8Array(model.bytes);
  const native = zooEntry(model.name).preprocessing.size;
  if (model.inputSize === undefined || model.inputSize === native) return `zoo:${model.name}`;
  // A zoo network at a smaller input (the same layers on a smaller image) reaches the session as ONNX bytes.
  return encodeOnnx(zooEntry(model.name).build({ inputSize: model.inputSize }));
}

/** What an ONNX model without joule's preprocessing metadata gets: its input's size, RGB pixels 0..255. */
function assumedPreprocessing(session: Session): Preprocessing {
  const input = session.inputs.find((v) => v.shape?.length === 4) ?? session.inputs[0];
  const size = input.shape?.[3];
  if (typeof size !== 'number') throw new Error(`input '${input.name}' has no fixed image size (shape [${input.shape?.join(', ') ?? '?'}])`);
  return { inputName: input.name, size, resize: size, channelOrder: 'RGB', mean: [0, 0, 0], scale: 1, layout: 'NCHW' };
}
