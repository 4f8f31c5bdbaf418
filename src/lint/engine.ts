// The pure lint engine: parsed documents + host facts in, positioned findings out. No I/O here.
import type { Finding, LintDoc, RawFinding, RuleContext, Source, HostNetwork, DocKind } from './types';
import { parseSource, type ParsedSource } from './source';
import { DOC_RULES, RUN_RULES, RULES_BY_ID } from './rules';
import { parseCidr } from '../model/ip';

export interface LintOptions {
  /** Docker networks of the host; undefined skips the host collision rule */
  hostNetworks?: HostNetwork[];
  /** force the dual-stack intent even when no input declares it */
  dualStack?: boolean;
}

export interface FileResult {
  file: string;
  /** detected kinds, one per document */
  kinds: DocKind[];
  /** YAML syntax errors (the file was not linted) */
  syntaxErrors: Finding[];
}

export interface LintResult {
  findings: Finding[];
  files: FileResult[];
  dualStack: boolean;
}

const families = (text: unknown) => new Set(String(text ?? '').split(',').map((t) => parseCidr(t.trim())?.family).filter(Boolean));

/**
 * Do the inputs as a whole aim at dual-stack? Any one of: a dual-stack kubeadm config, a Service
 * asking for two families, IPv4 and IPv6 Calico pools, a Flannel config with both networks,
 * Cilium values with both families on.
 */
export function dualStackIntent(docs: LintDoc[]): boolean {
  const calico = new Set<number | undefined>();
  for (const d of docs) {
    const x = d.data ?? {};
    switch (d.kind) {
      case 'kubeadm':
        if (families(x.networking?.podSubnet).size === 2 || families(x.networking?.serviceSubnet).size === 2) return true;
        break;
      case 'k8s-service':
        if (['PreferDualStack', 'RequireDualStack'].includes(x.spec?.ipFamilyPolicy) || (Array.isArray(x.spec?.ipFamilies) && x.spec.ipFamilies.length === 2)) return true;
        break;
      case 'calico-ippool':
        calico.add(parseCidr(String(x.spec?.cidr ?? ''))?.family);
        if (calico.has(4) && calico.has(6)) return true;
        break;
      case 'cilium-values':
        if (x.ipv6?.enabled === true && x.ipv4?.enabled !== false) return true;
        break;
      case 'flannel-netconf':
      case 'flannel-configmap': {
        let conf = x;
        if (d.kind === 'flannel-configmap') { try { conf = JSON.parse(String(x.data?.['net-conf.json'])); } catch { conf = {}; } }
        if (conf?.Network && conf?.IPv6Network) return true;
        break;
      }
      default:
    }
  }
  return false;
}

function locate(doc: { file: string; lineCounter: ParsedSource['lineCounter'] }, raw: RawFinding): Finding {
  const meta = RULES_BY_ID.get(raw.rule);
  if (!meta) throw new Error(`rule ${raw.rule} is not registered`);
  const a = doc.lineCounter.linePos(raw.at.start);
  const b = doc.lineCounter.linePos(Math.max(raw.at.end, raw.at.start));
  return {
    file: doc.file, line: a.line, col: a.col, endLine: b.line, endCol: b.col,
    severity: raw.severity ?? meta.severity, rule: raw.rule, message: raw.message, fix: raw.fix,
  };
}

export function sortFindings(list: Finding[]): Finding[] {
  return list.sort((x, y) => x.file.localeCompare(y.file) || x.line - y.line || x.col - y.col || x.rule.localeCompare(y.rule));
}

export function lintParsed(parsed: ParsedSource[], opts: LintOptions = {}): LintResult {
  const docs = parsed.flatMap((p) => p.docs);
  const dualStack = !!opts.dualStack || dualStackIntent(docs);
  const ctx: RuleContext = { dualStack, hostNetworks: opts.hostNetworks };
  const findings: Finding[] = [];
  for (const d of docs) {
    for (const rule of DOC_RULES[d.kind] ?? []) for (const raw of rule(d, ctx)) findings.push(locate(d, raw));
  }
  for (const rule of RUN_RULES) for (const raw of rule(docs, ctx)) findings.push(locate(raw.doc, raw));
  const files = parsed.map((p) => ({
    file: p.source.file,
    kinds: p.docs.map((d) => d.kind),
    syntaxErrors: p.errors.map((e) => {
      const pos = p.lineCounter.linePos(e.at.start);
      return { file: p.source.file, line: pos.line, col: pos.col, endLine: pos.line, endCol: pos.col, severity: 'error' as const, rule: 'syntax', message: e.message, fix: 'fix the YAML syntax' };
    }),
  }));
  return { findings: sortFindings(findings), files, dualStack };
}

export function lintSources(sources: Source[], opts: LintOptions = {}): LintResult {
  return lintParsed(sources.map(parseSource), opts);
}
