// NPTv6 (npt mode): what the outside prefix must be for a 1:1 translation of the inside one (pure).
import { bigToV6, contains, containsAddress, formatCidr, isGlobalV6, overlaps, parseCidr6, v6ToBig, type Cidr6 } from './ip';
import { judgePrefix } from './prefix-rules';

export interface OutsideFacts {
  /** the uplink's on-link prefixes: an outside prefix there would need NDP, not a route */
  uplinkPrefixes: readonly string[];
  /** the host's own addresses (address/len) and its routers: the translation must never take them over */
  hostAddresses: readonly string[];
  gateways: readonly string[];
}

/** The canonical outside prefix, or why it cannot be one (a sentence completing "--outside-prefix P ...", and a hint). */
export function judgeOutside(input: string, inside: Cidr6, f: OutsideFacts): { cidr: Cidr6 } | { why: string; hint: string } {
  const j = judgePrefix(input);
  if ('problem' in j) return { why: j.problem.why, hint: j.problem.hint };
  const c = j.cidr;
  if (!isGlobalV6(c)) return { why: 'is not a global prefix: the outside prefix is the one the world routes to this host', hint: 'give the global prefix your provider delegates or routes here, e.g. 2001:db8:800::/48' };
  if (c.length !== inside.length) {
    return { why: `is a /${c.length}, the inside prefix ${formatCidr(inside)} a /${inside.length}: NPTv6 maps them 1:1, so they need the same length`, hint: `give a /${inside.length}, or an inside prefix of /${c.length} with --prefix` };
  }
  if (overlaps(c, inside)) return { why: `overlaps the inside prefix ${formatCidr(inside)}`, hint: 'the inside prefix is a ULA the containers keep; the outside one is global' };
  for (const u of f.uplinkPrefixes) {
    if (overlaps(parseCidr6(u)!, c)) return { why: `overlaps the uplink's on-link prefix ${u}: addresses there are answered by NDP, not routed here`, hint: 'give a prefix the upstream routes to this host (e.g. a delegated /56 or /48)' };
  }
  for (const a of [...f.hostAddresses, ...f.gateways]) {
    const addr = parseCidr6(a.split('/')[0]);
    if (addr && contains(c, addr)) return { why: `holds ${a.split('/')[0]}, an address of this host or its router`, hint: 'the translation would take it over: give a prefix routed to this host and used by nothing else' };
  }
  return { cidr: c };
}

/** What NETMAP (and nftables `snat ip6 prefix to`) makes of an inside address: the outside prefix, the same host part. */
export function mapAddress(address: string, inside: string, outside: string): string | undefined {
  const i = parseCidr6(inside);
  const o = parseCidr6(outside);
  if (!i || !o || i.length !== o.length || !containsAddress(i, address)) return undefined;
  const host = v6ToBig(address) - i.start;
  return bigToV6(o.start + host);
}
