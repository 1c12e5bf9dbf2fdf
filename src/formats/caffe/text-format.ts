import protobuf from 'protobufjs';
import { JouleError } from '../../core/errors.js';

// Protocol Buffers text format (what a .prototxt holds), parsed against protobufjs's reflection of a
// schema: field names give types, enums are written by name, messages nest in {} or <> with an optional
// ':' before them, repeated fields repeat or take [a, b] lists, strings have C escapes, '#' starts a
// comment. The result is the message protobufjs's binary decoder would give for the same content.

type TokenKind = 'ident' | 'number' | 'string' | 'symbol' | 'eof';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly line: number;
  readonly col: number;
  /** The bytes a string token stands for, escapes resolved. */
  readonly bytes?: readonly number[];
}

/** Nested messages deeper than this are refused (no schema joule reads nests nearly as deep). */
const MAX_DEPTH = 64;

const numberPattern = /0[xX][0-9a-fA-F]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fF]?/y;
const identPattern = /[A-Za-z_][A-Za-z0-9_]*/y;
const symbols = '{}<>[]:,;-';
const simpleEscapes: Readonly<Record<string, number>> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63 };
const utf8 = new TextEncoder();

class Tokenizer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private ahead: Token | undefined;

  constructor(
    private readonly src: string,
    readonly file: string,
  ) {}

  peek(): Token {
    this.ahead ??= this.scan();
    return this.ahead;
  }

  take(): Token {
    const t = this.peek();
    this.ahead = undefined;
    return t;
  }

  error(at: { line: number; col: number }, message: string): JouleError {
    return new JouleError('MODEL_DECODE', `${this.file}:${at.line}:${at.col}: ${message}`);
  }

  private scan(): Token {
    const src = this.src;
    for (;;) {
      const c = src[this.pos];
      if (c === '\n') {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
        this.pos++;
      } else if (c === '#') {
        while (this.pos < src.length && src[this.pos] !== '\n') this.pos++;
      } else {
        break;
      }
    }
    const line = this.line;
    const col = this.pos - this.lineStart + 1;
    if (this.pos >= src.length) return { kind: 'eof', text: '', line, col };
    const c = src[this.pos];
    const match = (pattern: RegExp): string | undefined => {
      pattern.lastIndex = this.pos;
      return pattern.exec(src)?.[0];
    };
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[this.pos + 1] ?? ''))) {
      const text = match(numberPattern)!;
      this.pos += text.length;
      if (/[A-Za-z0-9_.]/.test(src[this.pos] ?? '')) throw this.error({ line, col }, `malformed number '${text}${src[this.pos]}'`);
      return { kind: 'number', text, line, col };
    }
    if (/[A-Za-z_]/.test(c)) {
      const text = match(identPattern)!;
      this.pos += text.length;
      return { kind: 'ident', text, line, col };
    }
    if (c === '"' || c === "'") return this.scanString(c, line, col);
    if (symbols.includes(c)) {
      this.pos++;
      return { kind: 'symbol', text: c, line, col };
    }
    throw this.error({ line, col }, `unexpected character ${JSON.stringify(String.fromCodePoint(src.codePointAt(this.pos)!))}`);
  }

  private scanString(quote: string, line: number, col: number): Token {
    const src = this.src;
    const start = this.pos++;
    const bytes: number[] = [];
    for (;;) {
      if (this.pos >= src.length || src[this.pos] === '\n') throw this.error({ line, col }, 'string is not closed on its line');
      const c = src[this.pos];
      if (c === quote) {
        this.pos++;
        return { kind: 'string', text: src.slice(start, this.pos), line, col, bytes };
      }
      if (c !== '\\') {
        const cp = src.codePointAt(this.pos)!;
        const ch = String.fromCodePoint(cp);
        bytes.push(...utf8.encode(ch));
        this.pos += ch.length;
        continue;
      }
      const at = { line, col: this.pos - this.lineStart + 1 };
      const e = src[this.pos + 1] ?? '';
      this.pos += 2;
      if (e in simpleEscapes) {
        bytes.push(simpleEscapes[e]);
      } else if (/[0-7]/.test(e)) {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(src[this.pos] ?? '')) digits += src[this.pos++];
        bytes.push(parseInt(digits, 8) & 0xff);
      } else if (e === 'x' || e === 'X') {
        let digits = '';
        while (digits.length < 2 && /[0-9a-fA-F]/.test(src[this.pos] ?? '')) digits += src[this.pos++];
        if (digits === '') throw this.error(at, '\\x escape without hex digits');
        bytes.push(parseInt(digits, 16));
      } else if (e === 'u' || e === 'U') {
        const n = e === 'u' ? 4 : 8;
        const digits = src.slice(this.pos, this.pos + n);
        const cp = /^[0-9a-fA-F]+$/.test(digits) && digits.length === n ? parseInt(digits, 16) : NaN;
        if (!(cp <= 0x10ffff)) throw this.error(at, `\\${e} escape needs ${n} hex digits of a Unicode code point`);
        this.pos += n;
        bytes.push(...utf8.encode(String.fromCodePoint(cp)));
      } else {
        throw this.error(at, `unknown escape '\\${e}'`);
      }
    }
  }
}

const intRanges: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

const describe = (t: Token): string => (t.kind === 'eof' ? 'the end of the file' : `'${t.text}'`);
const own = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

class Parser {
  constructor(private readonly tokens: Tokenizer) {}

  /** The fields of one message up to `close` (or the end of the file at the top level), as a plain object. */
  message(type: protobuf.Type, close: string | undefined, depth: number, opened?: Token): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    for (;;) {
      const t = this.tokens.take();
      if (t.kind === 'eof') {
        if (close === undefined) return obj;
        throw this.tokens.error(t, `unexpected end of file: '${close}' expected to close the ${type.name} opened at ${opened!.line}:${opened!.col}`);
      }
      if (t.kind === 'symbol' && t.text === close) return obj;
      if (t.kind !== 'ident') throw this.tokens.error(t, `expected a field name of ${type.name}, got ${describe(t)}`);
      if (!own(type.fields, t.text)) throw this.tokens.error(t, `unknown field "${t.text}" in ${type.name}`);
      const field = type.fields[t.text];
      this.field(obj, field, t, depth);
      const sep = this.tokens.peek();
      if (sep.kind === 'symbol' && (sep.text === ',' || sep.text === ';')) this.tokens.take();
    }
  }

  private field(obj: Record<string, unknown>, field: protobuf.Field, name: Token, depth: number): void {
    const isMessage = field.resolvedType instanceof protobuf.Type;
    const colon = this.tokens.peek();
    if (colon.kind === 'symbol' && colon.text === ':') this.tokens.take();
    else if (!isMessage) throw this.tokens.error(colon, `expected ':' after "${field.name}", got ${describe(colon)}`);
    const values: unknown[] = [];
    const open = this.tokens.peek();
    if (open.kind === 'symbol' && open.text === '[') {
      this.tokens.take();
      if (!field.repeated) throw this.tokens.error(open, `field "${field.name}" of ${field.parent!.name} is not repeated; it takes no [list]`);
      const first = this.tokens.peek();
      if (first.kind === 'symbol' && first.text === ']') {
        this.tokens.take();
      } else {
        for (;;) {
          values.push(this.value(field, depth));
          const t = this.tokens.take();
          if (t.kind === 'symbol' && t.text === ']') break;
          if (!(t.kind === 'symbol' && t.text === ',')) throw this.tokens.error(t, `expected ',' or ']' in the list of "${field.name}", got ${describe(t)}`);
        }
      }
    } else {
      values.push(this.value(field, depth));
    }
    if (field.repeated) {
      const list = (obj[field.name] ??= []) as unknown[];
      list.push(...values);
    } else {
      if (own(obj, field.name)) throw this.tokens.error(name, `field "${field.name}" of ${field.parent!.name} is not repeated but is set twice`);
      obj[field.name] = values[0];
    }
  }

  private value(field: protobuf.Field, depth: number): unknown {
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Type) return this.nested(rt, field, depth);
    if (rt instanceof protobuf.Enum) return this.enumValue(rt, field);
    switch (field.type) {
      case 'float':
      case 'double':
        return this.floatValue(field);
      case 'bool':
        return this.boolValue(field);
      case 'string':
        return new TextDecoder().decode(Uint8Array.from(this.stringBytes(field)));
      case 'bytes':
        return Uint8Array.from(this.stringBytes(field));
      default:
        if (own(intRanges, field.type)) return this.intValue(field);
        throw new JouleError('INTERNAL', `text format: field type ${field.type} is not handled`);
    }
  }

  private nested(type: protobuf.Type, field: protobuf.Field, depth: number): Record<string, unknown> {
    const open = this.tokens.take();
    const close = open.text === '{' ? '}' : open.text === '<' ? '>' : undefined;
    if (open.kind !== 'symbol' || close === undefined) throw this.tokens.error(open, `expected '{' to open "${field.name}", got ${describe(open)}`);
    if (depth >= MAX_DEPTH) throw this.tokens.error(open, `messages nest more than ${MAX_DEPTH} deep`);
    // A message the schema declares without fields is one joule never reads: its contents are skipped
    // (as the binary decoder skips them as unknown fields), its presence kept.
    if (type.fieldsArray.length === 0) return this.skip(type, open);
    return this.message(type, close, depth + 1, open);
  }

  private skip(type: protobuf.Type, open: Token): Record<string, unknown> {
    for (let level = 1; level > 0; ) {
      const t = this.tokens.take();
      if (t.kind === 'eof') throw this.tokens.error(t, `unexpected end of file: the ${type.name} opened at ${open.line}:${open.col} is not closed`);
      if (t.kind === 'symbol' && (t.text === '{' || t.text === '<')) level++;
      if (t.kind === 'symbol' && (t.text === '}' || t.text === '>')) level--;
    }
    return {};
  }

  /** An optional '-' and the token after it. */
  private signed(): { negative: boolean; t: Token } {
    const first = this.tokens.take();
    if (first.kind === 'symbol' && first.text === '-') return { negative: true, t: this.tokens.take() };
    return { negative: false, t: first };
  }

  private floatValue(field: protobuf.Field): number {
    const { negative, t } = this.signed();
    let v: number;
    if (t.kind === 'number') {
      v = /^0[xX]/.test(t.text) ? parseInt(t.text, 16) : Number(t.text.replace(/[fF]$/, ''));
    } else if (t.kind === 'ident' && /^(inf|infinity)$/i.test(t.text)) {
      v = Infinity;
    } else if (t.kind === 'ident' && /^nan$/i.test(t.text)) {
      v = NaN;
    } else {
      throw this.tokens.error(t, `expected a number for "${field.name}", got ${describe(t)}`);
    }
    if (negative) v = -v;
    return field.type === 'float' ? Math.fround(v) : v;
  }

  private intValue(field: protobuf.Field): number | string {
    const { negative, t } = this.signed();
    if (t.kind !== 'number' || !/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(t.text)) {
      throw this.tokens.error(t, `expected an integer for "${field.name}" (${field.type}), got ${describe(t)}`);
    }
    let digits = t.text;
    if (/^0[0-9]+$/.test(digits)) {
      if (!/^0[0-7]+$/.test(digits)) throw this.tokens.error(t, `malformed octal integer '${t.text}'`);
      digits = `0o${digits.slice(1)}`;
    }
    const v = negative ? -BigInt(digits) : BigInt(digits);
    const [min, max] = intRanges[field.type];
    if (v < min || v > max) throw this.tokens.error(t, `${negative ? '-' : ''}${t.text} is out of range for "${field.name}" (${field.type})`);
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v.toString();
  }

  private boolValue(field: protobuf.Field): boolean {
    const t = this.tokens.take();
    if (t.kind === 'ident' && /^(true|True|t)$/.test(t.text)) return true;
    if (t.kind === 'ident' && /^(false|False|f)$/.test(t.text)) return false;
    if (t.kind === 'number' && (t.text === '0' || t.text === '1')) return t.text === '1';
    throw this.tokens.error(t, `expected true or false for "${field.name}", got ${describe(t)}`);
  }

  private enumValue(e: protobuf.Enum, field: protobuf.Field): number {
    const { negative, t } = this.signed();
    if (t.kind === 'ident' && !negative) {
      if (own(e.values, t.text)) return e.values[t.text];
    } else if (t.kind === 'number' && /^[0-9]+$/.test(t.text)) {
      const v = negative ? -Number(t.text) : Number(t.text);
      if (own(e.valuesById, String(v))) return v;
    }
    throw this.tokens.error(t, `${describe(t)} is not a value of ${e.name} ("${field.name}" takes ${Object.keys(e.values).join(', ')})`);
  }

  /** One or more adjacent string literals, concatenated. */
  private stringBytes(field: protobuf.Field): number[] {
    const t = this.tokens.take();
    if (t.kind !== 'string') throw this.tokens.error(t, `expected a quoted string for "${field.name}", got ${describe(t)}`);
    const bytes = [...t.bytes!];
    while (this.tokens.peek().kind === 'string') bytes.push(...this.tokens.take().bytes!);
    return bytes;
  }
}

/**
 * Parses protobuf text format as a message of `type`. `file` names the source in errors, which are
 * MODEL_DECODE JouleErrors of the form `deploy.prototxt:12:5: unknown field "kernal_size" in ConvolutionParameter`.
 */
export function parseTextFormat(text: string, type: protobuf.Type, file: string): protobuf.Message {
  const parser = new Parser(new Tokenizer(text, file));
  return type.fromObject(parser.message(type, undefined, 0));
}
