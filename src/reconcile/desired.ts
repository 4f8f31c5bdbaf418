// Pure: what the host should hold for the saved state and the live Docker networks and containers.
import { renderForwardBatch, renderNatBatch, type RoutedNetwork } from '../firewall/batches';
import { FORWARD_CHAIN, NAT_CHAIN } from '../model/names';
import { planSysctls } from '../model/sysctl-plan';
import { addressAt, formatCidr, contains, containsAddress, parseCidr6, type Cidr } from '../model/ip';
import { type Owned } from './owned';
import { type CtrFact, type DockerFacts } from '../model/docker';
import { canonical6 } from '../model/ip';

export interface ProxySpec { address: string; ifname: string; /** why it is wanted (logged, not saved) */ why?: string }
/** Only `unreachable` routes: packets to unassigned parts of a routed prefix must not go back upstream. */
export interface RouteSpec { type: 'unreachable'; dst: string }

export interface Desired {
  /** Rules of our chain (undefined: the chain and its jump must not exist). */
  nat?: string[];
  filter?: string[];
  routes: RouteSpec[];
  proxies: ProxySpec[];
  /** sysctl key -> value (forwarding, accept_ra, proxy_ndp) */
  sysctls: Array<{ key: string; to: string; why: string }>;
}

export function routeKey(r: RouteSpec): string {
  return `${r.type} ${r.dst}`;
}

export function parseRouteKey(s: string): RouteSpec | undefined {
  const m = /^unreachable (\S+)$/.exec(s);
  const c = m ? parseCidr6(m[1]) : undefined;
  return c ? { type: 'unreachable', dst: formatCidr(c) } : undefined;
}

/** Our networks: bridge networks with an IPv6 subnet inside the prefix. */
export function networksInPrefix(owned: Pick<Owned, 'prefix'>, docker: DockerFacts) {
  const prefix = parseCidr6(owned.prefix)!;
  // sorted: Docker lists networks in no stable order, and a reorder must not look like a change
  return docker.networks.flatMap((n) => n.subnets6.map((s) => ({ net: n, ...s, c: parseCidr6(s.subnet) })).filter((x) => !!x.c && contains(prefix, x.c)))
    .sort((a, b) => (a.c!.start < b.c!.start ? -1 : a.c!.start > b.c!.start ? 1 : a.net.bridge.localeCompare(b.net.bridge)))
    .map(({ c: _c, ...x }) => x);
}

function chainRules(batch: string, chain: string): string[] {
  return batch.split('\n').filter((l) => l.startsWith(`-A ${chain} `));
}

/** Whether our nat chain is wanted: Docker programs no NAT (we masquerade), or egress leaves with a chosen source. */
export function natWanted(owned: Partial<Pick<Owned, 'natByUs' | 'natSource'>>): boolean {
  return !!owned.natByUs || !!owned.natSource;
}

/**
 * Our nat chain: every subnet of the prefix masqueraded (Docker programs no NAT) or SNATed to the chosen source.
 * With Docker's own NAT on, a network Docker already SNATs to that source (the host_ipv6 option network create
 * set, Docker 25+) needs nothing from us; every other one, the default bridge first, gets our SNAT rule, which
 * decides before Docker's masquerade (our jump is kept above it: diff.ts).
 */
export function desiredNatRules(owned: Pick<Owned, 'prefix' | 'natByUs' | 'natSource'>, docker: DockerFacts): string[] {
  const to = owned.natSource;
  const nets = networksInPrefix(owned, docker).filter((x) => owned.natByUs || !to || x.net.dockerSnat6 !== to);
  return chainRules(renderNatBatch(nets.map((x) => ({ subnet: x.subnet, bridge: x.net.bridge, ...(to ? { to } : {}) })), {}), NAT_CHAIN);
}

export function desiredForwardRules(owned: Pick<Owned, 'prefix'>, docker: DockerFacts): string[] {
  const nets: RoutedNetwork[] = networksInPrefix(owned, docker).map(({ net, subnet }) => ({
    subnet, bridge: net.bridge,
    published: docker.containers.flatMap((c) => (c.v6[net.name] ? c.published.map((p) => ({ address: c.v6[net.name], ...p })) : []))
      .filter((p, i, all) => all.findIndex((q) => q.address === p.address && q.port === p.port && q.proto === p.proto) === i),
  }));
  return chainRules(renderForwardBatch(formatCidr(parseCidr6(owned.prefix)!), nets, {}), FORWARD_CHAIN);
}

/**
 * Addresses of these running containers on our networks: bridge networks of `docker` with a subnet inside
 * the prefix, and only addresses inside that subnet. A macvlan or ipvlan container holds its address on the
 * uplink's own link (it answers for itself): a proxy entry for it would make the host claim it too.
 */
export function containerProxies(owned: Pick<Owned, 'prefix' | 'uplink'>, docker: DockerFacts, ctrs: readonly CtrFact[]): ProxySpec[] {
  const subnets = new Map<string, Cidr[]>();
  for (const { net, subnet } of networksInPrefix(owned, docker)) subnets.set(net.name, [...(subnets.get(net.name) ?? []), parseCidr6(subnet)!]);
  const out = new Map<string, string>();
  for (const c of ctrs) {
    for (const [net, a] of Object.entries(c.v6)) {
      if ((subnets.get(net) ?? []).some((s) => containsAddress(s, a)) && !out.has(canonical6(a))) out.set(canonical6(a), `container ${c.name} runs on network ${net}`);
    }
  }
  return [...out.entries()].map(([address, why]) => ({ address, ifname: owned.uplink, why }));
}

/** Gateways of the bridge networks inside the prefix and addresses of the running containers on them. */
export function desiredProxies(owned: Pick<Owned, 'prefix' | 'uplink'>, docker: DockerFacts): ProxySpec[] {
  const out = new Map<string, string>();
  for (const { net, subnet, gateway } of networksInPrefix(owned, docker)) out.set(canonical6(gateway ?? addressAt(parseCidr6(subnet)!, 1n)), `gateway of network ${net.name}`);
  for (const p of containerProxies(owned, docker, docker.containers)) if (!out.has(p.address)) out.set(p.address, p.why!);
  return [...out.keys()].sort().map((address) => ({ address, ifname: owned.uplink, why: out.get(address) }));
}

export function desiredState(owned: Owned | undefined, docker: DockerFacts, sysctls: Record<string, string | undefined>): Desired {
  if (!owned) return { routes: [], proxies: [], sysctls: [] };
  return {
    nat: natWanted(owned) ? desiredNatRules(owned, docker) : undefined,
    filter: owned.filterByUs ? desiredForwardRules(owned, docker) : undefined,
    routes: owned.mode === 'routed' ? [{ type: 'unreachable', dst: formatCidr(parseCidr6(owned.prefix)!) }] : [],
    proxies: owned.mode === 'ndp' ? desiredProxies(owned, docker) : [],
    // only raising what enable set: the values the host needs (disable puts the originals back)
    sysctls: planSysctls(sysctls, owned.uplink, owned.mode).filter((c) => c.from !== undefined).map(({ key, to, why }) => ({ key, to, why })),
  };
}
