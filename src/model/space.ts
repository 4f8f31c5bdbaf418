// What address space is taken (pure): Docker's networks and pools, the host's addresses and routes, our allocations.
import { DOCKER_DEFAULT_V4_POOLS, type Pool } from './pools';
import type { NetState } from './net';
import type { NetworkFacts } from './docker';
import { contains, parseCidr4, parseCidr6, type Cidr6 } from './ip';
import type { UsedSpace } from './alloc';

export interface SpaceInputs {
  networks: Array<Pick<NetworkFacts, 'name' | 'ipv4Subnets' | 'ipv6Subnets'>>;
  /** daemon.json default-address-pools as written (undefined: Docker's built-in pools) */
  pools?: unknown[];
  net?: NetState;
  allocations?: Record<string, string>;
  prefix?: Cidr6;
}

function isPool(p: unknown): p is Pool {
  return typeof (p as Pool)?.base === 'string' && typeof (p as Pool)?.size === 'number';
}

/** IPv4 pools Docker allocates from: candidates for our IPv4 subnets. */
export function v4Pools(pools?: unknown[]): Pool[] {
  if (!pools) return DOCKER_DEFAULT_V4_POOLS;
  return pools.filter(isPool).filter((p) => !p.base.includes(':'));
}

/**
 * Allocations still held: one made for a network (keyed by its name) holds its subnet while Docker has a
 * network of that name; once the network is gone the subnet is free again. `compose:NAME` reservations
 * stay: the Compose file names that subnet and `compose up` may create the network again at any time.
 */
export function liveAllocations(allocations: Record<string, string> | undefined, networkNames: Iterable<string>): { kept: Record<string, string>; released: string[] } {
  const live = new Set(networkNames);
  const kept: Record<string, string> = {};
  const released: string[] = [];
  for (const [k, v] of Object.entries(allocations ?? {})) {
    if (k.startsWith('compose:') || live.has(k)) kept[k] = v;
    else released.push(k);
  }
  return { kept, released };
}

export function usedSpace(i: SpaceInputs): UsedSpace {
  const used: UsedSpace = { v6: [], v4: [] };
  const add = (s: string, what: string) => {
    if (s.includes(':')) { const c = parseCidr6(s); if (c) used.v6.push({ cidr: c, what }); }
    else { const c = parseCidr4(s); if (c) used.v4.push({ cidr: c, what }); }
  };
  for (const n of i.networks) for (const s of [...n.ipv4Subnets, ...n.ipv6Subnets]) add(s, `network ${n.name} (${s})`);
  for (const [name, s] of Object.entries(i.allocations ?? {})) add(s, `the allocation of ${name} (${s}) in the docker-ipv6 state`);
  // IPv6 pools of Docker's that are not the ones enable derived from our prefix: Docker may hand them out
  // (enable writes pools that cover the prefix, in blocks or one entry per subnet, depending on the version)
  const ours = (base: string) => { const c = parseCidr6(base); return !!c && !!i.prefix && contains(i.prefix, c); };
  for (const p of (i.pools ?? []).filter(isPool)) {
    if (p.base.includes(':') && !ours(p.base)) add(p.base, `Docker's address pool ${p.base}`);
  }
  // A route that holds the whole prefix is the on-link /64 an NDP prefix is part of, or our own
  // unreachable route for a routed prefix: neither takes a subnet of the prefix away.
  const holdsPrefix = (dst: string) => { const c = parseCidr6(dst); return !!c && !!i.prefix && contains(c, i.prefix); };
  for (const a of i.net?.addresses ?? []) {
    if (a.family === 6 && a.scope >= 253) continue; // link-local and host scope never collide with a subnet
    const onLink = `${a.address}/${a.prefixlen}`;
    // the address itself is always taken; its on-link prefix only when it does not hold our whole prefix
    add(a.family === 6 && holdsPrefix(onLink) ? `${a.address}/128` : onLink, `the host's address ${onLink} on ${a.ifname}`);
  }
  for (const r of i.net?.routes ?? []) {
    if (r.dst.endsWith('/0')) continue; // default routes cover everything and mean nothing here
    if (r.family === 6 && (r.dst.startsWith('fe80:') || r.dst.startsWith('ff'))) continue;
    if (r.table === 255) continue; // local table: the addresses themselves, counted above
    if (r.family === 6 && holdsPrefix(r.dst)) continue;
    add(r.dst, `the host's route to ${r.dst}${r.ifname ? ` on ${r.ifname}` : ''}`);
  }
  return used;
}
