// Parses sources into positioned YAML documents and maps nodes (and JSON embedded in scalars) to spans.
import { Composer, Lexer, Parser, LineCounter, isMap, isSeq, isScalar, isPair, type Document, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { parseTree, type Node as JsonNode, type ParseError, printParseErrorCode } from 'jsonc-parser';
import type { Source, Span, LintDoc } from './types';
import { detectKind } from './detect';
import { interpolate, type Env } from './interpolate';

export interface ParsedSource {
  source: Source;
  lineCounter: LineCounter;
  docs: LintDoc[];
  /** YAML syntax errors: the file (or that document of it) cannot be linted */
  errors: Array<{ message: string; at: Span }>;
  /** set when the file is a Helm/Go template and was not parsed */
  template?: Span;
  /** set when the file holds more YAML tokens than lint parses (MAX_YAML_TOKENS): not linted, where the count ran out */
  tooLarge?: Span;
  /** the budget that applied, when not MAX_YAML_TOKENS */
  maxTokens?: number;
}

/**
 * Lint's memory bound, in YAML tokens (lexemes) rather than bytes: a parsed file's memory follows its tokens,
 * whatever their size. 400k tokens is about 1 MiB of the densest YAML (one short value per line), about 8 MiB
 * of CRD-like YAML (long descriptions), and stays under 300 MiB peak either way (README figures).
 */
export const MAX_YAML_TOKENS = 400_000;

class TooManyTokens extends Error {
  constructor(readonly offset: number) { super('too many YAML tokens'); }
}

export interface ParseOptions {
  /** Compose variables known to lint (--env-file, --use-env) */
  env?: Env;
  /** the token budget (tests lower it); MAX_YAML_TOKENS by default */
  maxTokens?: number;
}

/** yaml's parseAllDocuments, with the token budget checked while lexing: a file over it stops before it is built. */
function parseBounded(text: string, lineCounter: LineCounter, maxTokens: number): Document.Parsed[] {
  const lexer = new Lexer();
  const parser = new Parser(lineCounter.addNewLine);
  const composer = new Composer({ uniqueKeys: false, merge: true, logLevel: 'error' });
  function* tokens() {
    let n = 0;
    lineCounter.addNewLine(0); // as Parser.parse does before its first token
    for (const lexeme of lexer.lex(text)) {
      if (++n > maxTokens) throw new TooManyTokens(parser.offset);
      yield* parser.next(lexeme);
    }
    yield* parser.end();
  }
  return Array.from(composer.compose(tokens())) as Document.Parsed[];
}

/** `{{ ... }}` outside comments: a Helm chart template or another Go template, not YAML yet. */
export function templateAt(text: string): Span | undefined {
  const re = /\{\{-?\s*[^}]*\}\}/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const line = text.slice(text.lastIndexOf('\n', m.index) + 1, m.index);
    if (!line.trimStart().startsWith('#')) return { start: m.index, end: m.index + m[0].length };
  }
  return undefined;
}

/** 1-based line and column; a UTF-8 BOM is not a column editors count. */
export function linePos(p: { lineCounter: LineCounter; text: string }, offset: number): { line: number; col: number } {
  const pos = p.lineCounter.linePos(offset);
  return p.text.charCodeAt(0) === 0xfeff && pos.line === 1 && pos.col > 1 ? { line: 1, col: pos.col - 1 } : pos;
}

/** Line starts of a text the parser did not (fully) read; the parser itself starts with line 1 at 0. */
function countLines(text: string): LineCounter {
  const lc = new LineCounter();
  lc.addNewLine(0);
  for (let o = text.indexOf('\n'); o >= 0; o = text.indexOf('\n', o + 1)) lc.addNewLine(o + 1);
  return lc;
}

export function parseSource(source: Source, opts: ParseOptions = {}): ParsedSource {
  const lineCounter = new LineCounter();
  const errors: ParsedSource['errors'] = [];
  const docs: LintDoc[] = [];
  const template = templateAt(source.text);
  // not parsed, but its finding still needs line:col
  if (template) return { source, lineCounter: countLines(source.text), docs, errors, template };
  let list: Document.Parsed[] = [];
  try {
    list = parseBounded(source.text, lineCounter, opts.maxTokens ?? MAX_YAML_TOKENS);
  } catch (e) {
    if (e instanceof TooManyTokens) return { source, lineCounter: countLines(source.text), docs, errors, tooLarge: { start: e.offset, end: e.offset }, maxTokens: opts.maxTokens };
    errors.push({ message: `cannot parse: ${(e as Error)?.message ?? e}`.split('\n')[0], at: { start: 0, end: 0 } });
  }
  list.forEach((doc, index) => {
    for (const e of doc.errors) errors.push({ message: e.message.split('\n')[0], at: { start: e.pos[0], end: e.pos[1] } });
    if (doc.errors.length) return;
    let data: any;
    try {
      data = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      // an alias bomb, a merge of a non-map: the library throws instead of reporting
      const r = (doc.contents as Node | null)?.range;
      errors.push({ message: (e as Error)?.message?.split('\n')[0] ?? String(e), at: { start: r?.[0] ?? 0, end: r?.[0] ?? 0 } });
      return;
    }
    const partial = { file: source.file, text: source.text, lineCounter, index, doc };
    // `kind: List` (kubectl get -o yaml): each item is linted as a document of its own
    if (data && typeof data === 'object' && data.kind === 'List' && Array.isArray(data.items)) {
      data.items.forEach((item: unknown, i: number) => docs.push({ ...partial, data: item, base: ['items', i], kind: detectKind(item, source.file) }));
      return;
    }
    const kind = detectKind(data, source.file);
    if (kind !== 'compose') { docs.push({ ...partial, data, base: [], kind }); return; }
    const env = opts.env ?? {};
    const unresolved: NonNullable<LintDoc['unresolved']> = [];
    docs.push({ ...partial, data: interpolateTree(data, env, [], unresolved), base: [], kind, env, unresolved });
  });
  return { source, lineCounter, docs, errors };
}

/** Compose interpolates every string value (keys are left alone); unresolved ones stay as written. */
function interpolateTree(v: any, env: Env, path: Array<string | number>, out: NonNullable<LintDoc['unresolved']>): any {
  if (typeof v === 'string') {
    if (!v.includes('$')) return v;
    const r = interpolate(v, env);
    if (r.ok) return r.value;
    out.push({ path, text: v, missing: r.missing });
    return v;
  }
  // a subtree without any change is kept as it is (copying every one doubled the memory of a large file)
  if (Array.isArray(v)) {
    let copy: any[] | undefined;
    v.forEach((x, i) => { const y = interpolateTree(x, env, [...path, i], out); if (y !== x) (copy ??= v.slice())[i] = y; });
    return copy ?? v;
  }
  if (v && typeof v === 'object') {
    let copy: Record<string, any> | undefined;
    for (const k of Object.keys(v)) { const y = interpolateTree(v[k], env, [...path, k], out); if (y !== v[k]) (copy ??= { ...v })[k] = y; }
    return copy ?? v;
  }
  return v;
}

/** The span of a node, a pair's key, or the document start when there is none. */
export function spanOf(node: unknown, fallback?: Span): Span {
  const n = isPair(node) ? (node.key as Node) : (node as Node | null | undefined);
  if (n && Array.isArray((n as Node).range)) return { start: n.range![0], end: n.range![1] };
  return fallback ?? { start: 0, end: 0 };
}

const keyIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();
const SCAN_MAX = 8;

/**
 * The pair of a map with this key, through an index built once per map: looking keys up one by one (yaml's own
 * getIn scans the map) made a Compose file with 20k services quadratic. The first of duplicate keys wins, as there.
 */
export function pairOf(map: YAMLMap, key: string | number): Pair | undefined {
  const k = String(key);
  // a small map is scanned: an index per tiny map (20k one-key service maps) costs more than it saves
  if (map.items.length <= SCAN_MAX) {
    for (const p of map.items) if (isScalar(p.key) && String(p.key.value) === k) return p;
    return undefined;
  }
  let index = keyIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) {
      const name = isScalar(p.key) ? String(p.key.value) : undefined;
      if (name !== undefined && !index.has(name)) index.set(name, p);
    }
    keyIndexes.set(map, index);
  }
  return index.get(k);
}

/** The node at a path (or undefined). Keys may be strings or sequence indexes. */
export function nodeAt(doc: LintDoc, path: Array<string | number>): Node | undefined {
  let node = doc.doc.contents as Node | null | undefined;
  const step = (key: string | number) => {
    if (isMap(node)) node = pairOf(node, key)?.value as Node | null | undefined;
    else if (isSeq(node) && (typeof key === 'number' || /^\d+$/.test(key))) node = node.items[Number(key)] as Node | undefined;
    else node = undefined;
  };
  for (const key of doc.base) step(key);
  for (const key of path) { if (!node) break; step(key); }
  return node ?? undefined;
}

/** The span of the key of the pair at `path` (the map entry itself), falling back to the value. */
export function keySpan(doc: LintDoc, path: Array<string | number>): Span | undefined {
  const parent = path.length > 1 || doc.base.length ? nodeAt(doc, path.slice(0, -1)) : (doc.doc.contents as Node | null);
  if (isMap(parent)) {
    const pair = pairOf(parent, path[path.length - 1]);
    if (pair) return spanOf(pair);
  }
  const n = nodeAt(doc, path);
  return n ? spanOf(n) : undefined;
}

/** The first span that exists among several paths (key spans), else the document start. */
export function firstSpan(doc: LintDoc, ...paths: Array<Array<string | number>>): Span {
  for (const p of paths) {
    const s = keySpan(doc, p);
    if (s) return s;
  }
  return docStart(doc);
}

export function docStart(doc: LintDoc): Span {
  const c = (doc.base.length ? nodeAt(doc, []) : doc.doc.contents) as Node | null;
  return c?.range ? { start: c.range[0], end: c.range[0] } : { start: 0, end: 0 };
}

/** The last item starting at or before `offset` (items are in file order): a binary search, so deep files stay linear. */
function itemAt<T>(items: readonly T[], start: (x: T) => number | undefined, offset: number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = start(items[mid]);
    if (s !== undefined && s <= offset) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

/**
 * Where an offset sits in a document as keys and sequence indexes ("services.web.ports[1]"): a finding's
 * logical location, which a line move above it does not change.
 */
export function logicalPath(doc: LintDoc, offset: number): string {
  let out = doc.base.map((k) => (typeof k === 'number' ? `[${k}]` : `${k}`)).join('.').replace(/\.\[/g, '[');
  let node = (doc.base.length ? nodeAt(doc, []) : doc.doc.contents) as Node | null | undefined;
  for (let depth = 0; node && depth < 200; depth++) {
    if (isMap(node)) {
      const i = itemAt(node.items, (p: Pair) => (p.key as Node | null)?.range?.[0], offset);
      const pair = node.items[i];
      const end = ((pair?.value as Node | null)?.range ?? (pair?.key as Node | null)?.range)?.[1];
      if (!pair || end === undefined || offset > end) break;
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      out += out ? `.${key}` : key;
      const keyEnd = (pair.key as Node | null)?.range?.[1] ?? 0;
      node = offset < keyEnd ? undefined : (pair.value as Node | null);
    } else if (isSeq(node)) {
      const i = itemAt(node.items as Node[], (n) => n?.range?.[0], offset);
      const item = node.items[i] as Node | undefined;
      if (!item?.range || offset > item.range[1]) break;
      out += `[${i}]`;
      node = item;
    } else break;
  }
  return out;
}

/** JSON held in a YAML scalar (Flannel's net-conf.json), with positions mapped back into the file. */
export interface EmbeddedJson {
  value: any;
  tree?: JsonNode;
  errors: string[];
  /** the file span of a JSON node, or of the whole scalar when it cannot be placed exactly */
  spanOf(path: Array<string | number>, which?: 'key' | 'value'): Span;
}

export function embeddedJson(text: string, scalar: Scalar): EmbeddedJson {
  const json = String(scalar.value ?? '');
  const range = scalar.range ?? [0, 0, 0];
  const whole: Span = { start: range[0], end: range[1] };
  const toFile = offsetMapper(text, scalar, json);
  const errs: ParseError[] = [];
  const tree = parseTree(json, errs, { allowTrailingComma: false, disallowComments: true });
  let value: any;
  try { value = JSON.parse(json); } catch { value = undefined; }
  const errors = errs.map((e) => `${printParseErrorCode(e.error)} at offset ${e.offset}`);
  return {
    value,
    tree,
    errors,
    spanOf(path, which = 'value') {
      let node = tree;
      for (const key of path) {
        if (!node) break;
        node = node.type === 'object'
          ? node.children?.find((p) => p.children?.[0]?.value === key)?.children?.[which === 'key' && key === path[path.length - 1] ? 0 : 1]
          : node.children?.[key as number];
      }
      if (!node || !toFile) return whole;
      return { start: toFile(node.offset), end: toFile(node.offset + node.length) };
    },
  };
}

/**
 * Map offsets in a scalar's value back to the file. Exact for block scalars (| and >-, each
 * content line is the file line minus its indentation) and single-line quoted scalars without
 * escapes; other forms are placed at the scalar itself.
 */
function offsetMapper(text: string, scalar: Scalar, value: string): ((o: number) => number) | undefined {
  const [start, end] = scalar.range ?? [0, 0];
  const src = text.slice(start, end);
  if (scalar.type === 'BLOCK_LITERAL') {
    const firstNl = src.indexOf('\n');
    if (firstNl < 0) return undefined;
    const lines: Array<{ fileStart: number; indent: number }> = [];
    let indent = -1;
    let pos = start + firstNl + 1;
    for (const line of text.slice(pos, end).split('\n')) {
      if (indent < 0 && line.trim()) indent = line.length - line.trimStart().length;
      lines.push({ fileStart: pos, indent: Math.max(indent, 0) });
      pos += line.length + 1;
    }
    const valueLineStarts = [0];
    for (let i = 0; i < value.length; i++) if (value[i] === '\n') valueLineStarts.push(i + 1);
    return (o) => {
      let ln = 0;
      while (ln + 1 < valueLineStarts.length && valueLineStarts[ln + 1] <= o) ln++;
      const l = lines[Math.min(ln, lines.length - 1)];
      return l.fileStart + l.indent + (o - valueLineStarts[ln]);
    };
  }
  if ((scalar.type === 'QUOTE_SINGLE' || scalar.type === 'QUOTE_DOUBLE') && !src.includes('\n') && src.length === value.length + 2) {
    return (o) => start + 1 + o;
  }
  if (scalar.type === 'PLAIN' && src === value) return (o) => start + o;
  return undefined;
}
