// Docker's address pools and how a host prefix is cut into network subnets: default pools, subnet length, bridge subnet (pure).
import { formatCidr, nthSubnet, type Cidr6 } from './ip';

/** Docker's built-in local IPv4 pools (moby ipamutils), kept when we add the first explicit pool. */
export const DOCKER_DEFAULT_V4_POOLS = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

export interface Pool { base: string; size: number }

/**
 * The length of the subnets handed to networks: /64 from a /48../56 prefix (the usual case), and
 * for longer prefixes (a routed /64, an NDP part of an on-link /64) 8 bits more, so there is
 * always room for 256 networks and for containers (Docker's IPAM stops at /120).
 */
export function subnetLength(prefix: Cidr6): number {
  return Math.min(120, Math.max(64, prefix.length + 8));
}

/**
 * IPv6 pools covering the prefix except its first subnet (the default bridge's fixed-cidr-v6): one
 * block per bit. Docker 20.10 refuses to allocate from a pool that overlaps fixed-cidr-v6, so the
 * bridge's subnet must not sit inside any pool.
 */
export function v6PoolsFor(prefix: Cidr6): Pool[] {
  const size = subnetLength(prefix);
  const out: Pool[] = [];
  for (let len = size; len > prefix.length; len--) {
    const block = nthSubnet(prefix, len, 1n);
    out.push({ base: formatCidr(block), size });
  }
  return out.reverse();
}

/**
 * Docker before 27.0 hands out only the first subnet of each IPv6 pool entry (measured on 20.10 and
 * 26.1: the 17th `network create --ipv6` fails with 16 block pools). For those versions every entry
 * is one subnet: the 64 subnets after the bridge's, enough for most hosts; `docker ipv6 network
 * create` allocates explicit subnets beyond that.
 */
export const LEGACY_POOL_ENTRIES = 64;

export function oneSubnetPools(prefix: Cidr6, count = LEGACY_POOL_ENTRIES): Pool[] {
  const size = subnetLength(prefix);
  const room = 1n << BigInt(size - prefix.length);
  const n = BigInt(count) < room - 1n ? BigInt(count) : room - 1n;
  const out: Pool[] = [];
  for (let i = 1n; i <= n; i++) out.push({ base: formatCidr(nthSubnet(prefix, size, i)), size });
  return out;
}

export function bridgeSubnet(prefix: Cidr6): Cidr6 {
  return nthSubnet(prefix, subnetLength(prefix), 0n);
}
