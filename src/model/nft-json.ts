// `nft -j list ...` output as data: our own table seen as ip6tables-style chains and rule lines (with each rule's
// handle), and Docker's IPv6 masquerades in its `ip6 docker-bridges` table (pure).
import { COMMENT_TAG, DNAT_CHAIN, NAT_CHAIN } from './names';
import type { ParsedRuleset } from './ip6tables-save';
import { ICMP6_TYPE_NAMES, ruleLine, targetFromNft, type OurRule, type Proto } from './fw-rule';
import { canonical6, isIPv6Address } from './ip';

/** `icmpv6 type` as nft -j prints it (a name for the types it knows, else the number) -> the number. */
function icmp6Type(right: unknown): number | undefined {
  if (typeof right === 'number' && Number.isInteger(right) && right >= 0 && right < 256) return right;
  const hit = Object.entries(ICMP6_TYPE_NAMES).find(([, name]) => name === right);
  return hit ? Number(hit[0]) : undefined;
}

export interface NftChain { family: string; table: string; name: string; handle: number; type?: string; hook?: string; prio?: number; policy?: string }
export interface NftRule { family: string; table: string; chain: string; handle: number; comment?: string; expr: unknown[] }
/** Anything else a table holds (sets, maps, flowtables, named counters, ...): never ours. */
export interface NftOther { family: string; table: string; kind: string; name: string }
export interface NftObjects { tables: Array<{ family: string; name: string }>; chains: NftChain[]; rules: NftRule[]; others?: NftOther[] }

/** Parses `nft -j list ruleset|table ...`: tables, chains and rules (maps, sets and the rest are left out). */
export function parseNftJson(text: string): NftObjects {
  const out: NftObjects = { tables: [], chains: [], rules: [], others: [] };
  if (!text.trim()) return out;
  const doc = JSON.parse(text) as { nftables?: Array<Record<string, unknown>> };
  for (const o of doc.nftables ?? []) {
    if (o.table) out.tables.push(o.table as NftObjects['tables'][number]);
    else if (o.chain) out.chains.push(o.chain as NftChain);
    else if (o.rule) out.rules.push(o.rule as NftRule);
    else {
      const [kind, body] = Object.entries(o)[0] ?? [];
      const b = body as { family?: string; table?: string; name?: string } | undefined;
      if (kind && kind !== 'metainfo' && b?.table) out.others!.push({ family: b.family ?? '', table: b.table, kind, name: b.name ?? '' });
    }
  }
  return out;
}

type Match = { op?: string; left?: Record<string, Record<string, unknown>>; right?: unknown };

function address(right: unknown): string | undefined {
  if (typeof right === 'string') return right.includes('/') ? right : `${right}/128`;
  const p = (right as { prefix?: { addr?: string; len?: number } })?.prefix;
  return p?.addr && typeof p.len === 'number' ? `${p.addr}/${p.len}` : undefined;
}

/** nft's interface wildcard "br-*" is ip6tables' "br-+". */
function ifname(right: unknown): string | undefined {
  return typeof right === 'string' ? right.replace(/\*$/, '+') : undefined;
}

/** One of our rules back as its canonical line, or undefined when the rule is not one we write. */
export function ruleFromNft(rule: NftRule): string | undefined {
  if (rule.comment !== COMMENT_TAG) return undefined;
  const r: OurRule = { chain: rule.chain, target: '' };
  for (const e of rule.expr as Array<Record<string, unknown>>) {
    const [kind, body] = Object.entries(e)[0] ?? [];
    if (kind === 'match') {
      const m = body as Match;
      const payload = m.left?.payload as { protocol?: string; field?: string } | undefined;
      const meta = (m.left?.meta as { key?: string } | undefined)?.key;
      const ct = (m.left?.ct as { key?: string } | undefined)?.key;
      if (payload?.protocol === 'ip6' && m.op === '==' && payload.field === 'saddr' && !r.src) r.src = address(m.right);
      else if (payload?.protocol === 'ip6' && m.op === '==' && payload.field === 'daddr' && !r.dst) r.dst = address(m.right);
      else if (payload && ['tcp', 'udp', 'sctp'].includes(payload.protocol ?? '') && payload.field === 'dport' && m.op === '==' && typeof m.right === 'number' && !r.proto) {
        r.proto = payload.protocol as Proto; r.dport = m.right;
      } else if (meta === 'iifname' && m.op === '==' && !r.iif) r.iif = ifname(m.right);
      else if (meta === 'oifname' && (m.op === '==' || m.op === '!=') && !r.oif) { r.oif = ifname(m.right); if (m.op === '!=') r.oifNot = true; }
      else if (meta === 'l4proto' && m.op === '==' && m.right === 'ipv6-icmp' && !r.proto) r.proto = 'ipv6-icmp';
      // nft folds our `meta l4proto ipv6-icmp` into the icmpv6 match it implies
      else if (payload?.protocol === 'icmpv6' && payload.field === 'type' && m.op === '==' && icmp6Type(m.right) !== undefined && r.icmpType === undefined && (!r.proto || r.proto === 'ipv6-icmp')) {
        r.proto = 'ipv6-icmp'; r.icmpType = icmp6Type(m.right);
      }
      else if (ct === 'state' && (m.op === 'in' || m.op === '==') && Array.isArray(m.right) && [...m.right].sort().join() === 'established,related') r.established = true;
      else if (ct === 'status' && m.op === '!' && m.right === 'dnat' && !r.untranslated) r.untranslated = true;
      else return undefined;
    } else if (kind === 'jump' && !r.target) r.target = (body as { target?: string })?.target ?? '';
    else if ((kind === 'snat' || kind === 'dnat') && !r.target && (body as { type_flags?: unknown })?.type_flags === 'prefix') {
      // our NETMAP: `snat|dnat ip6 prefix to P` (nft -j: type_flags prefix, flags netmap)
      const n = body as { addr?: unknown } | undefined;
      const to = address(n?.addr);
      if (!to || (kind === 'dnat') !== (rule.chain === DNAT_CHAIN)) return undefined;
      r.target = 'NETMAP'; r.to = to;
    }
    else if (kind === 'snat' && !r.target && isIPv6Address(String((body as { addr?: unknown })?.addr))) { r.target = 'SNAT'; r.toSource = canonical6((body as { addr: string }).addr); }
    else if (kind && targetFromNft(kind) && !r.target) r.target = targetFromNft(kind)!;
    else return undefined;
  }
  if (!r.target || (r.src === undefined && 'src' in r) || (r.dst === undefined && 'dst' in r)) return undefined;
  return ruleLine(r);
}

/** Our table's chains by the ip6tables table they stand for: the postrouting hook and D6-NAT are "nat". */
export function tableOfChain(chain: string): 'nat' | 'filter' {
  return chain === 'POSTROUTING' || chain === 'PREROUTING' || chain === NAT_CHAIN || chain === DNAT_CHAIN ? 'nat' : 'filter';
}

/** Our table as ip6tables sees its own tables: chains (base chains with their policy) and rule lines, plus each line's handle. */
export interface NftTableView {
  exists: boolean;
  ruleset: ParsedRuleset;
  /** chain -> handles of its rules, in order (parallel to that chain's lines in `ruleset`) */
  handles: Record<string, number[]>;
  /** base chains (hooked): FORWARD, POSTROUTING */
  base: string[];
  /** what else the table holds (the admin's sets and maps): the table is kept while anything is there */
  others?: string[];
}

export function nftTableView(objs: NftObjects, family: string, table: string): NftTableView {
  const others = (objs.others ?? []).filter((o) => o.family === family && o.table === table).map((o) => `${o.kind} ${o.name}`);
  const view: NftTableView = { exists: objs.tables.some((t) => t.family === family && t.name === table), ruleset: {}, handles: {}, base: [], ...(others.length ? { others } : {}) };
  for (const c of objs.chains.filter((x) => x.family === family && x.table === table)) {
    const t = (view.ruleset[tableOfChain(c.name)] ??= { chains: {}, rules: [] });
    t.chains[c.name] = c.hook ? (c.policy ?? 'accept').toUpperCase() : '-';
    if (c.hook) view.base.push(c.name);
    view.handles[c.name] = [];
  }
  for (const r of objs.rules.filter((x) => x.family === family && x.table === table)) {
    const t = (view.ruleset[tableOfChain(r.chain)] ??= { chains: {}, rules: [] });
    // a rule we did not write keeps its place and shows as such: it can never equal a rule we want
    t.rules.push(ruleFromNft(r) ?? `-A ${r.chain} # nft rule handle ${r.handle}, not written by docker-ipv6`);
    (view.handles[r.chain] ??= []).push(r.handle);
  }
  return view;
}

/**
 * Docker's IPv6 source NAT in its nftables table: `oifname != BR ip6 saddr P masquerade` -> {source, bridge}, and
 * `... snat to ADDR` (a network's com.docker.network.host_ipv6, Docker 25+) -> {source, bridge, to}.
 */
export function dockerNftMasquerades(objs: NftObjects, table = 'docker-bridges'): Array<{ source: string; bridge?: string; to?: string }> {
  const out: Array<{ source: string; bridge?: string; to?: string }> = [];
  for (const r of objs.rules.filter((x) => x.family === 'ip6' && x.table === table)) {
    let source: string | undefined;
    let bridge: string | undefined;
    let masq = false;
    let to: string | undefined;
    for (const e of r.expr as Array<Record<string, unknown>>) {
      const m = e.match as Match | undefined;
      const payload = m?.left?.payload as { protocol?: string; field?: string } | undefined;
      if (payload?.protocol === 'ip6' && payload.field === 'saddr' && m?.op === '==') source = address(m.right);
      else if ((m?.left?.meta as { key?: string } | undefined)?.key === 'oifname' && m?.op === '!=') bridge = ifname(m.right);
      else if ('masquerade' in e) masq = true;
      else if ('snat' in e) { const a = String((e.snat as { addr?: unknown } | null)?.addr); if (isIPv6Address(a)) to = canonical6(a); }
    }
    if ((masq || to) && source) out.push({ source, bridge, ...(to ? { to } : {}) });
  }
  return out;
}
