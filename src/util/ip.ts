// IPv6/IPv4 prefix arithmetic shared by planners, checks and renderers (pure, BigInt based).
import { Address4, Address6 } from 'ip-address';

export interface Cidr6 {
  /** canonical compressed network address, e.g. "fd12:3456:789a::" */
  network: string;
  length: number;
  /** first address as a 128-bit integer */
  start: bigint;
  /** last address as a 128-bit integer */
  end: bigint;
}

const MAX6 = (1n << 128n) - 1n;

export function bigToV6(n: bigint): string {
  return Address6.fromBigInt(n).correctForm();
}

export function v6ToBig(addr: string): bigint {
  return new Address6(addr).bigInt();
}

export function isIPv6Address(s: string): boolean {
  return !s.includes('/') && Address6.isValid(s) && !s.includes('%');
}

export function isIPv4Cidr(s: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s) && Address4.isValid(s);
}

/** Parse "addr/len" (or a bare address, length 128) into a normalised prefix, host bits cleared. */
export function parseCidr6(s: string): Cidr6 | undefined {
  const m = /^([0-9A-Fa-f:.]+)(?:\/(\d{1,3}))?$/.exec(s.trim());
  if (!m || !s.includes(':')) return undefined;
  const length = m[2] === undefined ? 128 : Number(m[2]);
  if (length > 128) return undefined;
  if (!Address6.isValid(m[1])) return undefined;
  const value = new Address6(m[1]).bigInt();
  const hostBits = BigInt(128 - length);
  const mask = (MAX6 >> hostBits) << hostBits;
  const start = value & mask;
  const end = start | (MAX6 ^ mask);
  return { network: bigToV6(start), length, start, end };
}

export function cidrString(c: Pick<Cidr6, 'network' | 'length'>): string {
  return `${c.network}/${c.length}`;
}

/** True when the input had host bits set ("fd00::1/64"). */
export function hasHostBits(s: string): boolean {
  const c = parseCidr6(s);
  if (!c) return false;
  return new Address6(s.split('/')[0]).bigInt() !== c.start;
}

export function overlaps(a: Cidr6, b: Cidr6): boolean {
  return a.start <= b.end && b.start <= a.end;
}

export function contains(outer: Cidr6, inner: Cidr6): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}

export function containsAddress(outer: Cidr6, addr: string): boolean {
  const v = v6ToBig(addr);
  return outer.start <= v && v <= outer.end;
}

/** The n-th subnet of the given length inside a prefix (n from 0). */
export function nthSubnet(outer: Cidr6, length: number, n: bigint): Cidr6 {
  if (length < outer.length) throw new RangeError(`/${length} does not fit in /${outer.length}`);
  const size = 1n << BigInt(128 - length);
  const start = outer.start + size * n;
  if (start + size - 1n > outer.end) throw new RangeError('subnet index out of range');
  return { network: bigToV6(start), length, start, end: start + size - 1n };
}

/** Address = prefix start + offset ("::1" of the prefix is offset 1n). */
export function addressAt(c: Cidr6, offset: bigint): string {
  return bigToV6(c.start + offset);
}

export type V6Kind = 'unspecified' | 'loopback' | 'ipv4-mapped' | 'link-local' | 'multicast' | 'ula' | 'documentation' | 'global' | 'other';

export function classifyV6(c: Cidr6): V6Kind {
  const first = (n: number) => c.start >> BigInt(128 - n);
  if (c.start === 0n && c.length === 128) return 'unspecified';
  if (c.start === 1n && c.length === 128) return 'loopback';
  if (c.start >> 32n === 0xffffn) return 'ipv4-mapped';
  if (first(10) === 0x3fan) return 'link-local';
  if (first(8) === 0xffn) return 'multicast';
  if (first(7) === 0x7en) return 'ula';
  if (first(32) === 0x20010db8n) return 'documentation';
  if (first(3) === 1n) return 'global';
  return 'other';
}

export interface Cidr4 { network: string; length: number; start: number; end: number }

export function parseCidr4(s: string): Cidr4 | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1, 5).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  const length = m[5] === undefined ? 32 : Number(m[5]);
  if (length > 32) return undefined;
  const value = ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  const start = (value & mask) >>> 0;
  const end = (start | (~mask >>> 0)) >>> 0;
  const network = [24, 16, 8, 0].map((sh) => (start >>> sh) & 255).join('.');
  return { network, length, start, end };
}

export function overlaps4(a: Cidr4, b: Cidr4): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** Canonical text of an IPv6 address (Docker and netlink may spell one address differently). */
export function canonical6(addr: string): string {
  return bigToV6(v6ToBig(addr.split('/')[0]));
}
