// Address-plan rules on every IPv6 prefix a file names: fc00::/8 for ULA, unassigned space, documentation and copied example prefixes.
import { visit, isScalar, type Node, type Scalar } from 'yaml';
import type { DocRule, RawFinding, RuleMeta, LintDoc, Span } from '../types';
import { parseCidr, contains, overlaps, formatCidr, classifyV6, type Cidr6 } from '../../model/ip';
import { derivedUla, textDigest } from '../derived-ula';
import { nodeAt, spanOf, embeddedJson } from '../source';
import { interpolate } from '../interpolate';

export const planRules: RuleMeta[] = [
  { id: 'plan/fc00-not-ula', severity: 'warning', summary: 'a prefix in fc00::/8, the undefined half of fc00::/7: RFC 4193 local prefixes are fd00::/8' },
  { id: 'plan/reserved-space', severity: 'error', summary: 'an IPv6 prefix in space IANA has not assigned (outside 2000::/3, fc00::/7, fe80::/10, ff00::/8 and the special ranges)' },
  { id: 'plan/documentation-prefix', severity: 'warning', summary: 'a documentation prefix (2001:db8::/32, 3fff::/20) used as a real subnet or pool' },
  { id: 'plan/copied-example-prefix', severity: 'warning', summary: 'a prefix copied verbatim from well-known docs (2001:db8:1::/64, fd00::/80, 2001:3984:3989::/64)' },
];

const P = (s: string) => parseCidr(s) as Cidr6;
/** Space with a meaning: global unicast, ULA, link-local, multicast, and the special-purpose ranges inside ::/8. */
const ASSIGNED = ['2000::/3', 'fc00::/7', 'fe80::/10', 'ff00::/8', '::/128', '::1/128', '::ffff:0:0/96', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64'].map(P);
const FC00 = P('fc00::/8');
const DOCS = [P('2001:db8::/32'), P('3fff::/20')];
/** Prefixes that travel from docs into real configs: Docker's docs, and the /80 of the common Docker IPv6 guides. */
const COPIED: Array<{ cidr: Cidr6; from: string; exact: boolean }> = [
  { cidr: P('2001:db8:1::/64'), from: "Docker's daemon.json example (fixed-cidr-v6)", exact: true },
  { cidr: P('fd00::/80'), from: 'the common Docker IPv6 guides (fixed-cidr-v6: fd00::/80)', exact: true },
  { cidr: P('2001:3984:3989::/48'), from: "Docker's old Compose networking docs (someone else's global prefix)", exact: false },
];

interface Hit { text: string; cidr: Cidr6; at: Span }

/** Kinds where a prefix is handed out (subnets, pools, cluster CIDRs), not only matched (policies, source ranges). */
const ASSIGNING = new Set<LintDoc['kind']>(['compose', 'kubeadm', 'calico-ippool', 'calico-node', 'calico-installation', 'calico-values', 'flannel-configmap', 'flannel-netconf', 'cilium-values', 'kind-cluster', 'capi-cluster', 'cni-config']);

function check(doc: LintDoc, h: Hit, assigning: boolean): RawFinding | undefined {
  const c = h.cidr;
  const copied = COPIED.find((x) => (x.exact ? x.cidr.start === c.start && x.cidr.length === c.length : contains(x.cidr, c)));
  // one suggestion per file and flagged prefix, the same on every run (a fresh random one made runs differ)
  const ula = () => { const g = derivedUla(doc.file, textDigest(doc.lineCounter, doc.text), h.text); return c.length >= 48 ? formatCidr({ network: g.network, length: c.length }) : formatCidr(g); };
  if (copied && assigning) return { rule: 'plan/copied-example-prefix', at: h.at, message: `${h.text} is copied from ${copied.from}: every copy of the example collides with the others${classifyV6(c) === 'ula' ? '' : ', and it is not yours to route'}`, fix: `use a prefix of your own: from your provider, or a random RFC 4193 ULA such as ${ula()}` };
  if (DOCS.some((d) => contains(d, c))) return !assigning ? undefined : { rule: 'plan/documentation-prefix', at: h.at, message: `${h.text} is documentation space (RFC 3849/9637): fine in examples, but it is never routed, so used for real it breaks IPv6 reachability`, fix: `use your provider's prefix, or a random RFC 4193 ULA such as ${ula()}` };
  if (c.length >= 8 && contains(FC00, c)) return { rule: 'plan/fc00-not-ula', at: h.at, message: `${h.text} is in fc00::/8, which RFC 4193 leaves undefined: local prefixes are fd00::/8 with a random 40-bit ID`, fix: `use a random fd00::/8 prefix such as ${ula()} (docker ipv6 makes one per host)` };
  if (!ASSIGNED.some((a) => overlaps(a, c))) return { rule: 'plan/reserved-space', at: h.at, message: `${h.text} lies in IPv6 space that is not assigned for use (not global unicast 2000::/3, not ULA fc00::/7): routers and hosts may treat it unpredictably`, fix: `use your provider's prefix or a random RFC 4193 ULA such as ${ula()}` };
  return undefined;
}

/** IPv6 prefixes in a scalar: one value or a comma list ("10.244.0.0/16,fd00::/56"); Compose values interpolated. */
function prefixes(doc: LintDoc, raw: string, at: Span): Hit[] {
  let text = raw;
  if (doc.kind === 'compose' && text.includes('$')) { const r = interpolate(text, doc.env ?? {}); if (!r.ok) return []; text = r.value; }
  if (!text.includes('/') || !text.includes(':')) return [];
  return text.split(',').map((t) => t.trim()).flatMap((t) => { const c = parseCidr(t); return c?.family === 6 ? [{ text: t, cidr: c as Cidr6, at }] : []; });
}

const plan: DocRule = (doc) => {
  const hits: Hit[] = [];
  const root = doc.base.length ? nodeAt(doc, []) : (doc.doc.contents as Node | null);
  if (!root) return [];
  visit(root, { Scalar: (_k, n: Scalar) => { if (typeof n.value === 'string') hits.push(...prefixes(doc, n.value, spanOf(n))); } });
  if (doc.kind === 'flannel-configmap') {
    const node = nodeAt(doc, ['data', 'net-conf.json']);
    if (isScalar(node)) {
      const j = embeddedJson(doc.text, node);
      for (const key of ['IPv6Network']) if (j.value && typeof j.value[key] === 'string') hits.push(...prefixes(doc, j.value[key], j.spanOf([key])));
    }
  }
  return hits.map((h) => check(doc, h, ASSIGNING.has(doc.kind))).filter((f): f is RawFinding => !!f);
};

export const PLAN_KINDS = ['compose', 'kubeadm', 'k8s-service', 'k8s-networkpolicy', 'k8s-other', 'calico-ippool', 'calico-node', 'calico-installation', 'calico-values', 'flannel-configmap', 'flannel-netconf', 'cilium-values', 'kind-cluster', 'capi-cluster', 'cni-config'] as const;
export const planDocRules: Partial<Record<LintDoc['kind'], DocRule[]>> = Object.fromEntries(PLAN_KINDS.map((k) => [k, [plan]]));
