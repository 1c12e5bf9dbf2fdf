// The KServe v2 (Open Inference Protocol) REST tensors: JSON, and the binary-data extension in which a
// JSON header is followed by raw little-endian tensor bytes.

import { type DType, dtypes } from '../core/dtype.js';
import { float32ArrayToFloat16 } from '../core/float16.js';
import { shapeSize } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import type { ValueInfo } from '../ir/graph.js';

/** A request the server cannot take, with the HTTP status to answer. */
export class RequestError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

const bad = (message: string): RequestError => new RequestError(400, 'BAD_TENSOR', message);

const datatypes: Readonly<Record<string, DType>> = { FP32: 'float32', FP16: 'float16', INT64: 'int64', INT32: 'int32', UINT8: 'uint8', BOOL: 'bool' };
const datatypeOf: Readonly<Record<DType, string>> = { float32: 'FP32', float16: 'FP16', int64: 'INT64', int32: 'INT32', uint8: 'UINT8', bool: 'BOOL' };

export const kserveDatatype = (dtype: DType): string => datatypeOf[dtype];

/** The shape KServe metadata gives: symbolic dimensions are -1. */
export const kserveShape = (v: ValueInfo): number[] => (v.shape ?? []).map((d) => (typeof d === 'number' ? d : -1));

export interface InferRequest {
  readonly id?: string;
  readonly feeds: Record<string, Tensor>;
  /** Requested outputs (all when absent), with whether each is answered as binary data. */
  readonly outputs?: readonly { readonly name: string; readonly binary: boolean }[];
  /** Every output binary unless it says otherwise (the request's `binary_data_output` parameter). */
  readonly binaryDefault: boolean;
}

interface JsonInput {
  name?: unknown;
  shape?: unknown;
  datatype?: unknown;
  data?: unknown;
  parameters?: { binary_data_size?: unknown };
}

interface JsonRequest {
  id?: unknown;
  inputs?: unknown;
  outputs?: unknown;
  parameters?: { binary_data_output?: unknown };
}

/**
 * Parses an infer request body: JSON, or (when `headerLength` is given, from the
 * Inference-Header-Content-Length header) a JSON header followed by the binary tensors it declares.
 * Names, dtypes, ranks and fixed dimensions are checked against the model's inputs.
 */
export function parseInferRequest(body: Uint8Array, headerLength: number | undefined, inputs: readonly ValueInfo[]): InferRequest {
  const jsonBytes = headerLength === undefined ? body : body.subarray(0, headerLength);
  if (headerLength !== undefined && (!Number.isInteger(headerLength) || headerLength < 0 || headerLength > body.byteLength)) {
    throw bad(`Inference-Header-Content-Length ${headerLength} does not fit the ${body.byteLength}-byte body`);
  }
  let json: JsonRequest;
  try {
    json = JSON.parse(new TextDecoder().decode(jsonBytes)) as JsonRequest;
  } catch (e) {
    throw bad(`the request is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || !Array.isArray(json.inputs)) throw bad("the request needs an 'inputs' array");
  let binaryAt = headerLength ?? body.byteLength;
  const feeds: Record<string, Tensor> = {};
  for (const raw of json.inputs as JsonInput[]) {
    if (typeof raw !== 'object' || raw === null || typeof raw.name !== 'string') throw bad("every input needs a 'name'");
    const info = inputs.find((v) => v.name === raw.name);
    if (info === undefined) throw bad(`unknown input '${raw.name}'; the model's inputs are ${inputs.map((v) => `'${v.name}'`).join(', ')}`);
    if (feeds[raw.name] !== undefined) throw bad(`input '${raw.name}' is given twice`);
    const dtype = datatypes[String(raw.datatype)];
    if (dtype === undefined) throw bad(`input '${raw.name}': datatype ${JSON.stringify(raw.datatype)} is not one of ${Object.keys(datatypes).join(', ')}`);
    if (dtype !== info.dtype) throw bad(`input '${raw.name}' is ${datatypeOf[info.dtype]}, the request gives ${String(raw.datatype)}`);
    const shape = raw.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`input '${raw.name}': shape must be an array of non-negative integers`);
    checkShape(info, shape as number[]);
    const size = shapeSize(shape as number[]);
    const binarySize = raw.parameters?.binary_data_size;
    if (binarySize !== undefined) {
      if (headerLength === undefined) throw bad(`input '${raw.name}' has binary_data_size but the request has no Inference-Header-Content-Length header`);
      if (!Number.isInteger(binarySize) || (binarySize as number) < 0) throw bad(`input '${raw.name}': binary_data_size must be a non-negative integer`);
      const n = binarySize as number;
      if (binaryAt + n > body.byteLength) throw bad(`input '${raw.name}' declares ${n} binary bytes; the body holds ${body.byteLength - binaryAt} more`);
      if (n !== size * dtypes[dtype].bytes) throw bad(`input '${raw.name}' of shape [${shape.join(', ')}] needs ${size * dtypes[dtype].bytes} bytes of ${raw.datatype}, got ${n}`);
      const bytes = body.slice(binaryAt, binaryAt + n);
      binaryAt += n;
      feeds[raw.name] = new Tensor(dtype, dtypes[dtype].view(bytes) as Float32Array, shape as number[]);
      continue;
    }
    const values = flatten(raw.data, raw.name);
    if (values.length !== size) throw bad(`input '${raw.name}' of shape [${shape.join(', ')}] needs ${size} values, got ${values.length}`);
    feeds[raw.name] = tensorFromNumbers(dtype, values, shape as number[]);
  }
  for (const v of inputs) if (feeds[v.name] === undefined) throw bad(`missing input '${v.name}'`);
  if (binaryAt !== body.byteLength && headerLength !== undefined) throw bad(`${body.byteLength - binaryAt} bytes after the declared tensors`);
  const binaryDefault = json.parameters?.binary_data_output === true;
  let outputs: { name: string; binary: boolean }[] | undefined;
  if (json.outputs !== undefined) {
    if (!Array.isArray(json.outputs)) throw bad("'outputs' must be an array");
    outputs = (json.outputs as { name?: unknown; parameters?: { binary_data?: unknown } }[]).map((o) => {
      if (typeof o?.name !== 'string') throw bad("every requested output needs a 'name'");
      return { name: o.name, binary: typeof o.parameters?.binary_data === 'boolean' ? o.parameters.binary_data : binaryDefault };
    });
  }
  return { id: typeof json.id === 'string' ? json.id : undefined, feeds, outputs, binaryDefault };
}

function checkShape(info: ValueInfo, shape: readonly number[]): void {
  if (info.shape === undefined) return;
  const expected = `[${kserveShape(info).join(', ')}]`;
  if (shape.length !== info.shape.length) throw bad(`input '${info.name}' has shape ${expected}; the request gives rank ${shape.length} [${shape.join(', ')}]`);
  info.shape.forEach((d, i) => {
    if (typeof d === 'number' && d !== shape[i]) throw bad(`input '${info.name}' has shape ${expected}; the request gives [${shape.join(', ')}]`);
  });
}

/** Row-major values of nested or flat JSON arrays. */
function flatten(data: unknown, name: string): number[] {
  if (!Array.isArray(data)) throw bad(`input '${name}' needs 'data' (an array) or binary data`);
  const out: number[] = [];
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) for (const y of x) visit(y);
    else if (typeof x === 'number') out.push(x);
    else if (typeof x === 'boolean') out.push(x ? 1 : 0);
    else throw bad(`input '${name}': data holds ${JSON.stringify(x)}, which is not a number`);
  };
  visit(data);
  return out;
}

function tensorFromNumbers(dtype: DType, values: number[], shape: number[]): Tensor {
  if (dtype === 'float16') return new Tensor('float16', float32ArrayToFloat16(Float32Array.from(values)), shape);
  if (!dtypes[dtype].isFloat && !values.every(Number.isInteger)) throw bad(`integer input holds values that are not integers`);
  return Tensor.from(dtype, values, shape);
}

export interface EncodedResponse {
  readonly body: Uint8Array | string;
  /** Set when the body is a JSON header followed by binary tensors. */
  readonly headerLength?: number;
}

/** The infer response: JSON, or JSON header + binary tensors where any output asks for binary data. */
export function encodeInferResponse(modelName: string, request: InferRequest, outputs: Readonly<Record<string, Tensor>>): EncodedResponse {
  const chosen = request.outputs ?? Object.keys(outputs).map((name) => ({ name, binary: request.binaryDefault }));
  const blobs: Uint8Array[] = [];
  const described = chosen.map(({ name, binary }) => {
    const t = outputs[name];
    if (t === undefined) throw bad(`unknown output '${name}'; the model's outputs are ${Object.keys(outputs).map((n) => `'${n}'`).join(', ')}`);
    const head = { name, datatype: datatypeOf[t.dtype], shape: t.shape };
    if (!binary) return { ...head, data: t.toNumbers() };
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    blobs.push(bytes);
    return { ...head, parameters: { binary_data_size: bytes.byteLength } };
  });
  const json = JSON.stringify({ model_name: modelName, model_version: '1', ...(request.id !== undefined ? { id: request.id } : {}), outputs: described });
  if (blobs.length === 0) return { body: json };
  const header = new TextEncoder().encode(json);
  const body = new Uint8Array(header.byteLength + blobs.reduce((n, b) => n + b.byteLength, 0));
  body.set(header, 0);
  let at = header.byteLength;
  for (const b of blobs) {
    body.set(b, at);
    at += b.byteLength;
  }
  return { body, headerLength: header.byteLength };
}
