// Renders our own chains as ip6tables-restore --noflush batches (text, so tests compare golden files).
import { COMMENT_TAG, DNAT_CHAIN, FORWARD_CHAIN, INBOUND_CHAIN, NAT_CHAIN, USER_CHAIN } from '../model/names';
import type { ParsedRuleset } from '../model/ip6tables-save';

/** A subnet our nat chain translates: masqueraded, or (`to`) SNATed to the host address chosen with --nat-source. */
export interface NatSource { subnet: string; bridge: string; to?: string }

/** One Docker bridge as the filter sees it: every bridge network Docker reports, inside the prefix or not. */
export interface FilterNetwork {
  bridge: string;
  /** --internal: traffic inside the bridge only; nothing in, nothing out */
  internal: boolean;
  /** ports published on all host addresses ("" or "::"): the container address, port and protocol */
  published: Array<{ address: string; port: number; proto: 'tcp' | 'udp' | 'sctp' }>;
}

/** What the filter knows besides the networks: where containers may go out, and host interfaces the catch-alls must spare. */
export interface FilterHost {
  uplink: string;
  /**
   * Interfaces of the host (not Docker's bridges) whose names the catch-alls would match, e.g. a `br-lan`
   * uplink: forwarding to and from them is the admin's, never dropped by a Docker catch-all.
   */
  spared?: readonly string[];
  /**
   * IPv6 subnets of networks whose bridge name cannot be written into a rule (ip6tables would read "+" as a
   * wildcard): no rule names their bridge, so they are closed by address, both ways.
   */
  closedSubnets?: readonly string[];
  /**
   * npt mode: from the uplink, only connections our translation took in (D6-DNAT, to an outside address) get
   * D6-INBOUND's exceptions. The filter sees inside addresses, so without it an upstream that routes the inside
   * ULA here would reach published ports (and echo) at the containers' own addresses, untranslated.
   */
  translatedOnly?: boolean;
}

const TAG = `-m comment --comment ${COMMENT_TAG}`;
/**
 * Docker's own bridge names, the default bridge and br-<id> (ip6tables' interface wildcard): they close a
 * network the last pass has not listed yet, before any rule of its own exists.
 */
export const CATCH_ALL_BRIDGES = ['docker0', 'br-+'] as const;
/**
 * The ICMPv6 transit set of RFC 4890 4.3.1 that reaches containers unsolicited: Destination Unreachable,
 * Packet Too Big (path MTU discovery fails without it), Time Exceeded, Parameter Problem, and Echo Request
 * (our choice, as Docker's own routed gateway mode: an address in use is no secret once it serves a
 * published port, and ping is how people check a path). Replies to what a container sent pass as RELATED.
 * Internal networks get none of them.
 */
export const TRANSIT_ICMP6 = [1, 2, 3, 4, 128] as const;
export const NAT_JUMP = `-A POSTROUTING ${TAG} -j ${NAT_CHAIN}`;
export const DNAT_JUMP = `-A PREROUTING ${TAG} -j ${DNAT_CHAIN}`;
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
 * npt: the inside prefix (which containers keep) and the outside one map onto each other 1:1, keeping every
 * address's host part (`NETMAP`, nftables `snat|dnat ip6 prefix to`): the source of what leaves by the uplink,
 * the destination of what comes in by it. The filter sees inside addresses only (inbound is translated before
 * FORWARD, outbound after it), so it is the same closed filter as routed mode's, and a new outside prefix
 * changes these two rules and nothing else.
 */
export function nptRules(inside: string, outside: string, uplink: string): string[] {
  return [
    `-A ${NAT_CHAIN} -s ${inside} -o ${uplink} ${TAG} -j NETMAP --to ${outside}`,
    `-A ${DNAT_CHAIN} -d ${outside} -i ${uplink} ${TAG} -j NETMAP --to ${inside}`,
  ];
}

const F = (rest: string) => `-A ${FORWARD_CHAIN} ${rest ? `${rest} ` : ''}${TAG}`;

/**
 * The end of D6-FORWARD: a bridge that matches Docker's names and no rule above has listed (a network
 * created since the last pass) gets nothing from outside and sends nothing out; only traffic between such
 * bridges passes (with br_netfilter a network's own traffic crosses FORWARD, and plain `docker network
 * create` must work inside before a pass lists it; between two unlisted networks that is a gap until then).
 * Host interfaces that happen to match (`spared`) are returned to FORWARD first, so the admin's forwarding
 * through them is never ours to drop.
 */
export function catchAllRules(spared: readonly string[] = [], listed: readonly string[] = []): string[] {
  const keep = [...new Set(spared)].sort();
  // a listed docker0 already ends in drops of its own, both ways
  const alls = CATCH_ALL_BRIDGES.filter((b) => !listed.includes(b));
  return [
    ...keep.map((e) => `${F(`-o ${e}`)} -j RETURN`),
    ...alls.map((b) => `${F(`-i ${b} -o ${b}`)} -j ACCEPT`),
    ...alls.map((b) => `${F(`-o ${b}`)} -j DROP`),
    ...keep.map((e) => `${F(`-i ${e}`)} -j RETURN`),
    ...alls.map((b) => `${F(`-i ${b}`)} -j DROP`),
  ];
}

/**
 * The filter of routed and NDP modes, closed by construction (Docker's own IPv6 filter is off there).
 * D6-FORWARD decides every packet from or to a Docker bridge; nothing else is ours, so forwarding between
 * interfaces that are not Docker's stays the admin's (no blanket FORWARD DROP). In order:
 *   1. the admin's D6-USER;
 *   2. from each listed bridge: its own bridge, the uplink, replies to what was let in; then DROP
 *      (isolation from every other bridge, named or not, and from interfaces it has no business with);
 *   3. from the subnets of networks whose bridge name no rule can hold: DROP;
 *   4. toward each listed bridge: D6-INBOUND (replies, the ICMPv6 transit set, published ports), then DROP;
 *      an internal network's bridge: DROP (it passed 2 only inside itself); then toward those subnets: DROP;
 *   5. the catch-alls (catchAllRules): toward and from docker0 / br-+ not listed above, DROP.
 * Every Docker bridge therefore ends in a DROP of D6-FORWARD itself, whatever its name or subnet, and
 * whatever D6-INBOUND holds (a flushed D6-INBOUND lets nothing through). No rule depends on the prefix.
 */
export function forwardRules(nets: readonly FilterNetwork[], host: FilterHost): string[] {
  const sorted = [...nets].sort((a, b) => a.bridge.localeCompare(b.bridge));
  const from: string[] = [];
  const to: string[] = [];
  for (const n of sorted) {
    from.push(`${F(`-i ${n.bridge} -o ${n.bridge}`)} -j ACCEPT`);
    if (!n.internal) {
      if (n.bridge !== host.uplink) from.push(`${F(`-i ${n.bridge} -o ${host.uplink}`)} -j ACCEPT`);
      from.push(`${F(`-i ${n.bridge} -m conntrack --ctstate RELATED,ESTABLISHED`)} -j ACCEPT`);
      to.push(`${F(`-o ${n.bridge}`)} -j ${INBOUND_CHAIN}`);
    }
    from.push(`${F(`-i ${n.bridge}`)} -j DROP`);
    to.push(`${F(`-o ${n.bridge}`)} -j DROP`);
  }
  const closed = [...new Set(host.closedSubnets ?? [])].sort();
  return [
    USER_JUMP, ...from,
    ...closed.map((c) => `${F(`-s ${c}`)} -j DROP`),
    ...to,
    ...closed.map((c) => `${F(`-d ${c}`)} -j DROP`),
    ...catchAllRules(host.spared, sorted.map((n) => n.bridge)),
  ];
}

/** D6-INBOUND: what the world may send a container of a listed, not internal, network (D6-FORWARD drops the rest). */
export function inboundRules(nets: readonly FilterNetwork[], host?: Pick<FilterHost, 'uplink' | 'translatedOnly'>): string[] {
  const I = (rest: string) => `-A ${INBOUND_CHAIN} ${rest ? `${rest} ` : ''}${TAG}`;
  const seen = new Set<string>();
  const ports = nets.filter((n) => !n.internal).flatMap((n) => n.published)
    .filter((p) => { const k = `${p.address} ${p.proto} ${p.port}`; if (seen.has(k)) return false; seen.add(k); return true; })
    .sort((a, b) => a.address.localeCompare(b.address) || a.proto.localeCompare(b.proto) || a.port - b.port);
  return [
    `${I('-m conntrack --ctstate RELATED,ESTABLISHED')} -j ACCEPT`,
    // back to D6-FORWARD, where the bridge's DROP follows (replies to what containers sent passed just above)
    ...(host?.translatedOnly ? [`${I(`-i ${host.uplink} -m conntrack ! --ctstate DNAT`)} -j RETURN`] : []),
    ...TRANSIT_ICMP6.map((t) => `${I(`-p ipv6-icmp -m icmp6 --icmpv6-type ${t}`)} -j ACCEPT`),
    ...ports.map((p) => `${I(`-d ${p.address}/128 -p ${p.proto} -m ${p.proto} --dport ${p.port}`)} -j ACCEPT`),
  ];
}

/** Every rule of our filter chains (D6-INBOUND's, then D6-FORWARD's), the form the diff compares. */
export function filterRules(nets: readonly FilterNetwork[], host: FilterHost): string[] {
  return [...inboundRules(nets, host), ...forwardRules(nets, host)];
}

/**
 * The closed skeleton, from the saved state alone (no Docker needed): D6-USER's jump, the bridges with names
 * of their own that the last pass listed (closed both ways but inside themselves, as internal networks),
 * and the catch-alls. What boot installs before forwarding is on, and what a pass that cannot do more leaves.
 */
export function skeletonRules(savedBridges: readonly string[], host: FilterHost): string[] {
  return filterRules(savedBridges.map((bridge) => ({ bridge, internal: true, published: [] })), host);
}

/** Our filter chains in the order a batch declares them: D6-INBOUND first, D6-FORWARD jumps to it. */
export const FILTER_CHAINS = [INBOUND_CHAIN, FORWARD_CHAIN] as const;

/** A whole filter batch for these rules (D6-USER declared when missing, our jump added first when missing). */
export function renderFilterBatch(rules: readonly string[], current: ParsedRuleset): string {
  const lines = ['*filter', ...userChainDecl(current)];
  for (const c of FILTER_CHAINS) lines.push(`:${c} - [0:0]`, `-F ${c}`);
  for (const c of FILTER_CHAINS) lines.push(...rules.filter((r) => r.startsWith(`-A ${c} `)));
  if (!hasRule(current, 'filter', FORWARD_JUMP)) lines.push(`-I FORWARD 1 ${TAG} -j ${FORWARD_CHAIN}`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

/** The filter batch for these networks (enable's plan shows it). */
export function renderForwardBatch(nets: readonly FilterNetwork[], host: FilterHost, current: ParsedRuleset): string {
  return renderFilterBatch(filterRules(nets, host), current);
}

/**
 * Whether D6-FORWARD, as it is, keeps every Docker bridge closed once jumped to: it ends with the catch-all
 * drops, and each of `bridges` (the named ones the state lists) ends in a DROP of its own. D6-INBOUND does
 * not matter: whatever it holds, a packet it returns meets the bridge's DROP.
 */
export function chainEndsClosed(current: ParsedRuleset, bridges: readonly string[] = []): boolean {
  const t = current.filter;
  if (!t || !(FORWARD_CHAIN in t.chains)) return false;
  const have = t.rules.filter((r) => r.startsWith(`-A ${FORWARD_CHAIN} `));
  // the last rule is the br-+ drop; every catch-all and named bridge has its drops, both ways
  if (have.at(-1) !== `${F('-i br-+')} -j DROP`) return false;
  return [...CATCH_ALL_BRIDGES, ...bridges].every((b) => have.includes(`${F(`-o ${b}`)} -j DROP`) && have.includes(`${F(`-i ${b}`)} -j DROP`));
}

/** Whether D6-FORWARD ends this bridge in a DROP of its own (what forwardRules writes for every listed bridge). */
export function bridgeEndsInDrop(current: ParsedRuleset, bridge: string): boolean {
  return !!current.filter?.rules.includes(`${F(`-o ${bridge}`)} -j DROP`);
}

/** Whether the catch-alls (docker0, br-+) would match this interface name. */
export function catchAllCovers(bridge: string): boolean {
  return bridge === 'docker0' || bridge.startsWith('br-');
}

/** Whether our filter chain, as it is, keeps Docker's bridges closed: jumped to from FORWARD and ending closed. */
export function filterIsClosed(current: ParsedRuleset, bridges: readonly string[] = []): boolean {
  return chainEndsClosed(current, bridges) && !!current.filter?.rules.includes(FORWARD_JUMP);
}

/** Our chains of a table, in the order a batch declares them (a jump's target first), each with the built-in chain that jumps to it. */
export const OUR_CHAINS: Record<'nat' | 'filter', ReadonlyArray<{ chain: string; builtin?: string; jump?: string }>> = {
  nat: [{ chain: NAT_CHAIN, builtin: 'POSTROUTING', jump: NAT_JUMP }, { chain: DNAT_CHAIN, builtin: 'PREROUTING', jump: DNAT_JUMP }],
  filter: [{ chain: INBOUND_CHAIN }, { chain: FORWARD_CHAIN, builtin: 'FORWARD', jump: FORWARD_JUMP }],
};

/**
 * Removes our jumps and chains from a table (only what exists, so the batch cannot fail on absence). D6-USER
 * goes too when it is empty and nothing but our chain jumps to it; rules the admin put in it keep it.
 */
export function renderRemoveBatch(table: 'nat' | 'filter', current: ParsedRuleset): string | undefined {
  const specs = OUR_CHAINS[table];
  const chains = specs.map((c) => c.chain);
  const jumps = specs.flatMap((c) => (c.jump ? [c.jump] : []));
  const t = current[table];
  const ours = (r: string) => chains.some((c) => r.startsWith(`-A ${c} `));
  const user = table === 'filter' && !!t && USER_CHAIN in t.chains
    && !t.rules.some((r) => r.startsWith(`-A ${USER_CHAIN} `) || (r.endsWith(`-j ${USER_CHAIN}`) && !ours(r)));
  const present = chains.filter((c) => c in (t?.chains ?? {}));
  if (!t || (!present.length && !t.rules.some((r) => jumps.includes(r)) && !user)) return undefined;
  const lines = [`*${table}`];
  for (const r of t.rules) if (jumps.includes(r)) lines.push(r.replace(/^-A /, '-D '));
  for (const c of present) lines.push(`-F ${c}`);
  // the chain that jumps (D6-FORWARD to D6-INBOUND) goes first
  for (const c of [...present].reverse()) lines.push(`-X ${c}`);
  if (user) lines.push(`-X ${USER_CHAIN}`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}
