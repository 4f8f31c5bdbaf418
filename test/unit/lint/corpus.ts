// Reads the rule corpus under test/fixtures/lint/rules: each fixture says in its header comments
// what it expects ("# expect: LINE:COL rule-id" or "# expect: none") and how to lint it
// ("# options: dual-stack require-ipv6 env:NAME=VALUE max-tokens:N", "# host: NAME SUBNET [PROJECT NETWORK]").
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lintSources } from '../../../src/lint/engine';
import type { HostNetwork } from '../../../src/lint/types';

export const CORPUS = join(__dirname, '../../fixtures/lint/rules');

export interface CorpusCase { path: string; rule: string; kind: 'fail' | 'pass'; text: string }

export function corpusCases(): CorpusCase[] {
  const out: CorpusCase[] = [];
  for (const dir of readdirSync(CORPUS).sort()) {
    for (const kind of ['fail', 'pass'] as const) {
      const sub = join(CORPUS, dir, kind);
      if (!statSync(sub, { throwIfNoEntry: false })?.isDirectory()) continue;
      for (const f of readdirSync(sub)) out.push({ path: join(sub, f), rule: dir.replace('__', '/'), kind, text: readFileSync(join(sub, f), 'utf8') });
    }
  }
  return out;
}

export function headerOf(text: string) {
  const expect: string[] = [];
  let dualStack = false;
  let requireIpv6 = false;
  const env: Record<string, string> = {};
  const host: HostNetwork[] = [];
  let maxTokens: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^# (expect|options|host): (.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'expect' && m[2] !== 'none') expect.push(m[2].trim());
    if (m[1] === 'options' && m[2].includes('dual-stack')) dualStack = true;
    if (m[1] === 'options' && m[2].includes('require-ipv6')) requireIpv6 = true;
    for (const kv of m[1] === 'options' ? m[2].matchAll(/env:(\w+)=(\S*)/g) : []) env[kv[1]] = kv[2];
    const mt = m[1] === 'options' ? /max-tokens:(\d+)/.exec(m[2]) : null;
    if (mt) maxTokens = Number(mt[1]);
    if (m[1] === 'host') {
      const [name, subnet, composeProject, composeNetwork] = m[2].trim().split(/\s+/);
      host.push({ name, subnets: [subnet], composeProject, composeNetwork });
    }
  }
  return { expect, dualStack, requireIpv6, env, host, maxTokens };
}

/** "LINE:COL rule-id" of every finding, sorted. */
export function lintCase(c: Pick<CorpusCase, 'path' | 'text'>): string[] {
  const h = headerOf(c.text);
  const r = lintSources([{ file: c.path, text: c.text }], { dualStack: h.dualStack, requireIpv6: h.requireIpv6, env: h.env, hostNetworks: h.host, maxTokens: h.maxTokens });
  return r.findings.map((f) => `${f.line}:${f.col} ${f.rule}`);
}
