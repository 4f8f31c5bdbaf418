// Docker's networks and containers as data: the API shapes we read, the one normalised form, bridge names (pure).
import { containsAddress, isIPv6Address, parseCidr6, v6ToBig } from './ip';

/** The parts of Docker's list answers (GET /networks, GET /containers/json) we use, kept structural so tests pass plain objects. */
export interface ApiNetwork {
  Id: string;
  Name: string;
  Driver?: string;
  Scope?: string;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: Array<{ Subnet?: string; Gateway?: string }> | null } | null;
}
export interface ApiContainer {
  Id: string;
  Names?: string[];
  State?: string;
  /** one entry per host binding; IP is the host address it is bound to ('0.0.0.0' and '::' for a plain -p) */
  Ports?: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string; GlobalIPv6Address?: string; IPv6Gateway?: string }> | null } | null;
}

/** The Linux bridge of a bridge network: its bridge.name option, docker0 for the default bridge, else br-<id>. */
export function bridgeName(n: Pick<ApiNetwork, 'Id' | 'Name' | 'Options'>): string {
  return n.Options?.['com.docker.network.bridge.name'] ?? (n.Name === 'bridge' ? 'docker0' : `br-${n.Id.slice(0, 12)}`);
}

export interface NetworkFacts {
  name: string;
  id: string;
  driver: string;
  scope: string;
  enableIPv6: boolean;
  internal: boolean;
  ipv4Subnets: string[];
  ipv6Subnets: string[];
  gateways: string[];
  /** The Linux bridge for bridge networks (docker0, br-<id>). */
  bridge?: string;
  options: Record<string, string>;
  labels: Record<string, string>;
  containers: number;
}

export interface ContainerFacts {
  id: string;
  name: string;
  state: string;
  networks: Array<{ network: string; ipv4?: string; ipv6?: string; gatewayV6?: string }>;
  ports: Array<{ ip?: string; privatePort: number; publicPort?: number; type: string }>;
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

/** Reconcile's view of Docker: bridge networks with their IPv6 subnets, running containers with their IPv6 addresses. */
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

/** One Docker network in the tool's one normalised form; `containers` counts the containers attached to it. */
export function networkFacts(n: ApiNetwork, containers = 0): NetworkFacts {
  const cfg = n.IPAM?.Config ?? [];
  const subnets = cfg.map((c) => c.Subnet).filter((s): s is string => !!s);
  const driver = n.Driver ?? 'bridge';
  return {
    name: n.Name, id: n.Id, driver, scope: n.Scope ?? 'local',
    enableIPv6: !!n.EnableIPv6, internal: !!n.Internal,
    ipv4Subnets: subnets.filter((s) => !s.includes(':')),
    ipv6Subnets: subnets.filter((s) => s.includes(':')),
    gateways: cfg.map((c) => c.Gateway).filter((g): g is string => !!g),
    bridge: driver === 'bridge' ? bridgeName(n) : undefined,
    options: n.Options ?? {}, labels: n.Labels ?? {}, containers,
  };
}

/** One container in the normalised form. */
export function containerFacts(c: ApiContainer): ContainerFacts {
  return {
    id: c.Id, name: (c.Names?.[0] ?? '').replace(/^\//, ''), state: c.State ?? 'running',
    networks: Object.entries(c.NetworkSettings?.Networks ?? {}).map(([name, n]) => ({ network: name, ipv4: n.IPAddress || undefined, ipv6: n.GlobalIPv6Address || undefined, gatewayV6: n.IPv6Gateway || undefined })),
    ports: (c.Ports ?? []).map((p) => ({ ip: p.IP, privatePort: p.PrivatePort, publicPort: p.PublicPort, type: p.Type })),
  };
}

/** Networks and containers from one list call each, normalised; networks sorted by name, each with its container count. */
export function normaliseDocker(nets: readonly ApiNetwork[], ctrs: readonly ApiContainer[]): { networks: NetworkFacts[]; containers: ContainerFacts[] } {
  const containers = ctrs.map(containerFacts);
  const counts = new Map<string, number>();
  for (const c of containers) for (const n of c.networks) counts.set(n.network, (counts.get(n.network) ?? 0) + 1);
  const networks = nets.map((n) => networkFacts(n, counts.get(n.Name) ?? 0)).sort((a, b) => a.name.localeCompare(b.name));
  return { networks, containers };
}

/** The gateway Docker gave one IPv6 subnet (a bare address; old versions wrote address/length). */
function gatewayIn(subnet: string, gateways: readonly string[]): string | undefined {
  const c = parseCidr6(subnet);
  return gateways.map((g) => g.split('/')[0]).find((g) => g.includes(':') && !!c && containsAddress(c, g));
}

/** Reconcile's view of normalised facts: bridge networks with their IPv6 subnets, running containers with IPv6. */
export function dockerView(networks: readonly NetworkFacts[], containers: readonly ContainerFacts[]): DockerFacts {
  return {
    networks: networks.filter((n) => n.driver === 'bridge').map((n) => ({
      id: n.id, name: n.name, bridge: n.bridge ?? bridgeName({ Id: n.id, Name: n.name, Options: n.options }),
      subnets6: n.ipv6Subnets.map((subnet) => ({ subnet, gateway: gatewayIn(subnet, n.gateways) })),
    })),
    containers: containers.filter((c) => c.state === 'running').map((c) => ({
      id: c.id, name: c.name || c.id.slice(0, 12),
      v6: Object.fromEntries(c.networks.filter((n) => !!n.ipv6).map((n) => [n.network, n.ipv6!])),
      published: c.ports.filter((p) => p.publicPort && opensToWorld(p.ip)).map((p) => ({ port: p.privatePort, proto: p.type as 'tcp' | 'udp' | 'sctp' })),
    })),
  };
}

/** From one GET /networks and one GET /containers/json (running only) to reconcile's view. */
export function dockerFacts(nets: readonly ApiNetwork[], ctrs: readonly ApiContainer[]): DockerFacts {
  const n = normaliseDocker(nets, ctrs);
  return dockerView(n.networks, n.containers);
}
