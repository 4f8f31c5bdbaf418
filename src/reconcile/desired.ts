// Pure: what the host should hold for the saved state and the live Docker networks and containers.
import { catchAllCovers, filterRules, nptRules, renderNatBatch, type FilterNetwork, type NatSource } from '../firewall/batches';
import { NAT_CHAIN } from '../model/names';
import type { LinkInfo } from '../model/net';
import { planSysctls } from '../model/sysctl-plan';
import { addressAt, formatCidr, contains, containsAddress, parseCidr6, type Cidr } from '../model/ip';
import { type Owned } from './owned';
import { isDockerMadeBridge, type CtrFact, type DockerFacts } from '../model/docker';
import { canonical6 } from '../model/ip';

export interface ProxySpec { address: string; ifname: string; /** why it is wanted (logged, not saved) */ why?: string }
/** Only `unreachable` routes: packets to unassigned parts of a routed prefix must not go back upstream. */
export interface RouteSpec { type: 'unreachable'; dst: string }

export interface Desired {
  /** Rules of our chains (undefined: the chains and their jump must not exist). */
  nat?: string[];
  filter?: string[];
  /**
   * Bridges with names of their own (not docker0 / br-*, which the catch-alls close) that the filter lists:
   * the state keeps them, so the boot skeleton closes them before Docker is there to ask.
   */
  bridges?: string[];
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

/**
 * Our networks for NAT and NDP: bridge networks with an IPv6 subnet inside the prefix, internal ones aside
 * (they get nothing from outside: no masquerade, no proxy entry). The filter covers every network.
 */
export function networksInPrefix(owned: Pick<Owned, 'prefix'>, docker: DockerFacts) {
  const prefix = parseCidr6(owned.prefix)!;
  // sorted: Docker lists networks in no stable order, and a reorder must not look like a change
  return docker.networks.filter((n) => !n.internal).flatMap((n) => n.subnets6.map((s) => ({ net: n, ...s, c: parseCidr6(s.subnet) })).filter((x) => !!x.c && contains(prefix, x.c)))
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
 * Our nat chain, one rule set per mode side by side. npt: the 1:1 translation of the whole prefix (networks do
 * not matter). Otherwise each network of the prefix: masqueraded (Docker programs no NAT) or SNATed to the
 * chosen source. With Docker's own NAT on, a network Docker already SNATs to that source (the host_ipv6 option
 * network create set, Docker 25+) needs nothing from us; every other one, the default bridge first, gets our
 * SNAT rule, which decides before Docker's masquerade (our jump is kept above it: diff.ts).
 */
export function desiredNatRules(owned: Pick<Owned, 'prefix'> & Partial<Pick<Owned, 'natByUs' | 'natSource' | 'mode' | 'outsidePrefix' | 'uplink'>>, docker: DockerFacts): string[] {
  const inside = formatCidr(parseCidr6(owned.prefix)!);
  return owned.mode === 'npt' && owned.outsidePrefix && owned.uplink
    ? nptRules(inside, formatCidr(parseCidr6(owned.outsidePrefix)!), owned.uplink)
    : chainRules(renderNatBatch(natSources(owned, docker), {}), NAT_CHAIN);
}

/** The networks of the prefix our nat chain masquerades, or SNATs to the chosen source. */
function natSources(owned: Pick<Owned, 'prefix'> & Partial<Pick<Owned, 'natByUs' | 'natSource'>>, docker: DockerFacts): NatSource[] {
  const to = owned.natSource;
  return networksInPrefix(owned, docker).filter((x) => owned.natByUs || !to || x.net.dockerSnat6 !== to)
    .map((x) => ({ subnet: x.subnet, bridge: x.net.bridge, ...(to ? { to } : {}) }));
}


/**
 * Host interfaces the catch-alls (docker0, br-+) would match that are not Docker's: a `br-lan` uplink, a
 * host bridge a network was pointed at (skipped, see bridgeNotOurs). Forwarding through them stays the
 * admin's. A name Docker itself makes (br-<id>) is never spared, whatever the links say.
 */
export function sparedInterfaces(uplink: string, docker: Pick<DockerFacts, 'networks'>, links: readonly Pick<LinkInfo, 'name'>[]): string[] {
  const listed = new Set(docker.networks.map((n) => n.bridge));
  const names = new Set([uplink, ...links.map((l) => l.name)]);
  return [...names].filter((n) => catchAllCovers(n) && !isDockerMadeBridge(n) && !listed.has(n)).sort();
}

/** The networks as the filter sees them: every listed bridge network, with the ports published on all host addresses. */
export function filterNetworks(docker: DockerFacts): FilterNetwork[] {
  return docker.networks.map((net) => ({
    bridge: net.bridge, internal: !!net.internal,
    published: net.internal ? [] : docker.containers.flatMap((c) => (c.v6[net.name] ? c.published.map((p) => ({ address: c.v6[net.name], ...p })) : [])),
  }));
}

/** D6-INBOUND and D6-FORWARD for every Docker bridge network (closed by construction: firewall/batches.ts forwardRules). */
export function desiredForwardRules(owned: Pick<Owned, 'uplink'> & Partial<Pick<Owned, 'mode'>>, docker: DockerFacts, links: readonly Pick<LinkInfo, 'name'>[] = []): string[] {
  const closedSubnets = (docker.skipped ?? []).filter((x) => x.kind === 'name').flatMap((x) => x.subnets6);
  return filterRules(filterNetworks(docker), { uplink: owned.uplink, spared: sparedInterfaces(owned.uplink, docker, links), closedSubnets, ...(owned.mode === 'npt' ? { translatedOnly: true } : {}) });
}

/** The listed bridges the catch-alls do not cover (the state keeps them for the boot skeleton). */
export function namedBridges(docker: Pick<DockerFacts, 'networks'>): string[] {
  return [...new Set(docker.networks.map((n) => n.bridge).filter((b) => !catchAllCovers(b)))].sort();
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

/**
 * The unreachable routes a mode needs: routed, the prefix (packets to its unassigned parts must not go back
 * upstream); npt, the inside prefix and the outside one too (what the translation does not take in ends here).
 */
export function unreachableRoutes(owned: Pick<Owned, 'mode' | 'prefix' | 'outsidePrefix'>): RouteSpec[] {
  const dst = (p: string): RouteSpec => ({ type: 'unreachable', dst: formatCidr(parseCidr6(p)!) });
  if (owned.mode === 'routed') return [dst(owned.prefix)];
  if (owned.mode === 'npt' && owned.outsidePrefix) return [dst(owned.prefix), dst(owned.outsidePrefix)];
  return [];
}

export function desiredState(owned: Owned | undefined, docker: DockerFacts, sysctls: Record<string, string | undefined>, links: readonly Pick<LinkInfo, 'name'>[] = []): Desired {
  if (!owned) return { routes: [], proxies: [], sysctls: [] };
  return {
    nat: natWanted(owned) ? desiredNatRules(owned, docker) : undefined,
    filter: owned.filterByUs ? desiredForwardRules(owned, docker, links) : undefined,
    ...(owned.filterByUs ? { bridges: namedBridges(docker) } : {}),
    routes: unreachableRoutes(owned),
    proxies: owned.mode === 'ndp' ? desiredProxies(owned, docker) : [],
    // only raising what enable set: the values the host needs (disable puts the originals back)
    sysctls: planSysctls(sysctls, owned.uplink, owned.mode).filter((c) => c.from !== undefined).map(({ key, to, why }) => ({ key, to, why })),
  };
}
