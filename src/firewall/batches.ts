// Renders our own chains as ip6tables-restore --noflush batches (text, so tests compare golden files).
import { COMMENT_TAG, FORWARD_CHAIN, NAT_CHAIN, USER_CHAIN } from '../model/names';
import type { ParsedRuleset } from '../model/ip6tables-save';

/** A subnet our nat chain translates: masqueraded, or (`to`) SNATed to the host address chosen with --nat-source. */
export interface NatSource { subnet: string; bridge: string; to?: string }
export interface RoutedNetwork {
  subnet: string;
  bridge: string;
  /** published ports reachable from outside: container address, port, protocol */
  published: Array<{ address: string; port: number; proto: 'tcp' | 'udp' | 'sctp' }>;
}

const TAG = `-m comment --comment ${COMMENT_TAG}`;
/** Docker's bridge names: the default bridge and br-<id> (an interface wildcard). */
const DOCKER_BRIDGES = ['docker0', 'br-+'];
export const NAT_JUMP = `-A POSTROUTING ${TAG} -j ${NAT_CHAIN}`;
export const FORWARD_JUMP = `-A FORWARD ${TAG} -j ${FORWARD_CHAIN}`;
/** The first rule of D6-FORWARD: the admin's own rules (D6-USER) decide before any of ours. */
export const USER_JUMP = `-A ${FORWARD_CHAIN} ${TAG} -j ${USER_CHAIN}`;

/** Declares D6-USER when it is missing. Never when it exists: ip6tables-restore --noflush flushes a chain it declares. */
export function userChainDecl(current: ParsedRuleset): string[] {
  return USER_CHAIN in (current.filter?.chains ?? {}) ? [] : [`:${USER_CHAIN} - [0:0]`];
}

function hasRule(rs: ParsedRuleset, table: string, rule: string): boolean {
  // ip6tables-save prints "-m comment --comment docker-ipv6" exactly as we write it (no quotes: no spaces in the tag)
  return (rs[table]?.rules ?? []).includes(rule);
}

/** nat: masquerade of our sources for daemons that do not NAT IPv6 themselves, or SNAT to the chosen source. */
export function renderNatBatch(sources: NatSource[], current: ParsedRuleset): string {
  const lines = ['*nat', `:${NAT_CHAIN} - [0:0]`, `-F ${NAT_CHAIN}`];
  for (const s of sources) lines.push(`-A ${NAT_CHAIN} -s ${s.subnet} ! -o ${s.bridge} ${TAG} -j ${s.to ? `SNAT --to-source ${s.to}` : 'MASQUERADE'}`);
  if (!hasRule(current, 'nat', NAT_JUMP)) lines.push(`-I POSTROUTING 1 ${TAG} -j ${NAT_CHAIN}`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

/**
 * filter: for routed/NDP networks, only replies, ICMPv6 and published ports come in; containers
 * may go out. The chain starts with a jump to D6-USER (the admin's rules) and ends with rules for the
 * whole prefix: a subnet not listed yet (a network created since the last pass, or by plain `docker
 * network create` from enable's pools) is closed by default, not open. Our jump from FORWARD is put
 * first when we add it; rules others put above it later stay where they are (we never reorder them).
 */
export function renderForwardBatch(prefix: string, nets: RoutedNetwork[], current: ParsedRuleset): string {
  const lines = ['*filter', ...userChainDecl(current), `:${FORWARD_CHAIN} - [0:0]`, `-F ${FORWARD_CHAIN}`, USER_JUMP];
  for (const n of nets) {
    lines.push(`-A ${FORWARD_CHAIN} -d ${n.subnet} -o ${n.bridge} -m conntrack --ctstate RELATED,ESTABLISHED ${TAG} -j ACCEPT`);
    lines.push(`-A ${FORWARD_CHAIN} -d ${n.subnet} -o ${n.bridge} -p ipv6-icmp ${TAG} -j ACCEPT`);
    for (const p of [...n.published].sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port)) {
      lines.push(`-A ${FORWARD_CHAIN} -d ${p.address}/128 -o ${n.bridge} -p ${p.proto} -m ${p.proto} --dport ${p.port} ${TAG} -j ACCEPT`);
    }
    // containers may go out, and talk among themselves, but not to other Docker networks: with
    // "ip6tables": false Docker's own isolation chains are gone, so the same isolation is kept here
    lines.push(`-A ${FORWARD_CHAIN} -i ${n.bridge} -o ${n.bridge} ${TAG} -j ACCEPT`);
    for (const other of DOCKER_BRIDGES) lines.push(`-A ${FORWARD_CHAIN} -i ${n.bridge} -o ${other} ${TAG} -j DROP`);
    lines.push(`-A ${FORWARD_CHAIN} -i ${n.bridge} ${TAG} -j ACCEPT`);
    lines.push(`-A ${FORWARD_CHAIN} -d ${n.subnet} -o ${n.bridge} ${TAG} -j DROP`);
  }
  lines.push(...prefixTail(prefix));
  if (!hasRule(current, 'filter', FORWARD_JUMP)) lines.push(`-I FORWARD 1 ${TAG} -j ${FORWARD_CHAIN}`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

/**
 * The last rules of D6-FORWARD: replies and ICMPv6 to anything in the prefix, everything else to it
 * dropped. Only subnets no block above lists reach them. Traffic between Docker bridges still passes:
 * with br_netfilter (Docker loads it) packets between containers of one network cross FORWARD too,
 * and a network not listed yet must keep working inside; a listed network's own rules above already
 * drop what it sends to other bridges, so isolation holds for every listed network.
 */
export function prefixTail(prefix: string): string[] {
  return [
    `-A ${FORWARD_CHAIN} -d ${prefix} -m conntrack --ctstate RELATED,ESTABLISHED ${TAG} -j ACCEPT`,
    `-A ${FORWARD_CHAIN} -d ${prefix} -p ipv6-icmp ${TAG} -j ACCEPT`,
    ...DOCKER_BRIDGES.map((b) => `-A ${FORWARD_CHAIN} -d ${prefix} -i ${b} -o ${b} ${TAG} -j ACCEPT`),
    `-A ${FORWARD_CHAIN} -d ${prefix} ${TAG} -j DROP`,
  ];
}

/**
 * The closed skeleton of D6-FORWARD, from the state alone (no Docker needed): the admin's jump, then the
 * prefix-wide rules, so every container address in the prefix is closed except to replies and ICMPv6.
 * What boot installs before forwarding is on, and what a pass that cannot do more leaves in place.
 */
export function skeletonForwardRules(prefix: string): string[] {
  return [USER_JUMP, ...prefixTail(prefix)];
}

/** Whether our filter chain exists and ends with the prefix-wide rules (so it is closed once jumped to). */
export function chainEndsClosed(prefix: string, current: ParsedRuleset): boolean {
  const t = current.filter;
  if (!t || !(FORWARD_CHAIN in t.chains)) return false;
  const have = t.rules.filter((r) => r.startsWith(`-A ${FORWARD_CHAIN} `));
  const tail = prefixTail(prefix);
  return have.length >= tail.length && tail.every((r, i) => have[have.length - tail.length + i] === r);
}

/** Whether our filter chain, as it is, keeps the prefix closed: jumped to from FORWARD and ending with the prefix-wide drop. */
export function filterIsClosed(prefix: string, current: ParsedRuleset): boolean {
  return chainEndsClosed(prefix, current) && !!current.filter?.rules.includes(FORWARD_JUMP);
}

/**
 * Removes our jump and chain from a table (only what exists, so the batch cannot fail on absence). D6-USER
 * goes too when it is empty and nothing but our chain jumps to it; rules the admin put in it keep it.
 */
export function renderRemoveBatch(table: 'nat' | 'filter', current: ParsedRuleset): string | undefined {
  const chain = table === 'nat' ? NAT_CHAIN : FORWARD_CHAIN;
  const jump = table === 'nat' ? NAT_JUMP : FORWARD_JUMP;
  const t = current[table];
  const user = table === 'filter' && !!t && USER_CHAIN in t.chains
    && !t.rules.some((r) => r.startsWith(`-A ${USER_CHAIN} `) || (r.endsWith(`-j ${USER_CHAIN}`) && !r.startsWith(`-A ${FORWARD_CHAIN} `)));
  if (!t || (!(chain in t.chains) && !t.rules.includes(jump) && !user)) return undefined;
  const lines = [`*${table}`];
  for (const r of t.rules) if (r === jump) lines.push(r.replace(/^-A /, '-D '));
  if (chain in t.chains) lines.push(`-F ${chain}`, `-X ${chain}`);
  if (user) lines.push(`-X ${USER_CHAIN}`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}
