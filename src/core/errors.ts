/** Every error joule raises on purpose carries a stable code, so callers and tests can tell them apart. */
export type ErrorCode =
  | 'MODEL_DECODE' // bytes that are not a valid model file
  | 'MODEL_INVALID' // a decoded model that breaks the format's rules (missing initializer, dangling value)
  | 'UNSUPPORTED_OPS' // ops the engine cannot run, all listed at once
  | 'UNSUPPORTED_DTYPE'
  | 'SHAPE_MISMATCH' // shapes that an op cannot accept
  | 'BAD_FEED' // a feed with the wrong name, dtype, rank or size
  | 'BAD_ARGUMENT' // a caller passed something that makes no sense (options, tensor data)
  | 'NPY' // a broken .npy file
  | 'IO'
  | 'OUT_OF_MEMORY' // a tensor too large to allocate
  | 'BACKEND_UNAVAILABLE' // the backend cannot start here (no GPU adapter, a lost device)
  | 'INTERNAL';

export class JouleError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'JouleError';
  }
}

export function fail(code: ErrorCode, message: string): never {
  throw new JouleError(code, message);
}

/** Checks an invariant the engine itself is responsible for; a failure is a joule bug. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new JouleError('INTERNAL', message);
}
