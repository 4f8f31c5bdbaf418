// Renders findings for people (file:line:col severity rule message + fix) and as JSON.
import type { Finding } from './types';
import type { LintResult } from './engine';

export function renderText(findings: Finding[]): string {
  let out = '';
  for (const f of findings) {
    out += `${f.file}:${f.line}:${f.col} ${f.severity} ${f.rule} ${f.message}\n`;
    out += `  fix: ${f.fix}\n`;
  }
  return out;
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
