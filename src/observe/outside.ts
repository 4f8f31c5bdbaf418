// How a network's IPv6 reaches outside, decided from the snapshot alone (pure).
import { NAT_CHAIN } from '../firewall/names';
import { dockerMasquerades, ruleTokens } from '../host/ip6tables';
import { classifyV6, contains, parseCidr6 } from '../util/ip';
import type { HostSnapshot, NetworkFacts } from './snapshot';

export type Outside = 'no-ipv6' | 'nat-docker' | 'nat-ours' | 'routed' | 'ndp' | 'none' | 'unknown' | 'internal';

export const OUTSIDE_TEXT: Record<Outside, string> = {
  'no-ipv6': 'no IPv6',
  'nat-docker': 'NAT66 by Docker',
  'nat-ours': 'NAT66 by docker-ipv6',
  routed: 'routed',
  ndp: 'NDP proxy',
  none: 'none (ULA without NAT)',
  unknown: 'global, upstream route unknown',
  internal: 'internal (no outside path)',
};

function sameCidr(a: string, b: string): boolean {
  const x = parseCidr6(a);
  const y = parseCidr6(b);
  return !!x && !!y && x.start === y.start && x.length === y.length;
}

/** Sources masqueraded in our own nat chain. */
export function ourMasquerades(snap: Pick<HostSnapshot, 'firewall'>): string[] {
  const out: string[] = [];
  for (const line of snap.firewall.tables.nat?.rules ?? []) {
    const t = ruleTokens(line);
    if (t[1] !== NAT_CHAIN || !t.includes('MASQUERADE')) continue;
    const s = t.indexOf('-s');
    if (s > 0) out.push(t[s + 1]);
  }
  return out;
}

export function classifyOutside(net: NetworkFacts, snap: Pick<HostSnapshot, 'firewall' | 'state'>): Outside {
  if (!net.enableIPv6 || net.ipv6Subnets.length === 0) return 'no-ipv6';
  if (net.internal) return 'internal';
  const subnet = net.ipv6Subnets[0];
  if (dockerMasquerades(snap.firewall.tables).some((m) => sameCidr(m.source, subnet))) return 'nat-docker';
  if (ourMasquerades(snap).some((s) => sameCidr(s, subnet))) return 'nat-ours';
  const c = parseCidr6(subnet);
  const prefix = snap.state?.prefix ? parseCidr6(snap.state.prefix) : undefined;
  if (c && prefix && contains(prefix, c)) {
    if (snap.state?.mode === 'routed') return 'routed';
    if (snap.state?.mode === 'ndp') return 'ndp';
  }
  if (c && classifyV6(c) === 'ula') return 'none';
  return 'unknown';
}
