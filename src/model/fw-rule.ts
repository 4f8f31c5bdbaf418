// One rule of our chains as data: parsed from the canonical ip6tables line we render, and written either as that
// line or as an nftables statement, so one diff (reconcile/diff.ts) serves both firewall backends (pure).
//
// The canonical line is what ip6tables-save prints for the rules we write (options in its order: -s -d -i -o -p,
// matches, comment, target). Only the options our batches use are known; anything else is not ours.
import { COMMENT_TAG, DNAT_CHAIN } from './names';
import { canonical6, isIPv6Address } from './ip';

export type Proto = 'tcp' | 'udp' | 'sctp' | 'ipv6-icmp';

export interface OurRule {
  chain: string;
  src?: string;
  dst?: string;
  iif?: string;
  oif?: string;
  /** `! -o`: every interface but oif */
  oifNot?: boolean;
  proto?: Proto;
  dport?: number;
  /** -m icmp6 --icmpv6-type N (with proto ipv6-icmp) */
  icmpType?: number;
  /** -m conntrack --ctstate RELATED,ESTABLISHED */
  established?: boolean;
  /**
   * -m conntrack ! --ctstate DNAT (nftables `ct status ! dnat`): the connection was not taken in by a translation
   * of ours (npt mode: what came by the uplink to an inside address directly)
   */
  untranslated?: boolean;
  /** ACCEPT, DROP, RETURN, MASQUERADE, SNAT, NETMAP or one of our chains (a jump) */
  target: string;
  /** SNAT only: the source address (`--to-source`, canonical form as ip6tables-save prints it) */
  toSource?: string;
  /** NETMAP --to PREFIX: the prefix the matched one maps onto, 1:1 (npt mode) */
  to?: string;
}

const TAG = `-m comment --comment ${COMMENT_TAG}`;
const PROTOS: readonly string[] = ['tcp', 'udp', 'sctp', 'ipv6-icmp'];
const VERDICTS: Record<string, string> = { ACCEPT: 'accept', DROP: 'drop', RETURN: 'return', MASQUERADE: 'masquerade' };
/** The ICMPv6 types nftables names in its JSON (`nft -j` prints names, not numbers, for these). */
export const ICMP6_TYPE_NAMES: Record<number, string> = {
  1: 'destination-unreachable', 2: 'packet-too-big', 3: 'time-exceeded', 4: 'parameter-problem', 128: 'echo-request', 129: 'echo-reply',
};

/** The line ip6tables-save prints for the rule (`-A CHAIN ...`). */
export function ruleLine(r: OurRule): string {
  const p: string[] = ['-A', r.chain];
  if (r.src) p.push('-s', r.src);
  if (r.dst) p.push('-d', r.dst);
  if (r.iif) p.push('-i', r.iif);
  if (r.oif) p.push(...(r.oifNot ? ['!'] : []), '-o', r.oif);
  if (r.proto) p.push('-p', r.proto);
  if (r.dport !== undefined) p.push('-m', r.proto!, '--dport', String(r.dport));
  if (r.icmpType !== undefined) p.push('-m', 'icmp6', '--icmpv6-type', String(r.icmpType));
  if (r.established) p.push('-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED');
  if (r.untranslated) p.push('-m', 'conntrack', '!', '--ctstate', 'DNAT');
  p.push(TAG, '-j', r.target);
  if (r.target === 'NETMAP' && r.to) p.push('--to', r.to);
  if (r.target === 'SNAT') p.push('--to-source', r.toSource ?? '');
  return p.join(' ');
}

/** Parses one of our canonical lines (`-A CHAIN ...`, tagged); undefined for anything else. */
export function parseRuleLine(line: string): OurRule | undefined {
  const t = line.split(' ');
  if (t[0] !== '-A' || !t[1]) return undefined;
  const r: OurRule = { chain: t[1], target: '' };
  let i = 2;
  const next = () => t[i++];
  let tagged = false;
  while (i < t.length) {
    const o = next();
    if (o === '-s') r.src = next();
    else if (o === '-d') r.dst = next();
    else if (o === '-i') r.iif = next();
    else if (o === '!' && t[i] === '-o') { i++; r.oifNot = true; r.oif = next(); }
    else if (o === '-o') r.oif = next();
    else if (o === '-p' && PROTOS.includes(t[i])) r.proto = next() as Proto;
    else if (o === '-m' && t[i] === r.proto && t[i + 1] === '--dport' && /^\d+$/.test(t[i + 2] ?? '')) { r.dport = Number(t[i + 2]); i += 3; }
    else if (o === '-m' && r.proto === 'ipv6-icmp' && t[i] === 'icmp6' && t[i + 1] === '--icmpv6-type' && /^\d+$/.test(t[i + 2] ?? '')) { r.icmpType = Number(t[i + 2]); i += 3; }
    else if (o === '-m' && t[i] === 'conntrack' && t[i + 1] === '--ctstate' && t[i + 2] === 'RELATED,ESTABLISHED') { r.established = true; i += 3; }
    else if (o === '-m' && t[i] === 'conntrack' && t[i + 1] === '!' && t[i + 2] === '--ctstate' && t[i + 3] === 'DNAT') { r.untranslated = true; i += 4; }
    else if (o === '-m' && t[i] === 'comment' && t[i + 1] === '--comment' && t[i + 2] === COMMENT_TAG) { tagged = true; i += 3; }
    else if (o === '-j' && t[i] && i === t.length - 1) r.target = next();
    else if (o === '-j' && t[i] === 'NETMAP' && t[i + 1] === '--to' && t[i + 2] && i === t.length - 3) { r.target = 'NETMAP'; r.to = t[i + 2]; i += 3; }
    else if (o === '-j' && t[i] === 'SNAT' && t[i + 1] === '--to-source' && i + 2 === t.length - 1 && isIPv6Address(t[i + 2])) { r.target = 'SNAT'; r.toSource = t[i + 2]; i += 3; }
    else return undefined;
  }
  if (!tagged || !r.target || (r.oif === undefined && r.oifNot) || (r.target === 'NETMAP') !== (r.to !== undefined) || (r.target === 'SNAT' && !r.toSource)) return undefined;
  // only lines that render back to themselves are ours (no option twice, none out of order)
  return ruleLine(r) === line ? r : undefined;
}

/** nftables wants "br-*" where ip6tables writes "br-+" (the interface-name wildcard). */
function ifname(name: string): string {
  return JSON.stringify(name.endsWith('+') ? `${name.slice(0, -1)}*` : name);
}

/** The nftables statement for the rule, without `add rule FAMILY TABLE CHAIN`: `ip6 daddr ... accept comment "docker-ipv6"`. */
export function nftStatement(r: OurRule): string {
  const p: string[] = [];
  if (r.src) p.push('ip6 saddr', r.src);
  if (r.dst) p.push('ip6 daddr', r.dst);
  if (r.iif) p.push('iifname', ifname(r.iif));
  if (r.oif) p.push('oifname', ...(r.oifNot ? ['!='] : []), ifname(r.oif));
  if (r.proto && r.dport !== undefined) p.push(r.proto, 'dport', String(r.dport));
  else if (r.proto === 'ipv6-icmp' && r.icmpType !== undefined) p.push('icmpv6 type', String(r.icmpType));
  else if (r.proto) p.push('meta l4proto', r.proto);
  if (r.established) p.push('ct state established,related');
  // `!` tests the flag bit (`ct status != dnat` would compare the whole status word)
  if (r.untranslated) p.push('ct status ! dnat');
  // NETMAP: stateless 1:1 prefix mapping, the destination before routing (our D6-DNAT), the source after it;
  // in an ip6 table `snat to ADDR` needs no family word (Docker's own nftables rules are written the same way)
  if (r.target === 'NETMAP') p.push(r.chain === DNAT_CHAIN ? 'dnat ip6 prefix to' : 'snat ip6 prefix to', r.to!);
  else p.push(r.target === 'SNAT' ? `snat to ${canonical6(r.toSource!)}` : VERDICTS[r.target] ?? `jump ${r.target}`);
  p.push('comment', JSON.stringify(COMMENT_TAG));
  return p.join(' ');
}

/** The target as nftables names it (the inverse of nftStatement's verdicts). */
export function targetFromNft(verdict: string): string | undefined {
  return Object.entries(VERDICTS).find(([, v]) => v === verdict)?.[0];
}
