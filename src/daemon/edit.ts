// Format-keeping edits of daemon.json top-level keys, with an undo record that restores the exact bytes.
//
// jsonc-parser's `modify` re-formats neighbouring values and cannot put back an empty object's
// original whitespace, so edits are computed here from the strict parser's offsets and applied with
// jsonc-parser's `applyEdits`. An added key is written as "<separator>"key": value" right after the last
// member, using the separator, colon spacing, indentation and line ending the file already uses; its
// removal deletes exactly that span, so set-then-restore on an unchanged file gives the original bytes.
import { applyEdits, type Edit } from 'jsonc-parser';
import { ConfigError } from '../errors';
import { ABSENT, isAbsent, type DaemonJsonUndo, type Prior } from '../model/state';
import { parseDaemonJson, type MemberLayout, type ParsedDaemonJson } from './parse';

export interface EditResult {
  text: string;
  undo: DaemonJsonUndo;
  changed: boolean;
}

export interface FileFormat { eol: string; indent: string; multiline: boolean; separator: string; colon: string; memberIndent: string }

/** The file's own conventions: line ending, indentation unit, separator between members, spacing after ':'. */
export function detectFormat(text: string, parsed: ParsedDaemonJson = parseDaemonJson(text)): FileFormat {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const m = parsed.layout.members;
  if (m.length === 0) return { eol, indent: '  ', multiline: true, separator: `,${eol}  `, colon: ': ', memberIndent: '  ' };
  const last = m[m.length - 1];
  const separator = m.length >= 2 ? text.slice(m[m.length - 2].end, last.start) : `,${text.slice(parsed.layout.open + 1, m[0].start)}`;
  const colon = text.slice(last.keyEnd, last.valueStart);
  const multiline = separator.includes('\n');
  const memberIndent = multiline ? /^[ \t]*/.exec(separator.slice(separator.lastIndexOf('\n') + 1))![0] : '';
  const indent = /^(\t+| +)$/.test(memberIndent) ? memberIndent : '  ';
  return { eol, indent, multiline, separator, colon, memberIndent };
}

function jsonText(v: unknown): string {
  const s = JSON.stringify(v, (_k, x) => {
    if (typeof x === 'number' && !Number.isFinite(x)) throw new TypeError(`daemon.json value ${x} is not JSON`);
    return x;
  });
  if (s === undefined) throw new TypeError(`daemon.json value ${String(v)} is not JSON`);
  return s;
}

function formatValue(v: unknown, f: FileFormat): string {
  const compact = jsonText(v);
  if (!f.multiline || v === null || typeof v !== 'object') return compact;
  return JSON.stringify(v, null, f.indent).split('\n').join(f.eol + f.memberIndent);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function member(parsed: ParsedDaemonJson, key: string, path: string): MemberLayout | undefined {
  if (parsed.duplicates.some((d) => d.key === key)) {
    const d = parsed.duplicates.find((x) => x.key === key)!;
    throw new ConfigError(`${path}: "${key}" appears ${d.lines.length} times (lines ${d.lines.join(', ')}); refusing to guess which one to change`, `keep one "${key}" entry and run again`);
  }
  const all = parsed.layout.members.filter((m) => m.key === key);
  return all[all.length - 1];
}

function apply(text: string, edit: Edit): string { return applyEdits(text, [edit]); }

/** Adds or replaces one key in an object that already has members (or replaces an existing value). */
function setOne(text: string, key: string, value: unknown, path: string): { text: string; prior: Prior } {
  const parsed = parseDaemonJson(text, path);
  const f = detectFormat(text, parsed);
  const m = member(parsed, key, path);
  if (m) {
    const raw = text.slice(m.valueStart, m.end);
    const prior: Prior = { value: parsed.value[key], raw };
    if (deepEqual(parsed.value[key], value)) return { text, prior };
    return { text: apply(text, { offset: m.valueStart, length: m.end - m.valueStart, content: formatValue(value, f) }), prior };
  }
  const last = parsed.layout.members[parsed.layout.members.length - 1];
  const content = `${f.separator}${JSON.stringify(key)}${f.colon}${formatValue(value, f)}`;
  return { text: apply(text, { offset: last.end, length: 0, content }), prior: ABSENT };
}

/** Removes one key, deleting exactly the span an append of it would have added. */
function removeOne(text: string, key: string, path: string): string {
  const parsed = parseDaemonJson(text, path);
  const m = member(parsed, key, path);
  if (!m) return text;
  const ms = parsed.layout.members;
  const i = ms.indexOf(m);
  if (ms.length === 1) return apply(text, { offset: parsed.layout.open + 1, length: parsed.layout.close - 1 - (parsed.layout.open + 1), content: '' });
  if (i > 0) return apply(text, { offset: ms[i - 1].end, length: m.end - ms[i - 1].end, content: '' });
  return apply(text, { offset: m.start, length: ms[1].start - m.start, content: '' });
}

/**
 * Sets top-level keys, keeping every other byte. The undo record restores the previous values
 * (keep the undo of the run that changed the file: a second, unchanged run records our own values).
 */
export function setKeys(text: string, values: Record<string, unknown>, path = 'daemon.json'): EditResult {
  const parsed = parseDaemonJson(text, path);
  const keys = Object.keys(values);
  const previous: Record<string, Prior> = {};
  let out = text;
  let emptyText: string | undefined;
  if (parsed.layout.members.length === 0 && keys.length > 0) {
    emptyText = text;
    const f = detectFormat(text, parsed);
    const lines = keys.map((k) => `${f.indent}${JSON.stringify(k)}: ${formatValue(values[k], f)}`);
    const block = `{${f.eol}${lines.join(`,${f.eol}`)}${f.eol}}`;
    const { kind, open, close, bom } = parsed.layout;
    out = kind === 'blank' ? `${bom ? '\ufeff' : ''}${block}${f.eol}` : apply(text, { offset: open, length: close - open, content: block });
    for (const k of keys) previous[k] = ABSENT;
  } else {
    for (const k of keys) {
      const r = setOne(out, k, values[k], path);
      out = r.text;
      previous[k] = r.prior;
    }
  }
  return { text: out, undo: emptyText === undefined ? { previous } : { previous, emptyText }, changed: out !== text };
}

/** Removes top-level keys; the undo record puts them back (at the end of the object). */
export function removeKeys(text: string, keys: readonly string[], path = 'daemon.json'): EditResult {
  const parsed = parseDaemonJson(text, path);
  const previous: Record<string, Prior> = {};
  let out = text;
  for (const k of keys) {
    const m = member(parsed, k, path);
    if (!m) { previous[k] = ABSENT; continue; }
    previous[k] = { value: parsed.value[k], raw: text.slice(m.valueStart, m.end) };
    out = removeOne(out, k, path);
  }
  return { text: out, undo: { previous }, changed: out !== text };
}

function rawMatches(p: { value: unknown; raw?: string }): p is { value: unknown; raw: string } {
  if (p.raw === undefined) return false;
  try { return deepEqual(JSON.parse(p.raw), p.value); } catch { return false; }
}

/** Puts back the values recorded in `undo`; on a file unchanged since the edit this gives the original bytes. */
export function restoreKeys(text: string, undo: DaemonJsonUndo, path = 'daemon.json'): string {
  let out = text;
  for (const k of Object.keys(undo.previous).reverse()) {
    const p = undo.previous[k];
    if (isAbsent(p)) { out = removeOne(out, k, path); continue; }
    const parsed = parseDaemonJson(out, path);
    const m = member(parsed, k, path);
    if (m && rawMatches(p)) {
      if (out.slice(m.valueStart, m.end) !== p.raw) out = apply(out, { offset: m.valueStart, length: m.end - m.valueStart, content: p.raw });
    } else if (m || parsed.layout.members.length > 0) {
      out = setOne(out, k, p.value, path).text;
    } else {
      out = setKeys(out, { [k]: p.value }, path).text;
    }
  }
  if (undo.emptyText !== undefined && parseDaemonJson(out, path).layout.members.length === 0) return undo.emptyText;
  return out;
}
