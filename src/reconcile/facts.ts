// The facts a reconcile pass works from: Docker's networks and containers, the host's firewall, routes, proxies, state.
import type { ParsedRuleset } from '../host/ip6tables';
import type { LinkInfo, ProxyEntry, RouteInfo } from '../host/netlink';
import type { Mode, ToolState } from '../state/store';
import { bigToV6, isIPv6Address, v6ToBig } from '../model/ip';

export interface NetFact { id: string; name: string; bridge: string; subnets6: Array<{ subnet: string; gateway?: string }> }
export interface CtrFact {
  id: string;
  name: string;
  /** network name -> the container's global IPv6 address on it */
  v6: Record<string, string>;
  /** ports published where the world can reach them (see opensToWorld): only these get a filter rule */
  published: Array<{ port: number; proto: 'tcp' | 'udp' | 'sctp' }>;
}
export interface DockerFacts { networks: NetFact[]; containers: CtrFact[] }

/** What the saved state says we own and how (undefined: not enabled, we own nothing but leftovers). */
export interface Owned { prefix: string; mode: Mode; uplink: string; natByUs: boolean; filterByUs: boolean }

export interface Observed {
  docker: DockerFacts;
  tables: ParsedRuleset;
  links: LinkInfo[];
  routes: RouteInfo[];
  proxies: ProxyEntry[];
  sysctls: Record<string, string | undefined>;
  state?: ToolState;
}

/** The parts of dockerode's list answers we use (kept structural so tests pass plain objects). */
export interface ApiNetwork { Id: string; Name: string; Driver?: string; Options?: Record<string, string>; IPAM?: { Config?: Array<{ Subnet?: string; Gateway?: string }> | null } | null }
export interface ApiContainer {
  Id: string;
  Names?: string[];
  State?: string;
  /** one entry per host binding; IP is the host address it is bound to ('0.0.0.0' and '::' for a plain -p) */
  Ports?: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
  NetworkSettings?: { Networks?: Record<string, { GlobalIPv6Address?: string }> };
}

export function bridgeOf(n: ApiNetwork): string {
  return n.Options?.['com.docker.network.bridge.name'] ?? (n.Name === 'bridge' ? 'docker0' : `br-${n.Id.slice(0, 12)}`);
}

/** Canonical text of an IPv6 address (Docker and netlink may spell one address differently). */
export function canonical6(addr: string): string {
  return bigToV6(v6ToBig(addr.split('/')[0]));
}

/**
 * Whether a port binding on this host address makes the container port a world-reachable service, so
 * D6-FORWARD may let the world reach it on the container's own address: a binding on all addresses
 * ('', '::', '0.0.0.0'), or on a global IPv6 address of the host (Docker can only bind addresses the
 * host holds, so a global-scope IPv6 binding is one). Loopback, link-local and specific IPv4
 * addresses (127.0.0.1, 192.0.2.5) publish for those addresses only: the container stays closed.
 */
export function opensToWorld(hostIp: string | undefined): boolean {
  const ip = (hostIp ?? '').replace(/^\[|\]$/g, '');
  if (ip === '' || ip === '::' || ip === '0.0.0.0') return true;
  if (!ip.includes(':') || !isIPv6Address(ip)) return false;
  const n = v6ToBig(ip);
  const top = (bits: number) => n >> BigInt(128 - bits);
  if (n <= 1n) return false; // ::1 (and :: handled above)
  if (top(96) === 0xffffn) return false; // ::ffff:a.b.c.d, an IPv4 address
  if (top(10) === 0x3fan) return false; // fe80::/10 link-local
  if (top(8) === 0xffn) return false; // multicast
  return true;
}

/** From one GET /networks and one GET /containers/json (running only) to plain facts. */
export function dockerFacts(nets: ApiNetwork[], ctrs: ApiContainer[]): DockerFacts {
  const networks = nets.filter((n) => (n.Driver ?? 'bridge') === 'bridge').map((n) => ({
    id: n.Id, name: n.Name, bridge: bridgeOf(n),
    subnets6: (n.IPAM?.Config ?? []).filter((c) => c.Subnet?.includes(':')).map((c) => ({ subnet: c.Subnet!, gateway: c.Gateway?.split('/')[0] || undefined })),
  }));
  const containers = ctrs.filter((c) => !c.State || c.State === 'running').map((c) => ({
    id: c.Id, name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    v6: Object.fromEntries(Object.entries(c.NetworkSettings?.Networks ?? {}).filter(([, v]) => !!v.GlobalIPv6Address).map(([k, v]) => [k, v.GlobalIPv6Address!])),
    published: (c.Ports ?? []).filter((p) => p.PublicPort && opensToWorld(p.IP)).map((p) => ({ port: p.PrivatePort, proto: p.Type as 'tcp' | 'udp' | 'sctp' })),
  }));
  return { networks, containers };
}

export function ownedFrom(state: ToolState | undefined): Owned | undefined {
  const en = state?.enabled;
  if (!en || !state?.prefix || !state.mode || !state.uplink) return undefined;
  return { prefix: state.prefix, mode: state.mode, uplink: state.uplink, natByUs: en.natByUs, filterByUs: en.filterByUs };
}
