// CIDR and address arithmetic for both families (pure, BigInt based): parse, overlap, containment, allocation.
import { Address4, Address6 } from 'ip-address';

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** prefix length */
  length: number;
  /** first and last address as integers */
  start: bigint;
  end: bigint;
  /** true when the text had bits set below the prefix length ("fd00::1/64") */
  hostBits: boolean;
}

export interface Address {
  family: Family;
  value: bigint;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

/** Parse a bare IPv4 or IPv6 address (no prefix length, no zone). */
export function parseAddress(text: string): Address | undefined {
  const s = String(text).trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    if (!Address4.isValid(s)) return undefined;
    return { family: 4, value: new Address4(s).bigInt() };
  }
  if (s.includes(':') && /^[0-9A-Fa-f:.]+$/.test(s) && Address6.isValid(s)) {
    return { family: 6, value: new Address6(s).bigInt() };
  }
  return undefined;
}

/** Parse "address/length"; undefined when malformed (a bare address is not a CIDR here). */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(String(text).trim());
  if (!m) return undefined;
  const addr = parseAddress(m[1]);
  if (!addr) return undefined;
  const length = Number(m[2]);
  const bits = BITS[addr.family];
  if (length > bits) return undefined;
  const host = BigInt(bits - length);
  const all = (1n << BigInt(bits)) - 1n;
  const mask = (all >> host) << host;
  const start = addr.value & mask;
  return { family: addr.family, length, start, end: start | (all ^ mask), hostBits: start !== addr.value };
}

export function formatAddress(family: Family, value: bigint): string {
  if (family === 6) return Address6.fromBigInt(value).correctForm();
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
}

export function formatCidr(c: Pick<Cidr, 'family' | 'start' | 'length'>): string {
  return `${formatAddress(c.family, c.start)}/${c.length}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.start <= inner.start && inner.end <= outer.end;
}

export function containsAddress(outer: Cidr, addr: Address): boolean {
  return outer.family === addr.family && outer.start <= addr.value && addr.value <= outer.end;
}

/** Number of host bits (32 - length or 128 - length). */
export function hostBitCount(c: Cidr): number {
  return BITS[c.family] - c.length;
}

const ULA = parseCidr('fc00::/7')!;
const GLOBAL_UNICAST = parseCidr('2000::/3')!;

/** Unique local (fc00::/7): never routed on the internet, so it needs NAT66 to get out. */
export function isUla(c: Cidr): boolean {
  return contains(ULA, c);
}

/** Global unicast (2000::/3, documentation space included: it stands for a real global prefix). */
export function isGlobalV6(c: Cidr): boolean {
  return contains(GLOBAL_UNICAST, c);
}

/** True for 0.0.0.0/0 or ::/0. */
export function isAnyAddress(c: Cidr): boolean {
  return c.length === 0;
}

/**
 * The first subnet of `length` inside `outer` that overlaps none of `used`, skipping the first
 * `skip` subnets. Walks at most `limit` candidates so a full /48 cannot stall the caller.
 */
export function allocateSubnet(outer: Cidr, length: number, used: Cidr[], skip = 0, limit = 65536): Cidr | undefined {
  if (length < outer.length || length > BITS[outer.family]) return undefined;
  const size = 1n << BigInt(BITS[outer.family] - length);
  const count = 1n << BigInt(length - outer.length);
  for (let i = BigInt(skip); i < count && i < BigInt(skip + limit); i++) {
    const start = outer.start + size * i;
    const cand: Cidr = { family: outer.family, length, start, end: start + size - 1n, hostBits: false };
    if (!used.some((u) => overlaps(u, cand))) return cand;
  }
  return undefined;
}

/** An RFC 4193 ULA /48 from 40 random bits: fdXX:XXXX:XXXX::/48. */
export function ulaPrefix48(random40: Buffer): Cidr {
  if (random40.length < 5) throw new RangeError('need 5 random bytes');
  let id = 0n;
  for (let i = 0; i < 5; i++) id = (id << 8n) | BigInt(random40[i]);
  const start = ((0xfdn << 40n) | id) << 80n;
  return { family: 6, length: 48, start, end: start | ((1n << 80n) - 1n), hostBits: false };
}
