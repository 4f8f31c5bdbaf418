// A scanner for JSON exactly as Go's encoding/json accepts it, failing with Go's words, line:column and a hint.
import { ConfigError } from '../errors';

/** One top-level member of the object, as offsets into the text (for format-keeping edits). */
export interface MemberLayout {
  key: string;
  /** Offset of the key's opening quote. */
  start: number;
  /** Offset just after the key's closing quote. */
  keyEnd: number;
  valueStart: number;
  /** Offset just after the value. */
  end: number;
}

/** A syntax error at a place in the file. */
export class DaemonJsonSyntaxError extends ConfigError {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  readonly goMessage: string;
  constructor(path: string, line: number, column: number, offset: number, goMessage: string, hint: string, note = '') {
    super(`${path}:${line}:${column}: ${goMessage}${note}`, hint);
    this.name = 'DaemonJsonSyntaxError';
    this.line = line; this.column = column; this.offset = offset; this.goMessage = goMessage;
  }
}

/** 1-based line and column (in characters) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  let column = 1;
  for (let i = lineStart; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) continue; // second half of a surrogate pair: same character
    if (i === 0 && c === 0xfeff) continue; // a byte order mark is not a column
    column++;
  }
  return { line, column };
}

/** Go's quoteChar: how encoding/json names the offending byte (the first byte of a multi-byte character). */
export function goQuoteChar(ch: string): string {
  if (ch === "'") return `'\\''`;
  if (ch === '"') return `'"'`;
  const cp = ch.codePointAt(0) ?? 0;
  const b = cp < 0x80 ? cp : Buffer.from(ch, 'utf8')[0];
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 0x5c: '\\\\' };
  if (named[b]) return `'${named[b]}'`;
  if (b < 0x20 || b === 0x7f) return `'\\x${b.toString(16).padStart(2, '0')}'`;
  if (b >= 0x80 && b < 0xa0) return `'\\u00${b.toString(16)}'`;
  return `'${String.fromCharCode(b)}'`;
}

type Ctx = 'value' | 'key' | 'afterKey' | 'afterPair' | 'afterElem' | 'top';
const CTX_WORDS: Record<Ctx, string> = {
  value: 'looking for beginning of value',
  key: 'looking for beginning of object key string',
  afterKey: 'after object key',
  afterPair: 'after object key:value pair',
  afterElem: 'after array element',
  top: 'after top-level value',
};

export class StrictParser {
  pos = 0;
  members: MemberLayout[] = [];
  duplicates = new Map<string, number[]>();
  constructor(readonly text: string, readonly path: string, readonly start: number) { this.pos = start; }

  fail(at: number, goMessage: string, hint: string, note = ''): never {
    const { line, column } = lineColumn(this.text, at);
    throw new DaemonJsonSyntaxError(this.path, line, column, at, goMessage, hint, note);
  }

  eof(): never {
    this.fail(this.text.length, 'unexpected end of JSON input', 'the file ends too early: close every string, [ and {');
  }

  charAt(i: number): string {
    const cp = this.text.codePointAt(i);
    return cp === undefined ? '' : String.fromCodePoint(cp);
  }

  bad(ctx: Ctx): never {
    if (this.pos >= this.text.length) this.eof();
    const ch = this.charAt(this.pos);
    // Go names only the first byte of a multi-byte character: say which character it really is.
    const note = ch.codePointAt(0)! >= 0x80 ? ` (the character is ${ch} U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})` : '';
    this.fail(this.pos, `invalid character ${goQuoteChar(ch)} ${CTX_WORDS[ctx]}`, hintFor(ch, ctx, this.text, this.pos), note);
  }

  ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++; else break;
    }
  }

  /** Parses one value; depth 0 is the top level, 1 the members of the top-level object. */
  value(depth: number): unknown {
    this.ws();
    const t = this.text;
    if (this.pos >= t.length) this.eof();
    const c = t[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    if (c === 't') return this.literal('true', true);
    if (c === 'f') return this.literal('false', false);
    if (c === 'n') return this.literal('null', null);
    this.bad('value');
  }

  literal<T>(word: string, v: T): T {
    for (let i = 0; i < word.length; i++, this.pos++) {
      if (this.pos >= this.text.length) this.eof();
      if (this.text[this.pos] !== word[i]) {
        const ch = this.charAt(this.pos);
        this.fail(this.pos, `invalid character ${goQuoteChar(ch)} in literal ${word} (expecting ${goQuoteChar(word[i])})`, `write ${word} in lower case, unquoted`);
      }
    }
    return v;
  }

  number(): number {
    const t = this.text;
    const s = this.pos;
    const digit = (i: number) => i < t.length && t[i] >= '0' && t[i] <= '9';
    const numFail = (what: string) => {
      if (this.pos >= t.length) this.eof();
      this.fail(this.pos, `invalid character ${goQuoteChar(this.charAt(this.pos))} ${what}`, 'numbers are written like 24, -1 or 1.5e3 (no NaN, Infinity, hex or leading +)');
    };
    if (t[this.pos] === '-') { this.pos++; if (!digit(this.pos)) numFail('in numeric literal'); }
    if (t[this.pos] === '0') this.pos++;
    else while (digit(this.pos)) this.pos++;
    if (t[this.pos] === '.') { this.pos++; if (!digit(this.pos)) numFail('after decimal point in numeric literal'); while (digit(this.pos)) this.pos++; }
    if (t[this.pos] === 'e' || t[this.pos] === 'E') {
      this.pos++;
      if (t[this.pos] === '+' || t[this.pos] === '-') this.pos++;
      if (!digit(this.pos)) numFail('in exponent of numeric literal');
      while (digit(this.pos)) this.pos++;
    }
    const raw = t.slice(s, this.pos);
    const n = Number(raw);
    if (!Number.isFinite(n)) this.fail(s, `json: cannot unmarshal number ${raw} into Go value of type float64`, 'the number is too large');
    return n;
  }

  string(): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      if (this.pos >= t.length) this.eof();
      const c = t[this.pos];
      if (c === '"') { this.pos++; return out; }
      if (c.charCodeAt(0) < 0x20) this.fail(this.pos, `invalid character ${goQuoteChar(c)} in string literal`, 'a string must stay on one line; write a line break as \\n');
      if (c === '\\') {
        this.pos++;
        if (this.pos >= t.length) this.eof();
        const e = t[this.pos];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) { out += simple[e]; this.pos++; continue; }
        if (e !== 'u') this.fail(this.pos, `invalid character ${goQuoteChar(this.charAt(this.pos))} in string escape code`, 'a backslash must be doubled (\\\\) or start one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX');
        this.pos++;
        for (let i = 0; i < 4; i++, this.pos++) {
          if (this.pos >= t.length) this.eof();
          if (!/[0-9a-fA-F]/.test(t[this.pos])) this.fail(this.pos, `invalid character ${goQuoteChar(this.charAt(this.pos))} in \\u hexadecimal character escape`, '\\u takes exactly four hex digits');
        }
        out += String.fromCharCode(parseInt(t.slice(this.pos - 4, this.pos), 16));
        continue;
      }
      out += c;
      this.pos++;
    }
  }

  object(depth: number): Record<string, unknown> {
    this.pos++; // {
    const obj: Record<string, unknown> = Object.create(null);
    const seen = new Map<string, number[]>();
    this.ws();
    if (this.text[this.pos] === '}') { this.pos++; return obj; }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.bad('key');
      const start = this.pos;
      const key = this.string();
      const keyEnd = this.pos;
      this.ws();
      if (this.text[this.pos] !== ':') this.bad('afterKey');
      this.pos++;
      this.ws();
      const valueStart = this.pos;
      obj[key] = this.value(depth + 1);
      if (depth === 0) this.members.push({ key, start, keyEnd, valueStart, end: this.pos });
      const lines = seen.get(key) ?? [];
      lines.push(lineColumn(this.text, start).line);
      seen.set(key, lines);
      this.ws();
      const c = this.text[this.pos];
      if (c === ',') { this.pos++; continue; }
      if (c === '}') { this.pos++; break; }
      this.bad('afterPair');
    }
    if (depth === 0) for (const [k, lines] of seen) if (lines.length > 1) this.duplicates.set(k, lines);
    return obj;
  }

  array(depth: number): unknown[] {
    this.pos++; // [
    const arr: unknown[] = [];
    this.ws();
    if (this.text[this.pos] === ']') { this.pos++; return arr; }
    for (;;) {
      arr.push(this.value(depth + 1));
      this.ws();
      const c = this.text[this.pos];
      if (c === ',') { this.pos++; continue; }
      if (c === ']') { this.pos++; return arr; }
      this.bad('afterElem');
    }
  }
}

function hintFor(ch: string, ctx: Ctx, text: string, pos: number): string {
  if (ch === '/' || ch === '#') return 'daemon.json is strict JSON: comments are not allowed; remove the comment';
  if (ch === "'") return 'use double quotes (") for keys and strings';
  if ((ch === '}' || ch === ']') && (ctx === 'key' || ctx === 'value') && /,\s*$/.test(text.slice(0, pos))) {
    return `remove the comma before '${ch}': JSON allows no trailing commas`;
  }
  if ('\u201c\u201d\u2018\u2019'.includes(ch)) return 'replace typographic quotes with plain double quotes (")';
  if (ch === 'N' || ch === 'I') return 'NaN and Infinity are not JSON values; write a number';
  if (ctx === 'key' && /[A-Za-z_]/.test(ch)) return 'object keys must be quoted: "key": value';
  if (ctx === 'afterPair' || ctx === 'afterElem') return 'a comma is missing between two entries, or a bracket is not closed';
  if (ctx === 'top') return 'daemon.json must hold exactly one JSON object; remove what follows its closing }';
  if (ch === '\ufeff') return 'the file starts with a byte order mark; save it as UTF-8 without BOM';
  return 'daemon.json must be one JSON object, e.g. {"ipv6": true}';
}
