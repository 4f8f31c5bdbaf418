// kind and Cluster API cluster networking: malformed pod/service CIDRs, single-family clusters, IPv6-only choices.
import type { DocRule, RawFinding, RuleMeta, LintDoc, Span } from '../types';
import { parseCidr, formatCidr, type Cidr } from '../../model/ip';
import { firstSpan, nodeAt, spanOf } from '../source';
import { isPlaceholder } from '../interpolate';

export const clusterRules: RuleMeta[] = [
  { id: 'kind/not-dual-stack', severity: 'warning', summary: 'a kind Cluster that is not dual (ipFamily unset/ipv4, or single-family subnets)', gated: true },
  { id: 'kind/cidr-invalid', severity: 'error', summary: 'a malformed kind podSubnet/serviceSubnet, an unknown ipFamily, or subnets contradicting ipFamily' },
  { id: 'capi/not-dual-stack', severity: 'warning', summary: 'Cluster API clusterNetwork pods/services cidrBlocks of one family only', gated: true },
  { id: 'capi/cidr-invalid', severity: 'error', summary: 'a malformed Cluster API cidrBlocks entry, or two of one family' },
];

type Path = Array<string | number>;
interface Field { key: string; entries: Array<{ text: string; cidr?: Cidr; span: Span }>; span: Span }

/** A field holding prefixes: a comma list (kind) or a sequence (Cluster API). */
function read(doc: LintDoc, path: Path, label: string): Field | undefined {
  let v: any = doc.data;
  for (const k of path) v = v?.[k];
  if (v === undefined || v === null || v === '') return undefined;
  // filled in later (clusterctl/envsubst ${VAR}, Helm): not judged
  if ((Array.isArray(v) ? v : [v]).some((x) => isPlaceholder(String(x)))) return undefined;
  const node = nodeAt(doc, path);
  const span = node ? spanOf(node) : firstSpan(doc, path.slice(0, -1));
  const items: Array<{ text: string; span: Span }> = Array.isArray(v)
    ? v.map((x, i) => { const n = nodeAt(doc, [...path, i]); return { text: String(x), span: n ? spanOf(n) : span }; })
    : String(v).split(',').map((t) => ({ text: t.trim(), span }));
  return { key: label, span, entries: items.map((e) => ({ ...e, cidr: parseCidr(e.text) })) };
}

const fams = (f?: Field) => new Set((f?.entries ?? []).map((e) => e.cidr?.family).filter(Boolean));

function malformed(rule: string, f: Field | undefined, out: RawFinding[]): void {
  if (!f) return;
  for (const e of f.entries) {
    if (!e.cidr) out.push({ rule, at: e.span, message: `${f.key} entry "${e.text}" is not a CIDR prefix`, fix: 'write address/length, e.g. 10.244.0.0/16 and fd00:10:244::/56' });
    else if (e.cidr.hostBits) out.push({ rule, severity: 'warning', at: e.span, message: `${f.key} entry "${e.text}" has host bits set`, fix: `use ${formatCidr(e.cidr)}` });
  }
  const good = f.entries.filter((e) => e.cidr);
  if (f.entries.length > 2 || fams(f).size < good.length) out.push({ rule, at: f.span, message: `${f.key} must hold at most one prefix per family, got ${f.entries.map((e) => e.text).join(', ')}`, fix: 'keep one IPv4 and one IPv6 prefix' });
}

const choice = (at: Span, what: string): RawFinding => ({ rule: 'k8s/single-family-choice', at, message: `${what}: an IPv6-only cluster, respected`, fix: 'nothing to do if intended; for dual-stack add the IPv4 prefixes too' });

const kindCluster: DocRule = (doc, ctx) => {
  const out: RawFinding[] = [];
  const net = doc.data?.networking ?? {};
  const family = net.ipFamily === undefined ? undefined : String(net.ipFamily);
  const pod = read(doc, ['networking', 'podSubnet'], 'networking.podSubnet');
  const svc = read(doc, ['networking', 'serviceSubnet'], 'networking.serviceSubnet');
  const famAt = firstSpan(doc, ['networking', 'ipFamily'], ['networking'], ['kind']);
  malformed('kind/cidr-invalid', pod, out);
  malformed('kind/cidr-invalid', svc, out);
  if (family !== undefined && !['ipv4', 'ipv6', 'dual'].includes(family)) {
    out.push({ rule: 'kind/cidr-invalid', at: famAt, message: `networking.ipFamily "${family}" is not ipv4, ipv6 or dual (kind refuses the config)`, fix: 'write ipFamily: dual (lower case)' });
    return out;
  }
  const want = family ?? 'ipv4';
  for (const f of [pod, svc]) {
    const has = fams(f);
    if (!f || f.entries.some((e) => !e.cidr)) continue;
    const ok = want === 'dual' ? has.size === 2 : has.size === 1 && has.has(want === 'ipv6' ? 6 : 4);
    if (!ok) out.push({ rule: 'kind/cidr-invalid', at: f.span, message: `${f.key} ${f.entries.map((e) => e.text).join(',')} does not match ipFamily ${want}${family ? '' : ' (the default)'}: kind fails to create the cluster`, fix: want === 'dual' ? 'give one IPv4 and one IPv6 prefix, comma separated' : `use one IPv${want === 'ipv6' ? 6 : 4} prefix, or set ipFamily: dual` });
  }
  if (want === 'dual') return out;
  if (want === 'ipv6' && !ctx.dualStackFlag) { out.push(choice(famAt, 'kind networking.ipFamily: ipv6')); return out; }
  out.push({ rule: 'kind/not-dual-stack', at: famAt, message: `kind networking.ipFamily is ${family ?? 'unset (ipv4)'}: the cluster will not be dual-stack`, fix: 'set networking.ipFamily: dual (subnets then need one prefix per family)' });
  return out;
};

const capiCluster: DocRule = (doc, ctx) => {
  const out: RawFinding[] = [];
  const pod = read(doc, ['spec', 'clusterNetwork', 'pods', 'cidrBlocks'], 'spec.clusterNetwork.pods.cidrBlocks');
  const svc = read(doc, ['spec', 'clusterNetwork', 'services', 'cidrBlocks'], 'spec.clusterNetwork.services.cidrBlocks');
  malformed('capi/cidr-invalid', pod, out);
  malformed('capi/cidr-invalid', svc, out);
  const v6only = [pod, svc].every((f) => !f || (fams(f).size === 1 && fams(f).has(6))) && (pod || svc);
  if (v6only && !ctx.dualStackFlag) { out.push(choice((pod ?? svc)!.span, 'Cluster API clusterNetwork')); return out; }
  for (const f of [pod, svc]) {
    if (!f || f.entries.length !== 1 || !f.entries[0].cidr) continue;
    out.push({ rule: 'capi/not-dual-stack', at: f.span, message: `${f.key} holds IPv${[...fams(f)][0]} only: the workload cluster will not be dual-stack`, fix: 'list one IPv4 and one IPv6 prefix, e.g. ["10.244.0.0/16", "fd00:10:244::/56"]' });
  }
  return out;
};

export const clusterDocRules: Partial<Record<LintDoc['kind'], DocRule[]>> = {
  'kind-cluster': [kindCluster],
  'capi-cluster': [capiCluster],
};
