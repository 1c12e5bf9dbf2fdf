// Messages between the server's main thread and its model instances (worker threads).

import type { DType } from '../core/dtype.js';
import type { ErrorCode } from '../core/errors.js';
import type { ValueInfo } from '../ir/graph.js';
import type { SessionOptions } from '../runtime/session.js';

/** A tensor as it crosses threads: its buffer is transferred, not copied. */
export interface WireTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: ArrayBufferView;
}

/** What an instance loads: a model path, 'zoo:<name>' or ONNX bytes, with the session's options. */
export interface InstanceSpec {
  readonly model: string | Uint8Array;
  readonly options: Omit<SessionOptions, 'weights' | 'mean'> & { readonly weights?: string; readonly mean?: string };
  /** Batch sizes to run once at start, so that no request waits for a plan to be prepared. */
  readonly warmBatches: readonly number[];
}

export interface ModelDescription {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly producer: string;
  readonly warnings: readonly string[];
}

export type ToInstance = { readonly type: 'run'; readonly id: number; readonly feeds: readonly WireTensor[] };

export type FromInstance =
  | { readonly type: 'ready'; readonly model: ModelDescription }
  | { readonly type: 'failed'; readonly error: WireError }
  | { readonly type: 'result'; readonly id: number; readonly outputs: readonly WireTensor[]; readonly computeMs: number }
  | { readonly type: 'error'; readonly id: number; readonly error: WireError };

export interface WireError {
  readonly code: ErrorCode | 'UNKNOWN';
  readonly message: string;
}
