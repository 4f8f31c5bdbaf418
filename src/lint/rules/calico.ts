// Calico rules on pools from every form (IPPool, Installation, operator Helm values, calico-node env) and calico-node's IPv6 switches.
import type { DocRule, RunRule, RawFinding, RuleMeta, LintDoc } from '../types';
import { isUla, isGlobalV6 } from '../../model/ip';
import { firstSpan, nodeAt, spanOf } from '../source';
import { calicoPools, calicoNodeEnv, CALICO_KINDS } from '../calico-model';
import { isPlaceholder } from '../interpolate';

export const calicoRules: RuleMeta[] = [
  { id: 'calico/cidr-invalid', severity: 'error', summary: 'a Calico pool cidr (IPPool, Installation, Helm values, CALICO_IPV*POOL_CIDR) that is not a CIDR prefix' },
  { id: 'calico/ipv6-pool-missing', severity: 'warning', summary: 'Calico pools without an enabled IPv6 pool (disabled pools do not count)', gated: true },
  { id: 'calico/nat-outgoing-global', severity: 'warning', summary: 'natOutgoing on an IPv6 pool with a global prefix' },
  { id: 'calico/ula-pool-no-nat', severity: 'info', summary: 'a ULA IPv6 pool without natOutgoing cannot reach the IPv6 internet' },
  { id: 'calico/node-ipv6-incomplete', severity: 'error', summary: 'calico-node env asks for IPv6 but FELIX_IPV6SUPPORT is not "true" or IP6 is not set' },
];

const pools: DocRule = (doc) => {
  const out: RawFinding[] = [];
  for (const p of calicoPools(doc)) {
    if (isPlaceholder(p.text)) continue;
    if (!p.cidr) {
      out.push({ rule: 'calico/cidr-invalid', at: p.cidrSpan, message: `${p.name}: cidr "${p.text}" is not a CIDR prefix`, fix: 'write address/length, e.g. fd00:10:244::/56' });
      continue;
    }
    if (p.cidr.family !== 6 || p.disabled) continue;
    if (p.nat === true && isGlobalV6(p.cidr)) {
      out.push({ rule: 'calico/nat-outgoing-global', at: p.natSpan, message: `${p.name}: natOutgoing on the global prefix ${p.text} hides routable pod addresses behind the node's`, fix: 'turn natOutgoing off and route the prefix to the nodes (BGP or static routes)' });
    } else if (p.nat === false && isUla(p.cidr)) {
      out.push({ rule: 'calico/ula-pool-no-nat', at: p.natSpan, message: `${p.name}: the ULA prefix ${p.text} is not routed on the internet and natOutgoing is off, so pods cannot reach IPv6 destinations outside the cluster`, fix: 'turn natOutgoing on, or use a global prefix routed to the nodes' });
    }
  }
  return out;
};

const isOn = (v?: string) => v !== undefined && v.toLowerCase() === 'true';
const ip6Set = (v?: string) => v !== undefined && v !== '' && v.toLowerCase() !== 'none';

/** calico-node runs IPv6 only with both IP6 (an address or autodetect) and FELIX_IPV6SUPPORT=true. */
function nodeIpv6(doc: LintDoc): { wanted: boolean; on: boolean } {
  const env = calicoNodeEnv(doc);
  const wanted = env.has('CALICO_IPV6POOL_CIDR') || ip6Set(env.get('IP6')?.value) || isOn(env.get('FELIX_IPV6SUPPORT')?.value);
  return { wanted, on: ip6Set(env.get('IP6')?.value) && isOn(env.get('FELIX_IPV6SUPPORT')?.value) };
}

const nodeIncomplete: DocRule = (doc) => {
  const env = calicoNodeEnv(doc);
  const { wanted } = nodeIpv6(doc);
  if (!wanted) return [];
  const out: RawFinding[] = [];
  const span = (name: string) => { const e = env.get(name); const n = e && nodeAt(doc, e.path); return n ? spanOf(n) : firstSpan(doc, ['spec', 'template', 'spec', 'containers']); };
  if (!isOn(env.get('FELIX_IPV6SUPPORT')?.value)) {
    out.push({ rule: 'calico/node-ipv6-incomplete', at: span('FELIX_IPV6SUPPORT'), message: `calico-node is given IPv6 settings but FELIX_IPV6SUPPORT is ${env.has('FELIX_IPV6SUPPORT') ? `"${env.get('FELIX_IPV6SUPPORT')!.value}"` : 'not set (false)'}: Felix programs no IPv6 routes or rules`, fix: 'set FELIX_IPV6SUPPORT to "true" in the calico-node container env' });
  }
  if (!ip6Set(env.get('IP6')?.value)) {
    out.push({ rule: 'calico/node-ipv6-incomplete', at: span(env.has('IP6') ? 'IP6' : env.has('CALICO_IPV6POOL_CIDR') ? 'CALICO_IPV6POOL_CIDR' : 'FELIX_IPV6SUPPORT'), message: `calico-node has ${env.has('IP6') ? 'IP6 "none"' : 'no IP6'}: nodes get no IPv6 address, so no IPv6 pool is used`, fix: 'set IP6 to "autodetect" in the calico-node container env' });
  }
  return out;
};

/** Across the whole run: only IPv4 pools (or calico-node's default IPv4 pool) means pods get no IPv6 address. */
const ipv6PoolMissing: RunRule = (docs) => {
  const calico = docs.filter((d) => CALICO_KINDS.includes(d.kind));
  const all = calico.flatMap((d) => calicoPools(d).filter((p) => !p.disabled && p.cidr).map((p) => ({ d, p })));
  if (all.some((x) => x.p.cidr!.family === 6)) return [];
  if (calico.some((d) => d.kind === 'calico-node' && nodeIpv6(d).on)) return [];
  const v4 = all.find((x) => x.p.cidr!.family === 4);
  const node = calico.find((d) => d.kind === 'calico-node');
  if (!v4 && !node) return [];
  const doc = v4?.d ?? node!;
  return [{
    doc,
    rule: 'calico/ipv6-pool-missing',
    at: v4?.p.cidrSpan ?? firstSpan(doc, ['spec', 'template', 'spec', 'containers'], ['kind']),
    message: v4 ? `Calico pools are IPv4 only (${v4.p.name} ${v4.p.text}; disabled pools not counted): pods get no IPv6 address` : 'calico-node runs with IPv6 off (no IPv6 pool, IP6 and FELIX_IPV6SUPPORT not set): pods get no IPv6 address',
    fix: 'add an IPv6 pool (e.g. fd00:10:244::/56) and set IP6=autodetect and FELIX_IPV6SUPPORT=true on calico-node',
  }];
};

export const calicoDocRules: Partial<Record<LintDoc['kind'], DocRule[]>> = {
  'calico-ippool': [pools],
  'calico-installation': [pools],
  'calico-values': [pools],
  'calico-node': [pools, nodeIncomplete],
};
export const calicoRunRules: RunRule[] = [ipv6PoolMissing];
