// Derives the prefix-relevant facts (host addresses, routes, on-link prefixes, Docker subnets) from a snapshot (pure).
import type { HostSnapshot } from './snapshot';
import type { NetworkFacts } from '../model/docker';
import { classifyV6, contains, parseCidr6, type Cidr6 } from '../model/ip';
import type { OutsideFacts } from '../model/npt';

export interface PrefixFacts {
  /** the host's own addresses with their on-link lengths ("2001:db8:1::2/64") */
  hostAddresses: string[];
  /** the host's IPv6 routes (not default, not link-local) */
  hostRoutes: string[];
  /** the uplink's on-link prefixes (from its global addresses) */
  uplinkPrefixes: string[];
  /** IPv6 subnets of existing Docker networks, with the network names */
  dockerSubnets: Array<{ network: string; subnet: string }>;
  /** IPv6 bases of default-address-pools already configured (not ours) */
  pools: string[];
  /** global next hops of the host's IPv6 routes (its routers) */
  gateways?: string[];
}

/** What the facts are derived from: a whole snapshot, or only a netlink read and the uplink (renumbering asks Docker nothing). */
export interface PrefixSources {
  host: Pick<HostSnapshot['host'], 'net' | 'uplink'>;
  networks: ReadonlyArray<Pick<NetworkFacts, 'name' | 'bridge' | 'ipv6Subnets'>>;
  daemonConfig: Pick<HostSnapshot['daemonConfig'], 'value'>;
}

function isDockerBridge(snap: PrefixSources, ifname?: string): boolean {
  return !!ifname && (snap.networks.some((n) => n.bridge === ifname) || /^(docker0|br-[0-9a-f]{12}|veth)/.test(ifname));
}

/** `own` is our saved prefix: networks and addresses inside it are ours, not conflicts. */
export function prefixFacts(snap: PrefixSources, own?: Cidr6): PrefixFacts {
  const net = snap.host.net;
  const usable = (a: { family: number; scope: number; address: string }) => a.family === 6 && a.scope === 0 && classifyV6(parseCidr6(a.address)!) !== 'loopback';
  const mine = (s: string) => !!own && contains(own, parseCidr6(s)!);
  const addrs = (net?.addresses ?? []).filter((a) => usable(a) && !isDockerBridge(snap, a.ifname));
  const uplinkPrefixes = addrs
    .filter((a) => a.ifname === snap.host.uplink && a.prefixlen < 128)
    .map((a) => { const c = parseCidr6(`${a.address}/${a.prefixlen}`)!; return `${c.network}/${c.length}`; });
  const hostRoutes = (net?.routes ?? [])
    .filter((r) => r.family === 6 && r.table === 254 && r.dst !== '::/0' && r.type === 'UNICAST')
    .filter((r) => !isDockerBridge(snap, r.ifname) && classifyV6(parseCidr6(r.dst)!) !== 'link-local' && !mine(r.dst))
    .map((r) => r.dst);
  const pools = Array.isArray(snap.daemonConfig.value?.['default-address-pools'])
    ? (snap.daemonConfig.value!['default-address-pools'] as Array<{ base?: unknown }>)
      .map((p) => p.base).filter((b): b is string => typeof b === 'string' && b.includes(':') && !mine(b))
    : [];
  const gateways = (net?.routes ?? [])
    .filter((r) => r.family === 6 && r.gateway && classifyV6(parseCidr6(r.gateway)!) !== 'link-local')
    .map((r) => r.gateway!);
  return {
    gateways: [...new Set(gateways)],
    hostAddresses: addrs.map((a) => `${a.address}/${a.prefixlen}`),
    hostRoutes,
    uplinkPrefixes,
    // the default bridge's subnet is the one enable sets anew: never a conflict
    dockerSubnets: snap.networks.filter((n) => n.name !== 'bridge').flatMap((n) => n.ipv6Subnets.filter((s) => !mine(s)).map((subnet) => ({ network: n.name, subnet }))),
    pools,
  };
}

/** What an outside prefix (npt) is judged on (model/npt.ts judgeOutside): enable and recover --rebuild-state alike. */
export function outsideFacts(f: PrefixFacts): OutsideFacts {
  return { uplinkPrefixes: f.uplinkPrefixes, hostAddresses: f.hostAddresses, gateways: f.gateways ?? [] };
}

/** A global (scope 0) address of the uplink that is not inside the prefix: the next hop upstream routes to. */
export function uplinkAddress(snap: Pick<PrefixSources, 'host'>, prefix: Cidr6): string | undefined {
  return snap.host.net?.addresses.find((a) => a.family === 6 && a.scope === 0 && a.ifname === snap.host.uplink && !contains(prefix, parseCidr6(a.address)!))?.address;
}
