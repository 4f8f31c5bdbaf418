// What becomes of the networks the prefix does not hold, and of those the filter leaves out (pure): enable's
// plan says it before anything changes, doctor says it again as findings.
import { contains, formatCidr, parseCidr6, type Cidr6 } from './ip';
import type { DockerFacts, NetworkFacts } from './docker';
import type { Mode } from './state';

export interface NetworkFate { network: string; kind: 'outside' | 'name' | 'host'; text: string }

export function networkFates(view: DockerFacts, facts: readonly Pick<NetworkFacts, 'name' | 'ipv6Subnets'>[], prefix: Cidr6, mode: Mode): NetworkFate[] {
  const out: NetworkFate[] = [];
  const v6 = new Map(facts.map((n) => [n.name, n.ipv6Subnets]));
  for (const n of view.networks) {
    const subnets = v6.get(n.name) ?? [];
    if (n.name === 'bridge' || !subnets.length || subnets.some((s) => { const c = parseCidr6(s); return !!c && contains(prefix, c); })) continue;
    out.push({
      network: n.name, kind: 'outside',
      text: mode === 'nat'
        ? `network ${n.name} (${subnets.join(', ')}) is outside ${formatCidr(prefix)}: Docker keeps NATing and filtering it itself`
        : `network ${n.name} (${subnets.join(', ')}) is outside ${formatCidr(prefix)}: docker-ipv6 gives it no route, NAT or NDP entry, and closes it like every Docker network: ${n.internal ? 'nothing reaches or leaves it (internal)' : 'only replies, the ICMPv6 errors, echo requests and ports published on all addresses reach its containers, and only if something routes its subnet to this host'}`,
    });
  }
  // in nat mode Docker filters every network itself: nothing is left out of a filter of ours
  if (mode === 'nat') return out;
  for (const n of view.skipped ?? []) {
    out.push({
      network: n.name, kind: n.kind,
      text: n.kind === 'name'
        ? `network ${n.name} is left out of every rule: its bridge name ${JSON.stringify(n.bridge)} is unusable (${n.problem}); its subnets ${n.subnets6.join(', ') || '(none with IPv6)'} are closed by address instead`
        : `network ${n.name} is left out of every rule: ${n.problem}; its forwarding is yours (docker-ipv6 drops nothing there), so its containers are as reachable as the rest of ${n.bridge}`,
    });
  }
  return out;
}
