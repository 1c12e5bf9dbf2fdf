// Messages between the demo page and its engine worker (engine-worker.ts), which runs joule off the page's
// main thread: there the cpu backend's threads may block in Atomics.wait, and the page stays responsive.

import type { Preprocessing } from '../../zoo/index.js';

/** The backends the page offers (the page's script is type-checked with the DOM's types, apart from the backends' sources). */
export type PageBackend = 'cpu' | 'webgpu';
export type PagePrecision = 'fp32' | 'fp16';

/** A model the page asks for: a zoo network (optionally at a smaller input size) or ONNX bytes from a file. */
export type ModelChoice =
  | { readonly kind: 'zoo'; readonly name: string; readonly inputSize?: number }
  | { readonly kind: 'file'; readonly name: string; readonly bytes: ArrayBuffer };

export type EngineRequest =
  | { readonly type: 'load'; readonly model: ModelChoice; readonly backend: PageBackend; readonly precision: PagePrecision }
  /** Interleaved RGB bytes, size x size, already resized and cropped as the model's preprocessing says. */
  | { readonly type: 'classify'; readonly pixels: Uint8Array; readonly top: number }
  /** Images per second at a batch size: one warm-up run, then runs for at least `minMs`. */
  | { readonly type: 'bench'; readonly batch: number; readonly minMs: number };

export interface Prediction {
  readonly index: number;
  readonly label: string;
  readonly probability: number;
}

export interface Loaded {
  readonly type: 'loaded';
  readonly preprocessing: Preprocessing;
  /** Whether the preprocessing came from the model (zoo or metadata) or was assumed from its input shape. */
  readonly preprocessingKnown: boolean;
  readonly threads: number;
  readonly crossOriginIsolated: boolean;
  readonly warnings: readonly string[];
  readonly ms: number;
}

export interface Classified {
  readonly type: 'classified';
  readonly predictions: readonly Prediction[];
  /** Whether the output was a probability distribution, or scores that the page turned into one (softmax). */
  readonly softmaxApplied: boolean;
  readonly ms: number;
}

export interface Benched {
  readonly type: 'benched';
  readonly batch: number;
  readonly imagesPerSecond: number;
  readonly runs: number;
  readonly meanMs: number;
}

/** What the engine answers to a request. */
export type EngineAnswer = Loaded | Classified | Benched | { readonly type: 'error'; readonly message: string };

export type EngineReply = EngineAnswer & { readonly id: number };

/** What the page sends: a request and the id its reply carries. */
export type EngineMessage = EngineRequest & { readonly id: number };

/** The demo server's answer to POST /api/measure: images/s measured in Node with the same Session. */
export type NodeMeasurement =
  | { readonly imagesPerSecond: number; readonly meanMs: number; readonly runs: number; readonly threads: number }
  | { readonly notMeasured: string };
