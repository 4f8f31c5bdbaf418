// Subnet allocation (pure) for network create and lint --fix: the next free IPv6 subnet of the prefix, a free IPv4 subnet.
import { UsageError } from '../errors';
import { allocateSubnet, formatCidr, hasHostBits, overlaps, parseCidr4, parseCidr6, type Cidr4, type Cidr6 } from './ip';
import { subnetLength, type Pool } from './pools';

/** Something that occupies address space, with the words that name it in an error. */
export interface Used6 { cidr: Cidr6; what: string }
export interface Used4 { cidr: Cidr4; what: string }

export interface UsedSpace { v6: Used6[]; v4: Used4[] }

/** Where IPv4 subnets come from when Docker's pools are full: 172.16/12, then 10/8, in /24s. */
export const V4_FALLBACK: Pool[] = [{ base: '172.16.0.0/12', size: 24 }, { base: '10.0.0.0/8', size: 24 }];

/**
 * The first subnet of subnetLength(prefix) inside the prefix that overlaps nothing used. Index 0
 * is skipped: it is the default bridge's fixed-cidr-v6 (bridgeSubnet in pools.ts); lint --fix skips it too, even in a fresh ULA where no bridge sits.
 */
export function allocateV6(prefix: Cidr6, used: readonly Used6[]): Cidr6 {
  const len = subnetLength(prefix);
  const c = allocateSubnet(prefix, len, used.map((u) => u.cidr), 1n);
  if (c) return c;
  throw new UsageError(`no free /${len} left in ${formatCidr(prefix)}: every one is in use`, 'remove unused networks (docker network prune), or pass --subnet');
}

/** The first subnet, pool by pool, that overlaps nothing used. */
export function allocateV4(pools: readonly Pool[], used: readonly Used4[]): Cidr4 {
  for (const pool of [...pools, ...V4_FALLBACK]) {
    const base = parseCidr4(pool.base);
    if (!base || pool.size < base.length || pool.size > 30) continue;
    const c = allocateSubnet(base, pool.size, used.map((u) => u.cidr));
    if (c) return c;
  }
  throw new UsageError('no free IPv4 subnet left in Docker\'s address pools, 172.16.0.0/12 or 10.0.0.0/8', 'remove unused networks, or pass an IPv4 --subnet');
}

export type ParsedSubnet = { family: 4; cidr: Cidr4; text: string } | { family: 6; cidr: Cidr6; text: string };

/** A --subnet value, or a UsageError saying what is wrong with it. */
export function parseSubnet(s: string): ParsedSubnet {
  if (s.includes(':')) {
    const c = /\/\d{1,3}$/.test(s) ? parseCidr6(s) : undefined;
    if (!c) throw new UsageError(`--subnet ${s} is not an IPv6 prefix`, 'write it as ADDRESS/LENGTH, e.g. fd12:3456:789a:1::/64');
    if (hasHostBits(s)) throw new UsageError(`--subnet ${s} has host bits set`, `did you mean ${formatCidr(c)}?`);
    if (c.length > 120) throw new UsageError(`--subnet ${s} is too small`, 'Docker needs at least a /120; use a /64');
    return { family: 6, cidr: c, text: formatCidr(c) };
  }
  const c = /\/\d{1,2}$/.test(s) ? parseCidr4(s) : undefined;
  if (!c) throw new UsageError(`--subnet ${s} is not an IPv4 or IPv6 prefix`, 'write it as ADDRESS/LENGTH, e.g. 172.30.5.0/24');
  if (formatCidr(c) !== s.trim()) throw new UsageError(`--subnet ${s} has host bits set`, `did you mean ${formatCidr(c)}?`);
  if (c.length > 30) throw new UsageError(`--subnet ${s} is too small`, 'use a /24 or larger');
  return { family: 4, cidr: c, text: formatCidr(c) };
}

/** Refuses a subnet that overlaps anything in use, naming what it overlaps. */
export function checkFree(sub: ParsedSubnet, used: UsedSpace): void {
  const hit = sub.family === 6
    ? used.v6.find((u) => overlaps(u.cidr, sub.cidr))
    : used.v4.find((u) => overlaps(u.cidr, sub.cidr));
  if (hit) {
    throw new UsageError(`--subnet ${sub.text} overlaps ${hit.what}: nothing was created`, 'pick another subnet, or leave --subnet out to get a free one');
  }
}
