// Parses daemon.json as strictly as dockerd (Go encoding/json) does, with Go's messages plus line:column and a hint.
import { ConfigError } from '../errors';
import { DaemonJsonSyntaxError, lineColumn, StrictParser, type MemberLayout } from './scan';
import { dockerVersionAtLeast } from './version';

export { DaemonJsonSyntaxError, goQuoteChar, lineColumn, type MemberLayout } from './scan';

export interface DocLayout {
  /** 'blank': empty or whitespace only; 'null': the literal null (Go accepts it as "no settings"). */
  kind: 'blank' | 'null' | 'object';
  /** Offset of '{' (object) or of the null literal; -1 for blank. */
  open: number;
  /** Offset just after '}' or the null literal; -1 for blank. */
  close: number;
  members: MemberLayout[];
  bom: boolean;
}

export interface DuplicateKey { key: string; lines: number[] }

export interface ParsedDaemonJson {
  value: Record<string, unknown>;
  text: string;
  warnings: string[];
  duplicates: DuplicateKey[];
  layout: DocLayout;
}

export interface ParseOptions {
  /** dockerd's version; decides how an empty file and a byte order mark are treated. */
  dockerVersion?: string;
}

const GO_KIND = (v: unknown): string => Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'boolean' ? 'bool' : typeof v;

/**
 * Parses daemon.json text as dockerd does. Throws ConfigError (DaemonJsonSyntaxError for syntax) when
 * dockerd would refuse the file. Duplicate keys are reported as warnings: Go silently keeps the last.
 */
export function parseDaemonJson(text: string, path = 'daemon.json', opts: ParseOptions = {}): ParsedDaemonJson {
  const warnings: string[] = [];
  const knownOld = opts.dockerVersion !== undefined && !dockerVersionAtLeast(opts.dockerVersion, '23.0');
  const bom = text.charCodeAt(0) === 0xfeff;
  if (bom) {
    // dockerd 23.0 and later ignore a UTF-8 BOM; older ones fail on its first byte.
    if (knownOld) {
      throw new DaemonJsonSyntaxError(path, 1, 1, 0, "invalid character 'ï' looking for beginning of value",
        `dockerd ${opts.dockerVersion} does not accept a byte order mark; save the file as UTF-8 without BOM`);
    }
    warnings.push('the file starts with a UTF-8 byte order mark: dockerd before 23.0 refuses it');
  }
  const start = bom ? 1 : 0;
  if (/^[ \t\r\n]*$/.test(text.slice(start))) {
    // dockerd 23.0+ treats an empty file as no settings; 20.10 fails with "EOF".
    if (knownOld) {
      throw new ConfigError(`${path}: EOF (dockerd ${opts.dockerVersion} refuses an empty daemon.json)`, 'write {} into it, or remove the file');
    }
    if (opts.dockerVersion === undefined) warnings.push('the file is empty: dockerd before 23.0 refuses to start with it ("EOF")');
    return { value: {}, text, warnings, duplicates: [], layout: { kind: 'blank', open: -1, close: -1, members: [], bom } };
  }
  const p = new StrictParser(text, path, start);
  p.ws();
  const open = p.pos;
  const v = p.value(0);
  const close = p.pos;
  p.ws();
  if (p.pos < text.length) p.bad('top');
  if (v === null) {
    warnings.push('the file holds only null: dockerd reads that as no settings');
    return { value: {}, text, warnings, duplicates: [], layout: { kind: 'null', open, close, members: [], bom } };
  }
  if (typeof v !== 'object' || Array.isArray(v)) {
    const { line, column } = lineColumn(text, open);
    throw new DaemonJsonSyntaxError(path, line, column, open, `json: cannot unmarshal ${GO_KIND(v)} into Go value of type map[string]interface {}`,
      'daemon.json must hold one JSON object, e.g. {"ipv6": true}');
  }
  const duplicates = [...p.duplicates].map(([key, lines]) => ({ key, lines }));
  for (const d of duplicates) warnings.push(`key "${d.key}" appears ${d.lines.length} times (lines ${d.lines.join(', ')}): dockerd uses the last one`);
  // A plain object (the parser builds null-prototype objects so "__proto__" stays an ordinary key).
  const value = toPlain(v) as Record<string, unknown>;
  return { value, text, warnings, duplicates, layout: { kind: 'object', open, close, members: p.members, bom } };
}

function toPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) Object.defineProperty(o, k, { value: toPlain((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
    return o;
  }
  return v;
}
