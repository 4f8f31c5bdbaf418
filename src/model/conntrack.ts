// /proc/net/nf_conntrack as data: what source address a connection of a container really left with (pure).
// The reply direction of an entry is addressed to the source the far end saw, after any NAT or NPTv6.
import { canonical6, isIPv6Address } from './ip';

export interface ConntrackEntry { proto: string; orig: { src: string; dst: string }; reply: { src: string; dst: string } }

/** IPv6 entries of `cat /proc/net/nf_conntrack` (the first src/dst pair is the original direction, the second the reply). */
export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim().split(/\s+/);
    if (t[0] !== 'ipv6') continue;
    const addrs = t.filter((x) => x.startsWith('src=') || x.startsWith('dst=')).map((x) => x.slice(4));
    if (addrs.length < 4 || !addrs.slice(0, 4).every(isIPv6Address)) continue;
    const [os, od, rs, rd] = addrs.slice(0, 4).map(canonical6);
    out.push({ proto: t[2], orig: { src: os, dst: od }, reply: { src: rs, dst: rd } });
  }
  return out;
}

/** The source the far end saw for traffic from `from` to `to` (the reply's destination), or undefined when no entry shows it. */
export function sourceSeenOutside(entries: readonly ConntrackEntry[], from: string, to: string): string | undefined {
  const f = canonical6(from);
  const d = canonical6(to);
  return entries.find((e) => e.orig.src === f && e.orig.dst === d)?.reply.dst;
}
