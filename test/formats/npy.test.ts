import { describe, expect, it } from 'vitest';
import { JouleError } from '../../src/core/errors.js';
import { Tensor } from '../../src/core/tensor.js';
import { readNpy, writeNpy } from '../../src/formats/npy.js';

// Files written by NumPy 2.4's np.save (and np.lib.format.write_array for versions 2.0 and 3.0).
const numpy = {
  f32_2x3:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA/AAAgwAAAQEAAAAAAAACAPgAAAIA=',
  f16: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPADA/3sAfA==',
  i64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr//////////wAAAAAAAQAA/////////38=',
  i32: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDEpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr5////////fw==',
  u8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAgP8=',
  b1: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAE=',
  scalar:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAGBA',
  empty:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDAsIDQpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=',
  f8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqamZmZmZm5PwAAAAAAAATApVzD8SljPUg=',
  v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8aTQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAAAgAAAA==',
  v3: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICc8aTQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAAAgAAAA==',
  fortran:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAABAQAAAgD8AAIBAAAAAQAAAoEA=',
  bigEndian:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/gAAAQAAAAA==',
  int8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGkxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAg==',
};

/** The file as a plain Uint8Array; `misalign` shifts it to an odd byte offset. */
function file(name: keyof typeof numpy, misalign = false): Uint8Array {
  const b = Buffer.from(numpy[name], 'base64');
  const out = new Uint8Array(b.length + (misalign ? 1 : 0));
  out.set(b, misalign ? 1 : 0);
  return misalign ? out.subarray(1) : out;
}

function npyError(bytes: Uint8Array): JouleError {
  try {
    readNpy(bytes);
  } catch (e) {
    if (e instanceof JouleError) return e;
    throw e;
  }
  throw new Error('readNpy succeeded');
}

const cases: [keyof typeof numpy, Tensor][] = [
  ['f32_2x3', Tensor.from('float32', [1, -2.5, 3, 0, 0.25, -0], [2, 3])],
  ['f16', new Tensor('float16', Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x7c00), [4])],
  ['i64', new Tensor('int64', BigInt64Array.of(-1n, 2n ** 40n, 2n ** 63n - 1n), [3])],
  ['i32', Tensor.from('int32', [-7, 2 ** 31 - 1], [2, 1])],
  ['u8', Tensor.from('uint8', [0, 128, 255], [3])],
  ['b1', Tensor.from('bool', [1, 0, 1], [3])],
  ['scalar', Tensor.scalar('float32', 3.5)],
  ['empty', Tensor.zeros('float32', [0, 4])],
];

describe('writeNpy', () => {
  it('writes the exact header NumPy writes for a small float32 array', () => {
    const bytes = writeNpy(cases[0][1]);
    const header = new TextDecoder('latin1').decode(bytes.subarray(10, 128));
    expect(Array.from(bytes.subarray(0, 10))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
    expect(header).toBe(`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }${' '.repeat(58)}\n`);
    expect(bytes.length).toBe(128 + 24);
  });

  it.each(cases)('writes %s byte for byte as np.save does', (name, tensor) => {
    expect(writeNpy(tensor)).toEqual(file(name));
  });

  it('keeps the data 64-byte aligned for long shapes', () => {
    const t = Tensor.zeros('uint8', [1, 2, 3, 4, 5, 6, 7, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const bytes = writeNpy(t);
    const headerLength = bytes[8] | (bytes[9] << 8);
    expect((10 + headerLength) % 64).toBe(0);
    expect(bytes[10 + headerLength - 1]).toBe(0x0a);
    expect(readNpy(bytes)).toEqual(t);
  });
});

describe('readNpy', () => {
  it.each(cases)('reads NumPy\'s %s, aligned or not', (name, tensor) => {
    expect(readNpy(file(name))).toEqual(tensor);
    expect(readNpy(file(name, true))).toEqual(tensor);
    expect(readNpy(Buffer.from(numpy[name], 'base64'))).toEqual(tensor);
  });

  it.each(cases)('round-trips %s', (_name, tensor) => {
    expect(readNpy(writeNpy(tensor))).toEqual(tensor);
  });

  it('reads format versions 2.0 and 3.0', () => {
    expect(readNpy(file('v2'))).toEqual(Tensor.from('int32', [1, 2]));
    expect(readNpy(file('v3'))).toEqual(Tensor.from('int32', [1, 2]));
  });

  it('reads <f8 converted to float32', () => {
    const t = readNpy(file('f8', true));
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data as Float32Array)).toEqual([Math.fround(0.1), -2.5, Infinity]);
  });

  it('rejects broken and unsupported files with NPY errors naming the problem', () => {
    const good = file('f32_2x3');
    expect(npyError(new Uint8Array(0)).message).toMatch(/bad magic/);
    expect(npyError(Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x58, 1, 0, 0, 0])).message).toMatch(/bad magic/);
    const v9 = good.slice();
    v9[6] = 9;
    expect(npyError(v9).message).toMatch(/version 9\.0/);
    expect(npyError(good.subarray(0, 100)).message).toMatch(/header claims/);
    expect(npyError(good.subarray(0, good.length - 1)).message).toMatch(/data length mismatch.*needs 24 bytes, the file holds 23/);
    expect(npyError(Uint8Array.from([...good, 0])).message).toMatch(/data length mismatch/);
    expect(npyError(file('bigEndian')).message).toMatch(/big-endian/);
    expect(npyError(file('int8')).message).toMatch(/unsupported dtype descr '\|i1'/);
    expect(npyError(file('fortran')).message).toMatch(/Fortran/);
    const garbled = good.slice();
    garbled.set(new TextEncoder().encode('[broken'), 10);
    expect(npyError(garbled).code).toBe('NPY');
    const negative = good.slice();
    negative.set(new TextEncoder().encode('(-2, 3)'), 10 + "{'descr': '<f4', 'fortran_order': False, 'shape': ".length);
    expect(npyError(negative).message).toMatch(/invalid dimension -2/);
    const withShape = (shape: string) => {
      const bytes = writeNpy(Tensor.zeros('float32', [1, 1]));
      bytes.set(new TextEncoder().encode(`${shape}, }`), 10 + "{'descr': '<f4', 'fortran_order': False, 'shape': ".length);
      return bytes;
    };
    expect(readNpy(withShape('(1, 1)')).shape).toEqual([1, 1]);
    expect(npyError(withShape('(99999999999, 99999999999)')).message).toMatch(/too large/);
    expect(npyError(withShape('(1000000, 1000000)')).message).toMatch(/needs 4000000000000 bytes, the file holds 4/);
  });
});
