import { type DType, type TypedArrayFor, dtypes } from '../core/dtype.js';
import { fail } from '../core/errors.js';
import { formatShape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';

// The .npy format (NumPy's format.py): the magic "\x93NUMPY", a major and minor version byte, the header
// length (2 bytes in v1.0, 4 in v2.0 and v3.0), then a Python dict literal with 'descr', 'fortran_order'
// and 'shape', padded with spaces and a final '\n' so that the data starts at a multiple of 64 bytes.

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
/** NumPy leaves room in the header for the growing axis to reach this many digits. */
const GROWTH_AXIS_MAX_DIGITS = 21;

/** The .npy descr strings joule reads, by the dtype they give; '<f8' is read and converted to float32. */
const readable: Readonly<Record<string, { dtype: DType; float64?: true }>> = {
  '<f4': { dtype: 'float32' },
  '<f2': { dtype: 'float16' },
  '<i8': { dtype: 'int64' },
  '<i4': { dtype: 'int32' },
  '|u1': { dtype: 'uint8' },
  '<u1': { dtype: 'uint8' },
  '|b1': { dtype: 'bool' },
  '<b1': { dtype: 'bool' },
  '<f8': { dtype: 'float32', float64: true },
};

type PyValue = string | boolean | number | null | number[];

/** Parses the header's Python dict literal: string keys; string, bool, None, int or int-tuple values. */
function parseHeader(text: string): Map<string, PyValue> {
  const token = /\s*(?:'([^'\\]*)'|"([^"\\]*)"|(-?\d+)L?|(True|False|None)|([{}(),:]))/y;
  const tokens: (string | number | boolean | null | { punct: string })[] = [];
  token.lastIndex = 0;
  while (token.lastIndex < text.length && text.slice(token.lastIndex).trim() !== '') {
    const at = token.lastIndex;
    const m = token.exec(text);
    if (m === null) fail('NPY', `cannot parse the header at '${text.slice(at, at + 20)}'`);
    if (m[1] !== undefined || m[2] !== undefined) tokens.push(m[1] ?? m[2]);
    else if (m[3] !== undefined) tokens.push(Number(m[3]));
    else if (m[4] !== undefined) tokens.push(m[4] === 'None' ? null : m[4] === 'True');
    else tokens.push({ punct: m[5] });
  }
  let i = 0;
  const isPunct = (p: string): boolean => {
    const t = tokens[i];
    return typeof t === 'object' && t !== null && t.punct === p;
  };
  const expect = (p: string): void => {
    if (!isPunct(p)) fail('NPY', `malformed header: expected '${p}' in ${JSON.stringify(text.trim())}`);
    i++;
  };
  const value = (): PyValue => {
    if (isPunct('(')) {
      i++;
      const items: number[] = [];
      while (!isPunct(')')) {
        const t = tokens[i++];
        if (typeof t !== 'number') fail('NPY', `malformed header: the shape must be a tuple of integers in ${JSON.stringify(text.trim())}`);
        items.push(t);
        if (!isPunct(')')) expect(',');
      }
      i++;
      return items;
    }
    const t = tokens[i++];
    if (t === undefined || (typeof t === 'object' && t !== null)) fail('NPY', `malformed header: ${JSON.stringify(text.trim())}`);
    return t;
  };
  const dict = new Map<string, PyValue>();
  expect('{');
  while (!isPunct('}')) {
    const key = tokens[i++];
    if (typeof key !== 'string') fail('NPY', `malformed header: dict keys must be strings in ${JSON.stringify(text.trim())}`);
    expect(':');
    dict.set(key, value());
    if (!isPunct('}')) expect(',');
  }
  i++;
  if (i !== tokens.length) fail('NPY', `malformed header: text after the dict in ${JSON.stringify(text.trim())}`);
  return dict;
}

/**
 * Reads a .npy file (format versions 1.0, 2.0 and 3.0) with dtype '<f4', '<f2', '<i8', '<i4', '|u1' or
 * '|b1'; '<f8' is also read, converted to float32. Fortran-order and big-endian arrays are rejected.
 * The tensor may share memory with `bytes`.
 */
export function readNpy(bytes: Uint8Array): Tensor {
  if (bytes.byteLength < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('NPY', 'not a .npy file: bad magic (expected \\x93NUMPY)');
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3) fail('NPY', `unsupported .npy format version ${major}.${minor}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefix = major === 1 ? 10 : 12;
  if (bytes.byteLength < prefix) fail('NPY', 'the file ends inside the header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = prefix + headerLength;
  if (dataStart > bytes.byteLength) fail('NPY', `the header claims ${headerLength} bytes but the file has only ${bytes.byteLength}`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(prefix, dataStart));
  const header = parseHeader(text);

  const descr = header.get('descr');
  if (typeof descr !== 'string') fail('NPY', `the header has no dtype descr: ${JSON.stringify(text.trim())}`);
  if (descr.startsWith('>') && !descr.endsWith('1')) fail('NPY', `big-endian data ('${descr}') is not supported; save it little-endian`);
  const kind = Object.prototype.hasOwnProperty.call(readable, descr) ? readable[descr] : undefined;
  if (kind === undefined) fail('NPY', `unsupported dtype descr '${descr}' (joule reads ${Object.keys(readable).join(', ')})`);
  const fortran = header.get('fortran_order');
  if (fortran !== false && fortran !== true) fail('NPY', `the header has no fortran_order flag: ${JSON.stringify(text.trim())}`);
  const shape = header.get('shape');
  if (!Array.isArray(shape)) fail('NPY', `the header has no shape tuple: ${JSON.stringify(text.trim())}`);
  if (fortran && shape.filter((d) => d > 1).length > 1) fail('NPY', 'Fortran-order arrays are not supported; save the array in C order');

  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) fail('NPY', `shape ${formatShape(shape)} has an invalid dimension ${d}`);
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) fail('NPY', `shape ${formatShape(shape)} is too large`);
  }
  const itemSize = kind.float64 ? 8 : dtypes[kind.dtype].bytes;
  // A plain Uint8Array view: a Node Buffer's slice() shares memory, which would defeat the copy of misaligned data.
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset + dataStart, bytes.byteLength - dataStart);
  if (data.byteLength !== count * itemSize) {
    fail('NPY', `data length mismatch: shape ${formatShape(shape)} of '${descr}' needs ${count * itemSize} bytes, the file holds ${data.byteLength}`);
  }
  if (kind.float64) {
    const f64 = data.byteOffset % 8 === 0 ? new Float64Array(data.buffer, data.byteOffset, count) : new Float64Array(data.slice().buffer, 0, count);
    return new Tensor('float32', Float32Array.from(f64), shape);
  }
  return new Tensor(kind.dtype, dtypes[kind.dtype].view(data) as TypedArrayFor<DType>, shape);
}

function shapeRepr(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** Writes a tensor as a .npy file (version 1.0, C order, little-endian), byte for byte as NumPy's np.save does. */
export function writeNpy(t: Tensor): Uint8Array {
  let dict = `{'descr': '${dtypes[t.dtype].npy}', 'fortran_order': False, 'shape': ${shapeRepr(t.shape)}, }`;
  if (t.rank > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(t.shape[0]).length));
  // Version 1.0 unless the header outgrows its 2-byte length, as NumPy does.
  let prefix = 10;
  let padded = dict.length + 1 + ALIGN - ((prefix + dict.length + 1) % ALIGN);
  if (padded > 0xffff) {
    prefix = 12;
    padded = dict.length + 1 + ALIGN - ((prefix + dict.length + 1) % ALIGN);
  }
  const data = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Uint8Array(prefix + padded + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = prefix === 10 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (prefix === 10) view.setUint16(8, padded, true);
  else view.setUint32(8, padded, true);
  const header = out.subarray(prefix, prefix + padded);
  header.fill(0x20);
  for (let i = 0; i < dict.length; i++) header[i] = dict.charCodeAt(i);
  header[padded - 1] = 0x0a;
  out.set(data, prefix + padded);
  return out;
}
