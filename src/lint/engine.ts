// The pure lint engine: parsed documents + host facts in, positioned findings out. No I/O here.
import type { Finding, LintDoc, RawFinding, RuleContext, Source, HostNetwork, DocKind, Span } from './types';
import { createHash } from 'node:crypto';
import { parseSource, linePos, docStart, logicalPath, MAX_YAML_TOKENS, type ParsedSource } from './source';
import { DOC_RULES, RUN_RULES, RULES_BY_ID } from './rules';
import { dualStackIntent, filesWithIpv6Intent } from './intent';
import type { Env } from './interpolate';

export { dualStackIntent } from './intent';

export interface LintOptions {
  /** Docker networks of the host; undefined skips the host collision rule */
  hostNetworks?: HostNetwork[];
  /** force the dual-stack intent even when no input declares it (--dual-stack) */
  dualStack?: boolean;
  /** apply the "this has no IPv6" rules to every file, intent or not (--require-ipv6) */
  requireIpv6?: boolean;
  /** Compose variables known to lint (--env-file, --use-env); without them only defaults count */
  env?: Env;
  /** the YAML token budget per file (tests lower it); MAX_YAML_TOKENS by default */
  maxTokens?: number;
}

export interface FileResult {
  file: string;
  /** detected kinds, one per document */
  kinds: DocKind[];
  /** the file-level findings (file/unparsable, file/template-skipped) */
  syntaxErrors: Finding[];
}

export interface LintResult {
  findings: Finding[];
  files: FileResult[];
  dualStack: boolean;
}

/** A finding's identity apart from file and position (see Finding.fingerprint). */
export function fingerprintOf(rule: string, path: string, snippet: string): string {
  return createHash('sha256').update(`${rule}\0${path.replace(/\[\d+\]/g, '[]')}\0${snippet.replace(/\s+/g, ' ').trim()}`).digest('hex').slice(0, 32);
}

function locate(doc: LintDoc, raw: RawFinding): Finding {
  const meta = RULES_BY_ID.get(raw.rule);
  if (!meta) throw new Error(`rule ${raw.rule} is not registered`);
  const a = linePos(doc, raw.at.start);
  const b = linePos(doc, Math.max(raw.at.end, raw.at.start));
  const path = logicalPath(doc, raw.at.start);
  return {
    file: doc.file, line: a.line, col: a.col, endLine: b.line, endCol: b.col,
    severity: raw.severity ?? meta.severity, rule: raw.rule, message: raw.message, fix: raw.fix,
    path, fingerprint: fingerprintOf(raw.rule, path, doc.text.slice(raw.at.start, Math.max(raw.at.end, raw.at.start))),
  };
}

/** Code-unit order, never the locale's: the same findings come out in the same order on every machine. */
export const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function sortFindings(list: Finding[]): Finding[] {
  return list.sort((x, y) => byCodeUnits(x.file, y.file) || x.line - y.line || x.col - y.col || byCodeUnits(x.rule, y.rule) || byCodeUnits(x.message, y.message));
}

/** The findings a file gets for itself: it is a template, or it does not parse (once, at the first error). */
function fileFindings(p: ParsedSource): Finding[] {
  const at = (s: Span) => ({ file: p.source.file, text: p.source.text, lineCounter: p.lineCounter, s });
  if (p.template) {
    const pos = linePos({ lineCounter: p.lineCounter, text: p.source.text }, p.template.start);
    return [{ file: p.source.file, line: pos.line, col: pos.col, endLine: pos.line, endCol: pos.col, severity: 'info', rule: 'file/template-skipped', message: 'this is a Helm/Go template ({{ ... }}), not YAML yet: skipped', fix: 'lint the rendered output instead: helm template CHART | docker ipv6 lint -', path: '', fingerprint: fingerprintOf('file/template-skipped', '', '') }];
  }
  if (p.tooLarge) {
    const pos = linePos({ lineCounter: p.lineCounter, text: p.source.text }, p.tooLarge.start);
    return [{ file: p.source.file, line: pos.line, col: pos.col, endLine: pos.line, endCol: pos.col, severity: 'error', rule: 'file/too-large', message: `not linted: the file holds more than ${(p.maxTokens ?? MAX_YAML_TOKENS).toLocaleString('en-US')} YAML tokens, lint's memory bound (the count ran out here)`, fix: 'split it into smaller files, or lint the parts that hold network settings', path: '', fingerprint: fingerprintOf('file/too-large', '', '') }];
  }
  if (!p.errors.length) return [];
  const first = at(p.errors[0].at);
  const pos = linePos(first, first.s.start);
  const more = p.errors.length > 1 ? ` (and ${p.errors.length - 1} more error${p.errors.length > 2 ? 's' : ''})` : '';
  return [{ file: p.source.file, line: pos.line, col: pos.col, endLine: pos.line, endCol: pos.col, severity: 'error', rule: 'file/unparsable', message: `cannot parse as YAML: ${p.errors[0].message}${more}; ${p.docs.length ? 'its other documents were linted' : 'not linted'}`, fix: 'fix the YAML syntax', path: '', fingerprint: fingerprintOf('file/unparsable', '', '') }];
}

export function lintParsed(parsed: ParsedSource[], opts: LintOptions = {}): LintResult {
  const docs = parsed.flatMap((p) => p.docs);
  const runDual = dualStackIntent(docs);
  const dualStack = !!opts.dualStack || runDual;
  const forced = !!opts.dualStack || !!opts.requireIpv6;
  const ctx: RuleContext = { dualStack, forced, dualStackFlag: !!opts.dualStack, hostNetworks: opts.hostNetworks };
  const intent = filesWithIpv6Intent(docs);
  // Compose files stand alone; cluster files share the run's dual-stack intent (a dual kubeadm config makes an IPv4-only pool a mistake)
  const wants = (d: LintDoc) => forced || intent.has(d.file) || (d.kind !== 'compose' && runDual);
  const findings: Finding[] = [];
  const dropped = new Map<string, { doc: LintDoc; raw: RawFinding; rules: Set<string> }>();
  const once = new Set<string>();
  const keep = (d: LintDoc, raw: RawFinding) => {
    const meta = RULES_BY_ID.get(raw.rule);
    if (meta?.oncePerFile) { if (once.has(`${d.file}\0${raw.rule}`)) return; once.add(`${d.file}\0${raw.rule}`); }
    if (!meta?.gated || wants(d)) { findings.push(locate(d, raw)); return; }
    const seen = dropped.get(d.file);
    if (seen) seen.rules.add(raw.rule);
    else dropped.set(d.file, { doc: d, raw, rules: new Set([raw.rule]) });
  };
  for (const d of docs) {
    for (const rule of DOC_RULES[d.kind] ?? []) {
      // a document of an unexpected shape (a map where a list belongs) must not stop the run
      let raws: RawFinding[];
      try { raws = rule(d, ctx); } catch (e) {
        raws = [{ rule: 'file/unparsable', at: docStart(d), message: `this ${d.kind} document has a shape lint cannot read (${(e as Error)?.message ?? e}); some checks were skipped`, fix: 'check the document against its schema' }];
      }
      for (const raw of raws) keep(d, raw);
    }
  }
  for (const rule of RUN_RULES) for (const raw of rule(docs, ctx)) keep(raw.doc, raw);
  for (const { doc, raw, rules } of dropped.values()) {
    findings.push(locate(doc, {
      rule: 'ipv6/no-intent', at: raw.at,
      message: `no sign of IPv6 in this file, so ${[...rules].join(', ')} ${rules.size > 1 ? 'are' : 'is'} not applied (${raw.message})`,
      fix: 'nothing to do if the file is meant to stay IPv4-only; to require IPv6 anyway, run lint with --require-ipv6 (or --dual-stack)',
    }));
  }
  const files = parsed.map((p) => {
    const own = fileFindings(p);
    findings.push(...own);
    return { file: p.source.file, kinds: p.docs.map((d) => d.kind), syntaxErrors: own };
  });
  return { findings: sortFindings(findings), files, dualStack };
}

export function lintSources(sources: Source[], opts: LintOptions = {}): LintResult {
  return lintParsed(sources.map((s) => parseSource(s, { env: opts.env, maxTokens: opts.maxTokens })), opts);
}
