import { fail } from './errors.js';

/** The element types joule's tensors can hold. float16 is stored as raw bits in a Uint16Array. */
export type DType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';

export interface DTypeStorage {
  float32: Float32Array;
  float16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type TypedArrayFor<D extends DType> = DTypeStorage[D];
export type AnyTypedArray = DTypeStorage[DType];

interface DTypeTraits<D extends DType> {
  readonly bytes: number;
  /** The TensorProto.DataType enum value. */
  readonly onnx: number;
  /** The NumPy dtype string (little-endian) used by .npy files. */
  readonly npy: string;
  readonly isFloat: boolean;
  alloc(size: number): TypedArrayFor<D>;
  /** A view of `bytes` as this dtype (copying only when the bytes are misaligned). */
  view(bytes: Uint8Array): TypedArrayFor<D>;
}

function viewer<T>(ctor: { new (b: ArrayBufferLike, o: number, n: number): T; BYTES_PER_ELEMENT: number }) {
  return (bytes: Uint8Array): T => {
    const n = bytes.byteLength / ctor.BYTES_PER_ELEMENT;
    if (!Number.isInteger(n)) fail('MODEL_DECODE', `${bytes.byteLength} bytes is not a whole number of elements`);
    if (bytes.byteOffset % ctor.BYTES_PER_ELEMENT === 0) return new ctor(bytes.buffer, bytes.byteOffset, n);
    // A copy into fresh memory (Buffer#slice would only make another view of the same bytes).
    return new ctor(new Uint8Array(bytes).buffer, 0, n);
  };
}

export const dtypes: { readonly [D in DType]: DTypeTraits<D> } = {
  float32: { bytes: 4, onnx: 1, npy: '<f4', isFloat: true, alloc: (n) => new Float32Array(n), view: viewer(Float32Array) },
  float16: { bytes: 2, onnx: 10, npy: '<f2', isFloat: true, alloc: (n) => new Uint16Array(n), view: viewer(Uint16Array) },
  int64: { bytes: 8, onnx: 7, npy: '<i8', isFloat: false, alloc: (n) => new BigInt64Array(n), view: viewer(BigInt64Array) },
  int32: { bytes: 4, onnx: 6, npy: '<i4', isFloat: false, alloc: (n) => new Int32Array(n), view: viewer(Int32Array) },
  uint8: { bytes: 1, onnx: 2, npy: '|u1', isFloat: false, alloc: (n) => new Uint8Array(n), view: viewer(Uint8Array) },
  bool: { bytes: 1, onnx: 9, npy: '|b1', isFloat: false, alloc: (n) => new Uint8Array(n), view: viewer(Uint8Array) },
};

export const allDTypes: readonly DType[] = Object.keys(dtypes) as DType[];

/** Names of ONNX TensorProto.DataType values, for error messages about types joule does not hold. */
const onnxTypeNames: Record<number, string> = {
  0: 'undefined', 1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64',
  8: 'string', 9: 'bool', 10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 14: 'complex64',
  15: 'complex128', 16: 'bfloat16', 17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2',
  20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4', 23: 'float4e2m1',
};

export function onnxTypeName(code: number): string {
  return onnxTypeNames[code] ?? `type ${code}`;
}

export function dtypeFromOnnx(code: number): DType | undefined {
  for (const d of allDTypes) if (dtypes[d].onnx === code) return d;
  return undefined;
}

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(dtypes, s);
}
