import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { JouleError } from '../../src/core/errors.js';
import { parseNetText } from '../../src/formats/caffe/decode.js';
import { caffeTypes } from '../../src/formats/caffe/schema.js';
import { parseTextFormat } from '../../src/formats/caffe/text-format.js';
import { zoo } from '../../src/zoo/index.js';
import { caffeNetPrototxt, googLeNetFinalPool, googLeNetPrototxt } from './caffe-fixtures.js';

const { root } = protobuf.parse(
  `syntax = "proto2";
  message All {
    enum Color { RED = 0; GREEN = 1; BLUE = -2; }
    optional int32 i32 = 1;
    optional uint32 u32 = 2;
    optional int64 i64 = 3;
    optional uint64 u64 = 4;
    optional sint32 s32 = 5;
    optional float f = 6;
    optional double d = 7;
    optional bool b = 8;
    optional string s = 9;
    optional bytes raw = 10;
    optional Color color = 11;
    repeated float fs = 12;
    repeated Color colors = 13;
    optional All child = 14;
    repeated All children = 15;
    repeated string names = 16;
  }`,
  { keepCase: true },
);
root.resolveAll();
const All = root.lookupType('All');

const parse = (text: string): Record<string, unknown> =>
  All.toObject(parseTextFormat(text, All, 'test.txt'), { longs: String, enums: String, bytes: Array }) as Record<string, unknown>;

function parseError(text: string, type: protobuf.Type = All): JouleError {
  try {
    parseTextFormat(text, type, 'test.txt');
  } catch (e) {
    if (e instanceof JouleError) return e;
    throw e;
  }
  throw new Error('expected a JouleError');
}

describe('protobuf text format', () => {
  it('reads every scalar type, enums by name or number, and numbers in all their forms', () => {
    expect(parse('i32: -42 u32: 0x10 i64: -9007199254740993 u64: 18446744073709551615 s32: 010')).toMatchObject({
      i32: -42,
      u32: 16,
      i64: '-9007199254740993',
      u64: '18446744073709551615',
      s32: 8,
    });
    const floats = parse('fs: 1e-4 fs: .5 fs: 2. fs: 1.5f fs: -inf fs: Infinity fs: nan fs: 7 fs: - 3');
    expect(floats.fs).toEqual([Math.fround(1e-4), 0.5, 2, 1.5, -Infinity, Infinity, NaN, 7, -3]);
    expect(parse('d: 0.1 f: 0.1')).toMatchObject({ d: 0.1, f: Math.fround(0.1) });
    expect(parse('b: t').b).toBe(true);
    expect(parse('b: False').b).toBe(false);
    expect(parse('b: 1').b).toBe(true);
    expect(parse('color: BLUE colors: 1 colors: RED colors: -2').color).toBe('BLUE');
    expect(parse('colors: [GREEN, 0]').colors).toEqual(['GREEN', 'RED']);
  });

  it('reads strings with C escapes, both quotes, and adjacent literals joined', () => {
    expect(parse(String.raw`s: "tab\there \"q\" \'s\' \\ \101\x42\u00e9" 'and' " more"`).s).toBe('tab\there "q" \'s\' \\ ABéand more');
    expect(parse(String.raw`raw: "\000\377\x7f"`).raw).toEqual([0, 255, 127]);
    expect(parse('s: "日本"').s).toBe('日本');
  });

  it('reads nested messages in {} or <>, with or without a colon, repeated entries and [lists], separators and comments', () => {
    const text = `
      # a comment
      child { i32: 1; child < i32: 2, > }  # trailing comment
      children: { names: "a" names: ["b", "c"] }
      children [{ i32: 3 }, < i32: 4 >]
      fs: [] fs: [1, 2]`;
    expect(parse(text)).toEqual({
      child: { i32: 1, child: { i32: 2 } },
      children: [{ names: ['a', 'b', 'c'] }, { i32: 3 }, { i32: 4 }],
      fs: [1, 2],
    });
  });

  it('gives what the binary decoder gives for the same content (floats rounded to float32, presence kept)', () => {
    const size = 64;
    const text = googLeNetPrototxt(size, googLeNetFinalPool(zoo.googlenet.build({ inputSize: size })));
    const { NetParameter } = caffeTypes();
    const fromText = parseNetText(text, 'deploy.prototxt') as unknown as protobuf.Message;
    const fromBinary = NetParameter.decode(NetParameter.encode(fromText).finish());
    expect(NetParameter.toObject(fromText)).toEqual(NetParameter.toObject(fromBinary));
    const conv = (fromText as unknown as { layer: { convolution_param: Record<string, unknown> | null }[] }).layer[1].convolution_param!;
    const present = Object.keys(conv).filter((k) => !Array.isArray(conv[k]) || conv[k].length > 0);
    expect(present.sort()).toEqual(['bias_filler', 'kernel_size', 'num_output', 'pad', 'stride', 'weight_filler']);
  });

  it('skips the contents of messages joule never reads (data layers, transforms) but keeps their presence', () => {
    const text = `${caffeNetPrototxt('caffenet', 67)}
      layer { name: "extra" type: "Data" top: "x"
        transform_param { mirror: true crop_size: 227 mean_file: "m.binaryproto" resize_param { prob: 1 } }
        data_param { source: "lmdb" batch_size: 256 backend: LMDB } }`;
    const net = parseNetText(text, 'train_val.prototxt');
    const extra = net.layer[net.layer.length - 1];
    expect(extra.transform_param).toBeTruthy();
    expect(extra.data_param).toBeTruthy();
  });

  it('names the file, line and column of every error', () => {
    const deploy = [
      'name: "net"',
      'layer {',
      '  name: "conv1"',
      '  type: "Convolution"',
      '  bottom: "data"',
      '  top: "conv1"',
      '  convolution_param {',
      '    num_output: 96',
      '    stride: 4',
      '    # the typo below',
      '',
      '    kernal_size: 11',
      '  }',
      '}',
    ].join('\n');
    let e: JouleError | undefined;
    try {
      parseNetText(deploy, 'deploy.prototxt');
    } catch (err) {
      e = err as JouleError;
    }
    expect(e).toBeInstanceOf(JouleError);
    expect(e!.code).toBe('MODEL_DECODE');
    expect(e!.message).toBe('deploy.prototxt:12:5: unknown field "kernal_size" in ConvolutionParameter');

    const cases: [string, string][] = [
      ['i32 5', 'test.txt:1:5: expected \':\' after "i32", got \'5\''],
      ['\n  color: PURPLE', 'test.txt:2:10: \'PURPLE\' is not a value of Color ("color" takes RED, GREEN, BLUE)'],
      ['s: "open', 'test.txt:1:4: string is not closed on its line'],
      ['child {\n  i32: 1\n', "test.txt:3:1: unexpected end of file: '}' expected to close the All opened at 1:7"],
      ['i32: 1 i32: 2', 'test.txt:1:8: field "i32" of All is not repeated but is set twice'],
      ['u32: -1', 'test.txt:1:7: -1 is out of range for "u32" (uint32)'],
      ['i32: 2147483648', 'test.txt:1:6: 2147483648 is out of range for "i32" (int32)'],
      ['i32: 1.5', 'test.txt:1:6: expected an integer for "i32" (int32), got \'1.5\''],
      ['i32: 09', "test.txt:1:6: malformed octal integer '09'"],
      ['f: x', 'test.txt:1:4: expected a number for "f", got \'x\''],
      ['b: yes', 'test.txt:1:4: expected true or false for "b", got \'yes\''],
      ['s: 5', 'test.txt:1:4: expected a quoted string for "s", got \'5\''],
      ['i32: [1, 2]', 'test.txt:1:6: field "i32" of All is not repeated; it takes no [list]'],
      ['fs: [1 2]', 'test.txt:1:8: expected \',\' or \']\' in the list of "fs", got \'2\''],
      ['child: 5', 'test.txt:1:8: expected \'{\' to open "child", got \'5\''],
      ['i32: 1 @', 'test.txt:1:8: unexpected character "@"'],
      ['s: "\\q"', "test.txt:1:5: unknown escape '\\q'"],
      ['}', "test.txt:1:1: expected a field name of All, got '}'"],
      ['i32: 12abc', "test.txt:1:6: malformed number '12a'"],
    ];
    for (const [text, message] of cases) {
      const err = parseError(text);
      expect(err.code, text).toBe('MODEL_DECODE');
      expect(err.message, text).toBe(message);
    }
  });

  it('refuses nesting deep enough to exhaust the stack', () => {
    expect(parseError('child { '.repeat(100000)).message).toContain('messages nest more than 64 deep');
    expect(parse('child { '.repeat(60) + '}'.repeat(60))).toBeTruthy();
  });
});
