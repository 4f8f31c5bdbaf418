// Renders findings for people (file:line:col severity rule message + fix) and as JSON; --fix --dry-run against the file on disk.
import type { Finding } from './types';
import type { LintResult } from './engine';
import { escapeControls } from '../util/terminal';

/** A finding's text for people: file names and messages quote what the linted files hold, escaped. */
function findingLines(f: Finding, opts: { where?: string; tail?: string; fix?: boolean } = {}): string {
  const e = escapeControls;
  return `${e(f.file)}${opts.where ?? ''}:${f.line}:${f.col} ${f.severity} ${f.rule} ${e(f.message)}${opts.tail ?? ''}\n${opts.fix === false ? '' : `  fix: ${e(f.fix)}\n`}`;
}

export function renderText(findings: Finding[]): string {
  return findings.map((f) => findingLines(f)).join('');
}

export function summary(findings: Finding[]): string {
  const n = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  return `${findings.length} finding${findings.length === 1 ? '' : 's'}: ${n('error')} error, ${n('warning')} warning, ${n('info')} info`;
}

export function renderJson(result: LintResult, extra: Record<string, unknown> = {}): unknown {
  return {
    findings: result.findings,
    files: result.files.map((f) => ({ file: f.file, kinds: f.kinds })),
    dualStack: result.dualStack,
    ...extra,
  };
}

/** The text a finding points at ("0.0.0.0:8080:80"), from 1-based line/col spans, in a text split into lines. */
export function spanText(lines: readonly string[], f: Pick<Finding, 'line' | 'col' | 'endLine' | 'endCol'>): string {
  if (f.line === f.endLine) return (lines[f.line - 1] ?? '').slice(f.col - 1, f.endCol - 1);
  return [(lines[f.line - 1] ?? '').slice(f.col - 1), ...lines.slice(f.line, f.endLine - 1), (lines[f.endLine - 1] ?? '').slice(0, f.endCol - 1)].join('\n');
}

/**
 * --fix --dry-run writes nothing, so positions must point into the file on disk: the findings of the
 * original text, each marked when the fix resolves it, and apart from them what only the fixed text
 * has (with its positions in the fixed text, said so).
 */
export function compareFix(onDisk: Finding[], afterFix: Finding[], texts: { before: Map<string, string>; after: Map<string, string> }): { findings: Array<Finding & { resolvedByFix: boolean }>; added: Finding[] } {
  // a finding's identity apart from its position (the fix moves lines, and may change the wording): rule and the text it points at
  // each text split once (split per finding was quadratic on a file with thousands of findings)
  const split = new Map<string, string[]>();
  const linesOf = (text: string) => { let l = split.get(text); if (!l) { l = text.split('\n'); split.set(text, l); } return l; };
  const id = (which: Map<string, string>) => (f: Finding) => `${f.file}\0${f.rule}\0${spanText(linesOf(which.get(f.file) ?? ''), f)}`;
  const identity = id(texts.before);
  const identityAfter = id(texts.after);
  const left = new Map<string, number>();
  for (const f of afterFix) left.set(identityAfter(f), (left.get(identityAfter(f)) ?? 0) + 1);
  const findings = onDisk.map((f) => {
    const n = left.get(identity(f)) ?? 0;
    if (n > 0) left.set(identity(f), n - 1);
    return { ...f, resolvedByFix: n === 0 };
  });
  const added: Finding[] = [];
  for (const f of afterFix) {
    const n = left.get(identityAfter(f)) ?? 0;
    if (n > 0) { added.push(f); left.set(identityAfter(f), n - 1); }
  }
  return { findings, added };
}

export function renderDryRun(compared: ReturnType<typeof compareFix>): string {
  const { findings, added } = compared;
  let out = '';
  for (const f of findings) out += findingLines(f, { tail: f.resolvedByFix ? ' [resolved by --fix]' : '', fix: !f.resolvedByFix });
  for (const f of added) out += findingLines(f, { where: ' (after the fix, line:col in the fixed text)' });
  return out;
}
