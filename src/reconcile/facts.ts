// The facts a reconcile pass works from: Docker's networks and containers, the host's firewall, routes, proxies, state.
import type { ParsedRuleset } from '../model/ip6tables-save';
import type { LinkInfo, ProxyEntry, RouteInfo } from '../host/netlink';
import type { Mode, ToolState } from '../model/state';
import { bridgeName, opensToWorld, type ApiContainer, type ApiNetwork } from '../model/docker';

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

/** From one GET /networks and one GET /containers/json (running only) to plain facts. */
export function dockerFacts(nets: ApiNetwork[], ctrs: ApiContainer[]): DockerFacts {
  const networks = nets.filter((n) => (n.Driver ?? 'bridge') === 'bridge').map((n) => ({
    id: n.Id, name: n.Name, bridge: bridgeName(n),
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
