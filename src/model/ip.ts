// CIDR and address arithmetic for both families (pure, BigInt based): parse, format, overlap, containment, subnets.
import { Address4, Address6 } from 'ip-address';

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** prefix length */
  length: number;
  /** first and last address as integers (32 or 128 bits) */
  start: bigint;
  end: bigint;
  /** canonical network address, e.g. "fd12:3456:789a::" or "172.30.0.0" */
  network: string;
  /** true when the text had bits set below the prefix length ("fd00::1/64") */
  hostBits: boolean;
}

export type Cidr6 = Cidr & { family: 6 };
export type Cidr4 = Cidr & { family: 4 };

export interface Address {
  family: Family;
  value: bigint;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

/**
 * Parsed text kept by its text: the agent's passes parse the same subnets and addresses again and again (a pass
 * over 1000 networks parses ~10k of them, several times each). Results are shared, so frozen; the cache is emptied
 * when it reaches MEMO_MAX entries, so its memory stays bounded whatever the input.
 */
const MEMO_MAX = 50_000;
function memo<T>(fn: (s: string) => T): (s: string) => T {
  const seen = new Map<string, T>();
  return (s) => {
    if (seen.has(s)) return seen.get(s) as T;
    const v = fn(s);
    if (seen.size >= MEMO_MAX) seen.clear();
    seen.set(s, v && typeof v === 'object' ? Object.freeze(v) : v);
    return v;
  };
}
const all = (f: Family) => (1n << BigInt(BITS[f])) - 1n;

export function formatAddress(family: Family, value: bigint): string {
  if (family === 6) return format6(value);
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
}

/**
 * RFC 5952 text of an IPv6 value, as ip-address's correctForm() gives it (lower case, no leading zeros, the
 * longest run of two or more zero groups, the first of equals, as "::"). Written here because a pass of the
 * agent formats and parses thousands of addresses, and ip-address took ~0.1 ms for each one.
 */
function format6(value: bigint): string {
  const hex = value.toString(16).padStart(32, '0');
  const groups: number[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(parseInt(hex.slice(i, i + 4), 16));
  return formatGroups(groups);
}

/** The same text from the 16 bytes netlink gives (no BigInt on the way: a pass reads thousands of them). */
export function formatIPv6Bytes(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  return formatGroups(groups);
}

function formatGroups(g: readonly number[]): string {
  let run = 0; let best = 0; let bestAt = -1;
  for (let i = 0; i < 8; i++) {
    run = g[i] === 0 ? run + 1 : 0;
    if (run > best) { best = run; bestAt = i - run + 1; }
  }
  const hex = (from: number, to: number) => g.slice(from, to).map((x) => x.toString(16)).join(':');
  return best < 2 ? hex(0, 8) : `${hex(0, bestAt)}::${hex(bestAt + best, 8)}`;
}

const GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * The value of IPv6 text in plain hex groups (at most one "::"), or undefined for any other text, which then
 * goes to ip-address as before (embedded IPv4, zones, anything odd): this only takes the common case off it.
 */
function hex6(s: string): bigint | undefined {
  const at = s.indexOf('::');
  if (at !== s.lastIndexOf('::')) return undefined;
  const split = (x: string) => (x === '' ? [] : x.split(':'));
  const head = at < 0 ? split(s) : split(s.slice(0, at));
  const tail = at < 0 ? [] : split(s.slice(at + 2));
  const n = head.length + tail.length;
  if (at < 0 ? n !== 8 : n > 7) return undefined;
  let hex = '';
  for (const g of head) { if (!GROUP.test(g)) return undefined; hex += g.padStart(4, '0'); }
  hex += '0000'.repeat(8 - n);
  for (const g of tail) { if (!GROUP.test(g)) return undefined; hex += g.padStart(4, '0'); }
  return BigInt(`0x${hex}`);
}

/** The prefix of `length` holding `value`, host bits cleared. */
function prefixOf<F extends Family>(family: F, value: bigint, length: number): Cidr & { family: F } {
  const host = BigInt(BITS[family] - length);
  const mask = (all(family) >> host) << host;
  const start = value & mask;
  return { family, length, start, end: start | (all(family) ^ mask), network: formatAddress(family, start), hostBits: start !== value };
}

export function bigToV6(n: bigint): string {
  return formatAddress(6, n);
}

export function v6ToBig(addr: string): bigint {
  return hex6(addr) ?? new Address6(addr).bigInt();
}

export function isIPv6Address(s: string): boolean {
  return hex6(s) !== undefined || (!s.includes('/') && Address6.isValid(s) && !s.includes('%'));
}

export function isIPv4Cidr(s: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s) && Address4.isValid(s);
}

/** Parse a bare IPv4 or IPv6 address (no prefix length, no zone). */
export const parseAddress: (text: string) => Address | undefined = memo(parseAddressText);

function parseAddressText(text: string): Address | undefined {
  const s = String(text).trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    if (!Address4.isValid(s)) return undefined;
    return { family: 4, value: new Address4(s).bigInt() };
  }
  if (s.includes(':') && /^[0-9A-Fa-f:.]+$/.test(s)) {
    const v = hex6(s) ?? (Address6.isValid(s) ? new Address6(s).bigInt() : undefined);
    return v === undefined ? undefined : { family: 6, value: v };
  }
  return undefined;
}

/** Parse "address/length" of either family; undefined when malformed (a bare address is not a CIDR here). */
export const parseCidr: (text: string) => Cidr | undefined = memo(parseCidrText);

function parseCidrText(text: string): Cidr | undefined {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(String(text).trim());
  if (!m) return undefined;
  const addr = parseAddress(m[1]);
  if (!addr) return undefined;
  const length = Number(m[2]);
  if (length > BITS[addr.family]) return undefined;
  return prefixOf(addr.family, addr.value, length);
}

/** Parse an IPv6 "addr/len" (or a bare address, length 128) into a normalised prefix, host bits cleared. */
export const parseCidr6: (s: string) => Cidr6 | undefined = memo(parseCidr6Text);

function parseCidr6Text(s: string): Cidr6 | undefined {
  const m = /^([0-9A-Fa-f:.]+)(?:\/(\d{1,3}))?$/.exec(s.trim());
  if (!m || !s.includes(':')) return undefined;
  const length = m[2] === undefined ? 128 : Number(m[2]);
  if (length > 128) return undefined;
  const v = hex6(m[1]) ?? (Address6.isValid(m[1]) ? new Address6(m[1]).bigInt() : undefined);
  return v === undefined ? undefined : prefixOf(6, v, length);
}

/** Parse an IPv4 "a.b.c.d/len" (or a bare address, length 32) into a normalised prefix, host bits cleared. */
export function parseCidr4(s: string): Cidr4 | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1, 5).map(BigInt);
  if (parts.some((p) => p > 255n)) return undefined;
  const length = m[5] === undefined ? 32 : Number(m[5]);
  if (length > 32) return undefined;
  return prefixOf(4, parts.reduce((v, p) => (v << 8n) | p, 0n), length);
}

/** "network/length", e.g. "fd00:1::/64". */
export function formatCidr(c: Pick<Cidr, 'network' | 'length'>): string {
  return `${c.network}/${c.length}`;
}

/** True when the text had host bits set ("fd00::1/64"); false for anything that is not an IPv6 prefix. */
export function hasHostBits(s: string): boolean {
  return parseCidr6(s)?.hostBits ?? false;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.start <= inner.start && inner.end <= outer.end;
}

/** Whether the prefix holds the address. A string that is no plain address is read as IPv6 (and throws when it is none). */
export function containsAddress(outer: Cidr, addr: string | Address): boolean {
  const a = typeof addr === 'string' ? parseAddress(addr) ?? { family: 6 as const, value: v6ToBig(addr) } : addr;
  return outer.family === a.family && outer.start <= a.value && a.value <= outer.end;
}

/** Number of host bits (32 - length or 128 - length). */
export function hostBitCount(c: Cidr): number {
  return BITS[c.family] - c.length;
}

/** The n-th subnet of the given length inside a prefix (n from 0). */
export function nthSubnet<F extends Family>(outer: Cidr & { family: F }, length: number, n: bigint): Cidr & { family: F } {
  if (length < outer.length || length > BITS[outer.family]) throw new RangeError(`/${length} does not fit in /${outer.length}`);
  const size = 1n << BigInt(BITS[outer.family] - length);
  const start = outer.start + size * n;
  if (start + size - 1n > outer.end) throw new RangeError('subnet index out of range');
  return prefixOf(outer.family, start, length);
}

/** Address = prefix start + offset ("::1" of the prefix is offset 1n). */
export function addressAt(c: Cidr, offset: bigint): string {
  return formatAddress(c.family, c.start + offset);
}

/**
 * The first subnet of `length` inside `outer` that overlaps none of `used`, skipping the first
 * `skip` subnets. A used block bigger than a subnet is jumped in one step, so the walk takes at most
 * one step per used block plus one, however big `outer` is.
 */
export function allocateSubnet<F extends Family>(outer: Cidr & { family: F }, length: number, used: readonly Cidr[], skip = 0n): (Cidr & { family: F }) | undefined {
  if (length < outer.length || length > BITS[outer.family]) return undefined;
  const size = 1n << BigInt(BITS[outer.family] - length);
  const count = 1n << BigInt(length - outer.length);
  const inside = used.filter((u) => overlaps(u, outer));
  for (let i = skip; i < count; i++) {
    const cand = nthSubnet(outer, length, i);
    const hit = inside.find((u) => overlaps(u, cand));
    // on to the first subnet after the occupant's end (the loop adds one)
    if (hit) { if (hit.end > cand.end) i = (hit.end - outer.start) / size; continue; }
    return cand;
  }
  return undefined;
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

/** One key per IPv6 prefix however it is written (case, zeros, host bits): for sets and comparisons; the text itself when it is no prefix. */
export function cidrKey(s: string): string {
  const c = parseCidr6(s);
  return c ? `${c.start}/${c.length}` : s;
}

/** Canonical text of an IPv6 address (Docker and netlink may spell one address differently). */
export const canonical6: (addr: string) => string = memo((addr) => bigToV6(v6ToBig(addr.split('/')[0])));
