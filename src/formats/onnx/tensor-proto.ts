import { type DType, type TypedArrayFor, dtypeFromOnnx, dtypes, onnxTypeName } from '../../core/dtype.js';
import { JouleError, fail } from '../../core/errors.js';
import { formatShape } from '../../core/shape.js';
import { Tensor } from '../../core/tensor.js';
import { DATA_LOCATION_EXTERNAL, type Int64, type TensorProtoMsg, hasField } from './schema.js';

/** Returns the whole external data file at `location` (relative to the model's directory). */
export type ExternalDataReader = (location: string) => Uint8Array;

const TWO_32 = 4294967296;

/** An int64 field as a number (exact up to 2^53; larger magnitudes are rounded, as Long.toNumber does). */
export function int64ToNumber(v: Int64): number {
  if (typeof v === 'number') return v;
  return v.unsigned ? (v.high >>> 0) * TWO_32 + (v.low >>> 0) : (v.high | 0) * TWO_32 + (v.low >>> 0);
}

/** An int64 field as an exact bigint. */
export function int64ToBigInt(v: Int64): bigint {
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
  const bits = (BigInt(v.high | 0) << 32n) | BigInt(v.low >>> 0);
  return v.unsigned ? BigInt.asUintN(64, bits) : BigInt.asIntN(64, bits);
}

/** An int64 in the form protobufjs writes: low and high halves (numbers beyond the int64 range saturate). */
export function int64ToWire(v: number | bigint): { low: number; high: number; unsigned: boolean } {
  let b: bigint;
  if (typeof v === 'bigint') b = BigInt.asIntN(64, v);
  else if (Number.isNaN(v)) b = 0n;
  else if (v >= 2 ** 63) b = 9223372036854775807n;
  else if (v <= -(2 ** 63)) b = -9223372036854775808n;
  else b = BigInt(Math.trunc(v));
  return { low: Number(BigInt.asIntN(32, b)), high: Number(BigInt.asIntN(32, b >> 32n)), unsigned: false };
}

/** A dimension or count read from an int64 field: a non-negative safe integer, or MODEL_INVALID. */
export function int64ToSize(v: Int64, what: string): number {
  const n = int64ToNumber(v);
  if (!Number.isSafeInteger(n) || n < 0) fail('MODEL_INVALID', `${what} is ${n}, not a valid size`);
  return n;
}

/** Checks an external data location: a relative path that stays inside the model's directory. */
export function checkExternalLocation(location: string, what: string): void {
  if (location === '') fail('MODEL_INVALID', `${what} keeps its data externally but names no location`);
  if (/^([/\\]|[A-Za-z]:)/.test(location) || location.includes('\0')) {
    fail('MODEL_INVALID', `${what}: external data location '${location}' is not a relative path`);
  }
  if (location.split(/[/\\]/).includes('..')) {
    fail('MODEL_INVALID', `${what}: external data location '${location}' leaves the model's directory`);
  }
}

/** The external data keys of a tensor, or undefined when its data is stored inline. */
export function externalDataOf(t: TensorProtoMsg): Map<string, string> | undefined {
  if (t.data_location !== DATA_LOCATION_EXTERNAL) return undefined;
  return new Map(t.external_data.map((e) => [e.key, e.value]));
}

function externalBytes(t: TensorProtoMsg, keys: Map<string, string>, what: string, read: ExternalDataReader | undefined): Uint8Array {
  const location = keys.get('location') ?? '';
  checkExternalLocation(location, what);
  if (read === undefined) {
    fail('MODEL_INVALID', `${what} keeps its data in external file '${location}', but no external data was provided (load the model from its file)`);
  }
  let file: Uint8Array;
  try {
    file = read(location);
  } catch (e) {
    if (e instanceof JouleError) throw e;
    fail('IO', `${what}: cannot read external data file '${location}': ${e instanceof Error ? e.message : String(e)}`);
  }
  const parse = (key: string, fallback: number): number => {
    const s = keys.get(key);
    if (s === undefined) return fallback;
    const n = /^\d+$/.test(s.trim()) ? Number(s.trim()) : NaN;
    if (!Number.isSafeInteger(n)) fail('MODEL_INVALID', `${what}: external data ${key} '${s}' is not a non-negative integer`);
    return n;
  };
  const offset = parse('offset', 0);
  if (offset > file.byteLength) {
    fail('MODEL_INVALID', `${what}: external data offset ${offset} is past the end of '${location}' (${file.byteLength} bytes)`);
  }
  const length = parse('length', file.byteLength - offset);
  if (offset + length > file.byteLength) {
    fail('MODEL_INVALID', `${what}: external data [${offset}, ${offset + length}) runs past the end of '${location}' (${file.byteLength} bytes)`);
  }
  return file.subarray(offset, offset + length);
}

/**
 * The same bytes as a plain Uint8Array. protobufjs hands out Node Buffers, whose slice() is a view rather
 * than a copy, which would break the copy a misaligned view needs.
 */
export function asPlainBytes(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The number of elements the dims claim, failing for negative or absurd dims before anything is allocated. */
function elementCount(dims: readonly number[], what: string): number {
  if (dims.includes(0)) return 0;
  let n = 1;
  for (const d of dims) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) fail('MODEL_INVALID', `${what}: dims ${formatShape(dims)} claim more elements than any tensor can hold`);
  }
  return n;
}

function fromTypedField(t: TensorProtoMsg, dtype: DType, count: number, what: string): TypedArrayFor<DType> {
  const [field, values]: [string, readonly unknown[]] =
    dtype === 'float32' ? ['float_data', t.float_data] : dtype === 'int64' ? ['int64_data', t.int64_data] : ['int32_data', t.int32_data];
  if (values.length !== count) {
    fail('MODEL_INVALID', `${what}: ${field} holds ${values.length} values, dims ${formatShape(t.dims.map(int64ToNumber))} need ${count}`);
  }
  switch (dtype) {
    case 'float32':
      return Float32Array.from(t.float_data);
    case 'float16': // int32_data carries the float16 bit patterns
      return Uint16Array.from(t.int32_data);
    case 'int32':
      return Int32Array.from(t.int32_data);
    case 'uint8':
      return Uint8Array.from(t.int32_data);
    case 'bool':
      return Uint8Array.from(t.int32_data, (v) => (v ? 1 : 0));
    case 'int64':
      return BigInt64Array.from(t.int64_data, int64ToBigInt);
  }
}

/**
 * Converts a decoded TensorProto into a Tensor. `what` names the tensor in errors. Raw and external data
 * are viewed in place when aligned (the tensor then shares memory with the bytes it was decoded from).
 */
export function tensorFromProto(t: TensorProtoMsg, what: string, readExternal?: ExternalDataReader): Tensor {
  const dtype = dtypeFromOnnx(t.data_type);
  if (dtype === undefined) {
    fail('UNSUPPORTED_DTYPE', `${what} has element type ${onnxTypeName(t.data_type)}, which joule does not hold`);
  }
  if (t.segment !== null && t.segment !== undefined) fail('MODEL_INVALID', `${what} is stored in segments, which joule does not read`);
  const dims = t.dims.map((d, i) => int64ToSize(d, `${what}: dimension ${i}`));
  const count = elementCount(dims, what);
  const external = externalDataOf(t);
  let data: TypedArrayFor<DType>;
  if (external !== undefined || (hasField(t, 'raw_data') && t.raw_data.byteLength > 0)) {
    const bytes = external !== undefined ? externalBytes(t, external, what, readExternal) : t.raw_data;
    const need = count * dtypes[dtype].bytes;
    if (bytes.byteLength !== need) {
      fail('MODEL_INVALID', `${what}: ${bytes.byteLength} bytes of ${dtype} data, dims ${formatShape(dims)} need ${need}`);
    }
    data = dtypes[dtype].view(asPlainBytes(bytes));
  } else {
    data = fromTypedField(t, dtype, count, what);
  }
  return new Tensor(dtype, data, dims);
}

/** A TensorProto (as a plain object for protobufjs) holding the tensor as raw little-endian bytes. */
export function tensorToProto(name: string, t: Tensor): Partial<TensorProtoMsg> {
  const d = t.data;
  return {
    name,
    dims: t.shape.map((n) => int64ToWire(n)),
    data_type: dtypes[t.dtype].onnx,
    raw_data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength),
  };
}
