// How a network's IPv6 reaches outside, decided from the snapshot alone (pure).
import { NAT_CHAIN } from '../model/names';
import { nptRules } from '../firewall/batches';
import { dockerMasqOf, ruleTokens } from '../model/ip6tables-save';
import { parseRuleLine } from '../model/fw-rule';
import { cidrKey, classifyV6, contains, parseCidr6 } from '../model/ip';
import type { HostSnapshot } from './snapshot';
import type { NetworkFacts } from '../model/docker';

export type Outside = 'no-ipv6' | 'nat-docker' | 'nat-ours' | 'routed' | 'ndp' | 'npt' | 'npt-missing' | 'none' | 'unknown' | 'internal';

export const OUTSIDE_TEXT: Record<Outside, string> = {
  'no-ipv6': 'no IPv6',
  'nat-docker': 'NAT66 by Docker',
  'nat-ours': 'NAT66 by docker-ipv6',
  routed: 'routed',
  ndp: 'NDP proxy',
  npt: 'NPTv6 (1:1 to the outside prefix)',
  'npt-missing': 'NPTv6, but the translation is missing',
  none: 'none (ULA without NAT)',
  unknown: 'global, upstream route unknown',
  internal: 'internal (no outside path)',
};


/** Sources our own nat chain translates (masquerade, or SNAT to the chosen source). */
export function ourMasquerades(snap: Pick<HostSnapshot, 'firewall'>): string[] {
  const out: string[] = [];
  for (const line of snap.firewall.tables.nat?.rules ?? []) {
    const t = ruleTokens(line);
    if (t[1] !== NAT_CHAIN || !(t.includes('MASQUERADE') || t.includes('SNAT'))) continue;
    const s = t.indexOf('-s');
    if (s > 0) out.push(t[s + 1]);
  }
  return out;
}

/** The chosen source our nat chain SNATs to (enable --nat-source), as the firewall shows it: one address for every rule. */
export function ourSnatSource(snap: Pick<HostSnapshot, 'firewall'>): string | undefined {
  for (const line of snap.firewall.tables.nat?.rules ?? []) {
    const r = parseRuleLine(line);
    if (r?.chain === NAT_CHAIN && r.target === 'SNAT' && r.toSource) return r.toSource;
  }
  return undefined;
}

/**
 * Masqueraded sources per nat table, parsed once per table: re-parsing every rule per network cost
 * ~150 ms for 100 networks x 100 rules (measured by doctor on a lab with 103 networks).
 */
const natIndex = new WeakMap<object, { count: number; docker: Set<string>; ours: Set<string> }>();

function masqueradeIndex(snap: Pick<HostSnapshot, 'firewall'>) {
  const nat = snap.firewall.tables.nat ?? { chains: {}, rules: [] };
  let idx = natIndex.get(nat);
  if (!idx || idx.count !== nat.rules.length) {
    const tables = { nat };
    idx = {
      count: nat.rules.length,
      // Docker's own, as the adapter found them (with Docker's nftables backend they are not in any ip6tables table)
      docker: new Set(dockerMasqOf({ ...snap.firewall, tables }).map((m) => cidrKey(m.source))),
      ours: new Set(ourMasquerades({ firewall: { ...snap.firewall, tables } }).map(cidrKey)),
    };
    natIndex.set(nat, idx);
  }
  return idx;
}

/** npt: our translation of the saved prefix to the saved outside prefix is in the nat table, both ways. */
function nptMapped(snap: Pick<HostSnapshot, 'firewall' | 'state'>): boolean {
  const s = snap.state;
  if (!s?.prefix || !s.outsidePrefix || !s.uplink) return false;
  const rules = snap.firewall.tables.nat?.rules ?? [];
  return nptRules(s.prefix, s.outsidePrefix, s.uplink).every((r) => rules.includes(r));
}

export function classifyOutside(net: NetworkFacts, snap: Pick<HostSnapshot, 'firewall' | 'state'>): Outside {
  if (!net.enableIPv6 || net.ipv6Subnets.length === 0) return 'no-ipv6';
  if (net.internal) return 'internal';
  const subnet = net.ipv6Subnets[0];
  const idx = masqueradeIndex(snap);
  if (idx.docker.has(cidrKey(subnet))) return 'nat-docker';
  if (idx.ours.has(cidrKey(subnet))) return 'nat-ours';
  const c = parseCidr6(subnet);
  const prefix = snap.state?.prefix ? parseCidr6(snap.state.prefix) : undefined;
  if (c && prefix && contains(prefix, c)) {
    if (snap.state?.mode === 'npt') return nptMapped(snap) ? 'npt' : 'npt-missing';
    if (snap.state?.mode === 'routed') return 'routed';
    if (snap.state?.mode === 'ndp') return 'ndp';
  }
  if (c && classifyV6(c) === 'ula') return 'none';
  return 'unknown';
}
