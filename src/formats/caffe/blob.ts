import protobuf from 'protobufjs';
import { dtypes } from '../../core/dtype.js';
import { JouleError, fail } from '../../core/errors.js';
import { formatShape } from '../../core/shape.js';
import { asPlainBytes, int64ToNumber } from '../onnx/tensor-proto.js';
import type { Int64 } from '../onnx/schema.js';
import { type BlobShapeMsg, caffeTypes, hasField } from './schema.js';

/** A Caffe blob (BlobProto): its shape as the file gives it and its values. */
export interface Blob {
  readonly shape: readonly number[];
  /** Whether the shape came from the deprecated num/channels/height/width fields (always 4D). */
  readonly legacy: boolean;
  readonly data: Float32Array;
}

/** The fields of a BlobProto message (as the text parser gives it) that joule reads. */
export interface BlobProtoMsg {
  shape: BlobShapeMsg | null;
  data: number[];
  double_data: number[];
  num: number;
  channels: number;
  height: number;
  width: number;
}

const legacyFields = ['num', 'channels', 'height', 'width'] as const;

/** Dimensions of a BlobShape, each a non-negative safe integer. */
export function shapeDims(shape: BlobShapeMsg, what: string): number[] {
  return shape.dim.map((d: Int64, i) => {
    const n = int64ToNumber(d);
    if (!Number.isSafeInteger(n) || n < 0) fail('MODEL_INVALID', `${what}: dimension ${i} is ${n}, not a valid size`);
    return n;
  });
}

/** Checks the element count against the shape (Caffe's rule: legacy dims win when any is set). */
function makeBlob(shape: number[], legacy: boolean, data: Float32Array, what: string): Blob {
  let count = 1;
  for (const d of shape) count *= d;
  if (count !== data.length) {
    fail('MODEL_INVALID', `${what} has shape ${formatShape(shape)} (${count} values) but holds ${data.length} values`);
  }
  return { shape, legacy, data };
}

/** A blob given as a message, as blobs written into a prototxt are. */
export function blobFromMessage(msg: BlobProtoMsg, what: string): Blob {
  const legacy = legacyFields.some((f) => hasField(msg, f));
  const shape = legacy ? legacyFields.map((f) => msg[f]) : msg.shape === null ? [] : shapeDims(msg.shape, what);
  if (shape.some((d) => d < 0)) fail('MODEL_INVALID', `${what} has a negative dimension in ${formatShape(shape)}`);
  const data = msg.double_data.length > 0 ? Float32Array.from(msg.double_data) : Float32Array.from(msg.data);
  return makeBlob(shape, legacy, data, what);
}

/**
 * Decodes an encoded BlobProto (a weights blob, a .binaryproto mean file). Weights are nearly all of a
 * .caffemodel's bytes, so packed `data` is viewed or copied straight into a Float32Array instead of going
 * through protobufjs's per-element decoding into a JavaScript array.
 */
export function decodeBlob(bytes: Uint8Array, what: string): Blob {
  const input = typeof Buffer === 'undefined' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const floats: (Uint8Array | number)[] = [];
  const doubles: (Uint8Array | number)[] = [];
  const legacy = [0, 0, 0, 0];
  let legacySeen = false;
  let shape: number[] | undefined;
  try {
    const r = protobuf.Reader.create(input);
    while (r.pos < r.len) {
      const tag = r.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      const expect = (wanted: number): void => {
        if (wire !== wanted) fail('MODEL_DECODE', `${what}: BlobProto field ${field} has wire type ${wire}, expected ${wanted}`);
      };
      if (field >= 1 && field <= 4) {
        expect(0);
        legacy[field - 1] = r.int32();
        legacySeen = true;
      } else if (field === 5) {
        if (wire !== 5) expect(2);
        floats.push(wire === 5 ? r.float() : r.bytes());
      } else if (field === 8) {
        if (wire !== 1) expect(2);
        doubles.push(wire === 1 ? r.double() : r.bytes());
      } else if (field === 7) {
        expect(2);
        shape = shapeDims(caffeTypes().BlobShape.decode(r.bytes()) as unknown as BlobShapeMsg, what);
      } else {
        r.skipType(wire);
      }
    }
  } catch (e) {
    if (e instanceof JouleError) throw e;
    throw new JouleError('MODEL_DECODE', `${what} is not a valid BlobProto: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (legacy.some((d) => d < 0)) fail('MODEL_INVALID', `${what} has a negative dimension in ${formatShape(legacy)}`);
  const data = doubles.length > 0 ? gather(doubles, 8, what) : gather(floats, 4, what);
  return makeBlob(legacySeen ? legacy : (shape ?? []), legacySeen, data, what);
}

/** Joins packed runs (bytes) and single values of a float or double field into one Float32Array. */
function gather(parts: readonly (Uint8Array | number)[], size: 4 | 8, what: string): Float32Array {
  for (const p of parts) {
    if (typeof p !== 'number' && p.byteLength % size !== 0) {
      fail('MODEL_DECODE', `${what}: packed ${size === 4 ? 'float' : 'double'} data of ${p.byteLength} bytes is not a whole number of values`);
    }
  }
  if (size === 4 && parts.length === 1 && typeof parts[0] !== 'number') return dtypes.float32.view(asPlainBytes(parts[0]));
  const count = parts.reduce((n: number, p) => n + (typeof p === 'number' ? 1 : p.byteLength / size), 0);
  const out = new Float32Array(count);
  let at = 0;
  for (const p of parts) {
    if (typeof p === 'number') {
      out[at++] = p;
      continue;
    }
    const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
    for (let i = 0; i < p.byteLength; i += size) out[at++] = size === 4 ? view.getFloat32(i, true) : view.getFloat64(i, true);
  }
  return out;
}
