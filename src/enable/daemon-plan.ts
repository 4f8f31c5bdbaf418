// The daemon.json keys enable wants for the running Docker version, prefix and mode (pure).
import { dockerVersionAtLeast } from '../daemon/version';
import type { Mode } from '../model/state';
import { cidrString, nthSubnet, parseCidr6, type Cidr6 } from '../util/ip';

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
    out.push({ base: cidrString(block), size });
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
  for (let i = 1n; i <= n; i++) out.push({ base: cidrString(nthSubnet(prefix, size, i)), size });
  return out;
}

export function bridgeSubnet(prefix: Cidr6): Cidr6 {
  return nthSubnet(prefix, subnetLength(prefix), 0n);
}

export function needsExperimental(version: string): boolean {
  return !dockerVersionAtLeast(version, '27.0');
}

function isV6Pool(p: unknown): boolean {
  return typeof (p as Pool)?.base === 'string' && (p as Pool).base.includes(':');
}

export interface DaemonKeyPlan {
  /** keys to set with their new values */
  set: Record<string, unknown>;
  notes: string[];
}

/**
 * Computes the keys. `current` is the parsed daemon.json. Docker programs NAT66 itself when its
 * ip6tables support is on, so nat mode relies on it; routed and ndp turn Docker's IPv6 NAT off
 * (ip6tables false) and the tool provides the forwarding filter itself, the same on every version.
 */
export function planDaemonKeys(current: Record<string, unknown>, version: string, prefix: Cidr6, mode: Mode): DaemonKeyPlan {
  const set: Record<string, unknown> = {};
  const notes: string[] = [];
  const want = (k: string, v: unknown) => { if (JSON.stringify(current[k]) !== JSON.stringify(v)) set[k] = v; };
  want('ipv6', true);
  want('fixed-cidr-v6', cidrString(bridgeSubnet(prefix)));
  if (mode === 'nat' && current.iptables === false) {
    // Docker manages no firewall at all here: dockerd 20.10 even refuses ip6tables without iptables
    // ("cannot create new chains, EnableIPTable is disabled"); docker-ipv6 masquerades itself.
    want('ip6tables', false);
  } else if (mode === 'nat') {
    want('ip6tables', true);
    if (needsExperimental(version)) {
      want('experimental', true);
      notes.push(`Docker ${version} needs "experimental": true for ip6tables (before 27.0)`);
    }
  } else {
    want('ip6tables', false);
    notes.push('Docker\'s IPv6 NAT is turned off ("ip6tables": false): containers use their own global addresses; docker-ipv6 filters inbound traffic itself');
  }
  const existing = Array.isArray(current['default-address-pools']) ? (current['default-address-pools'] as unknown[]) : undefined;
  const v4 = existing ? existing.filter((p) => !isV6Pool(p)) : DOCKER_DEFAULT_V4_POOLS;
  const foreignV6 = existing ? existing.filter((p) => isV6Pool(p) && !isInside(prefix, (p as Pool).base)) : [];
  const legacy = !dockerVersionAtLeast(version, '27.0');
  const pools = [...v4, ...foreignV6, ...(legacy ? oneSubnetPools(prefix) : v6PoolsFor(prefix))];
  if (legacy) notes.push(`Docker ${version} takes one subnet per IPv6 pool entry: ${LEGACY_POOL_ENTRIES} entries give ${LEGACY_POOL_ENTRIES} automatic IPv6 networks; docker ipv6 network create allocates beyond that`);
  want('default-address-pools', pools);
  return { set, notes };
}

function isInside(prefix: Cidr6, base: string): boolean {
  const c = parseCidr6(base);
  return !!c && c.start >= prefix.start && c.end <= prefix.end;
}
