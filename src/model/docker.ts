// Docker's networks and containers as data: the API shapes we read, the one normalised form, bridge names (pure).
import { isIPv6Address, v6ToBig } from './ip';

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
