// Renders findings as a SARIF 2.1.0 log, the format code-scanning services read.
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Finding, RuleMeta, Severity } from './types';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

/** Paths under the working directory become relative URIs (what code scanning matches on). */
function artifactUri(file: string, cwd: string): string {
  if (file === '-') return 'stdin';
  const abs = isAbsolute(file) ? file : resolve(cwd, file);
  const rel = relative(cwd, abs);
  if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).map(encodeURIComponent).join('/');
  return pathToFileURL(abs).href;
}

/** The key of our partialFingerprints entry; bump the version when the recipe changes (services then see new alerts). */
export const FINGERPRINT_KEY = 'dockerIpv6LintIdentity/v1';

/**
 * partialFingerprints for code scanning: the finding's own identity (rule, logical path, the text it points at) with
 * its file, and a count for the rare twins in one file, so it survives runs and line moves but not a changed value.
 */
function fingerprints(findings: Finding[], uriOf: (f: Finding) => string): string[] {
  const seen = new Map<string, number>();
  return findings.map((f) => {
    const base = `${uriOf(f)}\0${f.fingerprint}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return createHash('sha256').update(`${base}\0${n}`).digest('hex').slice(0, 32);
  });
}

export function renderSarif(findings: Finding[], rules: RuleMeta[], opts: { version: string; cwd: string }): unknown {
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const uri = (f: Finding) => artifactUri(f.file, opts.cwd);
  const prints = fingerprints(findings, uri);
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'docker-ipv6-lint',
          version: opts.version,
          rules: rules.map((r) => ({
            id: r.id,
            name: r.id.replace(/[/-](\w)/g, (_m, c: string) => c.toUpperCase()),
            shortDescription: { text: r.summary },
            defaultConfiguration: { level: LEVEL[r.severity] },
          })),
        },
      },
      columnKind: 'utf16CodeUnits',
      results: findings.map((f, i) => {
        const idx = ruleIndex.get(f.rule);
        return {
          ruleId: f.rule,
          ...(idx === undefined ? {} : { ruleIndex: idx }),
          level: LEVEL[f.severity],
          message: { text: `${f.message}. Fix: ${f.fix}` },
          locations: [{
            physicalLocation: {
              artifactLocation: { uri: uri(f) },
              region: { startLine: f.line, startColumn: f.col, endLine: Math.max(f.endLine, f.line), endColumn: f.endLine > f.line || f.endCol > f.col ? f.endCol : f.col + 1 },
            },
            ...(f.path ? { logicalLocations: [{ fullyQualifiedName: f.path }] } : {}),
          }],
          partialFingerprints: { [FINGERPRINT_KEY]: prints[i] },
        };
      }),
    }],
  };
}
