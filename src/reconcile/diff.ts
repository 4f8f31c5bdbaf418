// Pure: the difference between what the host holds and what it should hold, as one printable plan.
import { COMMENT_TAG, FORWARD_CHAIN, NAT_CHAIN, PROXY_PROTOCOL, USER_CHAIN } from '../model/names';
import { OUR_CHAINS, renderRemoveBatch, userChainDecl } from '../firewall/batches';
import { dockerNatRule, type ParsedRuleset } from '../model/ip6tables-save';
import { parseRuleLine } from '../model/fw-rule';
import type { RouteInfo } from '../model/net';
import { cidrKey, formatCidr, parseCidr6 } from '../model/ip';
import { type Observed } from './owned';
import { canonical6 } from '../model/ip';
import { parseRouteKey, routeKey, type Desired, type ProxySpec, type RouteSpec } from './desired';

export type Table = 'nat' | 'filter';
export interface Change { kind: 'firewall' | 'route' | 'proxy' | 'sysctl'; action: 'add' | 'remove' | 'update'; target: string; reason: string }

export interface ReconcilePlan {
  /** one ip6tables-restore --noflush input, one *table section per table that differs */
  batch?: string;
  routes: { add: RouteSpec[]; del: RouteSpec[] };
  proxies: { add: ProxySpec[]; del: ProxySpec[] };
  sysctls: Array<{ key: string; to: string }>;
  changes: Change[];
  /** what the state file lists as ours once the plan is applied */
  record: { routes: string[]; proxies: ProxySpec[]; bridges?: string[] };
}

/** The chain a table's changes are reported by (and the one that must exist whenever the table is wanted). */
const MAIN: Record<Table, string> = { nat: NAT_CHAIN, filter: FORWARD_CHAIN };

/**
 * nat: the index among the built-in chain's rules of the first one that is not ours and NATs a subnet our chain
 * SNATs to the chosen source (Docker's masquerade of it, or its SNAT to another address), or -1. Docker inserts
 * that rule at the top of POSTROUTING when dockerd starts or creates the network, so it can land above our jump;
 * the first NAT rule that matches a connection decides its source, so our jump must come before it.
 */
export function shadowingNatRule(builtins: readonly string[], want: readonly string[]): number {
  const ours = new Set(want.map(parseRuleLine).filter((r) => r?.target === 'SNAT' && r.src).map((r) => cidrKey(r!.src!)));
  if (!ours.size) return -1;
  return builtins.findIndex((line) => { const d = dockerNatRule(line); return !!d && ours.has(cidrKey(d.source)); });
}

/** Our chains' rule lines in one table, as the firewall holds them now. */
export function ourRules(tables: ParsedRuleset, table: Table): string[] {
  const chains = OUR_CHAINS[table].map((c) => c.chain);
  return (tables[table]?.rules ?? []).filter((r) => chains.some((c) => r.startsWith(`-A ${c} `)));
}

/**
 * The *table section that brings our chains and jumps to `want` (undefined: absent), or nothing when they
 * match. A chain of ours is wanted when it is the table's main one or `want` has rules for it (D6-DNAT only
 * in npt mode); one that is there but not wanted goes, jump first.
 */
export function tableSection(table: Table, want: string[] | undefined, tables: ParsedRuleset): { text: string; reasons: string[] } | undefined {
  const specs = OUR_CHAINS[table];
  const chain = MAIN[table];
  const cur = tables[table] ?? { chains: {}, rules: [] };
  if (want === undefined) {
    const text = renderRemoveBatch(table, tables);
    return text ? { text, reasons: [`chain ${chain} is not wanted (docker-ipv6 is not enabled, or its mode does not use it)`] } : undefined;
  }
  const mine = (c: string) => (r: string) => r.startsWith(`-A ${c} `);
  const wanted = specs.filter((c) => c.chain === chain || want.some(mine(c.chain)));
  const unwanted = specs.filter((c) => !wanted.includes(c) && ((c.chain in cur.chains) || (!!c.jump && cur.rules.includes(c.jump))));
  const decl = table === 'filter' ? userChainDecl(tables) : [];
  const reasons: string[] = [];
  let rulesOk = decl.length === 0;
  if (decl.length) reasons.push(`chain ${USER_CHAIN} is missing`);
  for (const { chain: c } of wanted) {
    const have = cur.rules.filter(mine(c));
    const wantedRules = want.filter(mine(c));
    if (!(c in cur.chains)) { rulesOk = false; reasons.push(`chain ${c} is missing`); continue; }
    if (have.length === wantedRules.length && have.every((r, i) => r === wantedRules[i])) continue;
    rulesOk = false;
    // Sets: with 1000 networks each side holds ~6000 rules
    const haveSet = new Set(have); const wantSet = new Set(wantedRules);
    const added = wantedRules.filter((r) => !haveSet.has(r)).length;
    const removed = have.filter((r) => !wantSet.has(r)).length;
    reasons.push(`chain ${c} differs from the networks (${added} rule(s) to add, ${removed} to remove${added + removed === 0 ? ', order' : ''})`);
  }
  // Our jump is put first when we add it; after that rules others put above it stay where they are
  // (the admin's place for rules that must come first is D6-USER). Duplicates of it are ours to remove.
  // The one exception to "never moved": a NAT rule of Docker's that would decide before our SNAT (only ours moves).
  const jumpFixes = wanted.flatMap(({ chain: c, builtin, jump }) => {
    if (!jump || !builtin) return [];
    const jumps = cur.rules.filter((r) => r === jump).length;
    const builtins = cur.rules.filter((r) => r.startsWith(`-A ${builtin} `));
    const jumpAt = builtins.indexOf(jump);
    const shadow = table === 'nat' && c === chain ? shadowingNatRule(builtins, want) : -1;
    const shadowed = jumps > 0 && shadow >= 0 && shadow < jumpAt;
    return jumps === 1 && !shadowed ? [] : [{ c, builtin, jump, jumps, builtins, jumpAt, shadow, shadowed }];
  });
  if (rulesOk && !jumpFixes.length && !unwanted.length) return undefined;
  const lines = [`*${table}`, ...decl];
  for (const u of unwanted) {
    reasons.push(`chain ${u.chain} is not wanted in this mode`);
    for (const r of cur.rules) if (r === u.jump) lines.push(r.replace(/^-A /, '-D '));
    if (u.chain in cur.chains) lines.push(`-F ${u.chain}`, `-X ${u.chain}`);
  }
  if (!rulesOk) {
    for (const { chain: c } of wanted) lines.push(`:${c} - [0:0]`, `-F ${c}`);
    for (const { chain: c } of wanted) lines.push(...want.filter(mine(c)));
  }
  for (const { c, builtin, jump, jumps, builtins, jumpAt, shadow, shadowed } of jumpFixes) {
    reasons.push(jumps === 0 ? `jump to ${c} missing from ${builtin}`
      : shadowed ? `Docker's "${builtins[shadow]}" comes before the jump to ${c} in ${builtin} (Docker puts it first when dockerd starts or creates the network), so its NAT would decide the source: the jump moves above it`
        : `${jumps} jumps to ${c} in ${builtin}`);
    let at = jumps === 0 ? 1 : jumpAt + 1;
    // our jump(s) sit below the shadowing rule, so deleting them first leaves its position as it is
    if (shadow >= 0 && shadow + 1 < at) at = shadow + 1;
    for (let i = 0; i < jumps; i++) lines.push(jump.replace(/^-A /, '-D '));
    lines.push(`-I ${builtin} ${at} -m comment --comment ${COMMENT_TAG} -j ${c}`);
  }
  lines.push('COMMIT');
  return { text: `${lines.join('\n')}\n`, reasons };
}

/** Whether the route is our unreachable route for `spec` (main table, IPv6). */
export function isRoute(r: RouteInfo, spec: RouteSpec): boolean {
  if (r.family !== 6 || r.table !== 254 || !/unreachable|^7$/i.test(r.type)) return false;
  const c = parseCidr6(r.dst);
  return !!c && formatCidr(c) === spec.dst;
}

function proxyKey(p: { address: string; ifname: string }): string {
  return `${canonical6(p.address)}%${p.ifname}`;
}

/**
 * The proxy entries we own: those the state lists, and those carrying our NDA_PROTOCOL tag (the agent's
 * fast path adds entries without writing the state first; a crash before the next pass leaves them tagged).
 */
export function ownedProxies(obs: Pick<Observed, 'state' | 'proxies'>): Array<{ address: string; ifname: string }> {
  const out = new Map<string, { address: string; ifname: string }>();
  for (const p of obs.state?.proxies ?? []) out.set(proxyKey(p), { address: p.address, ifname: p.ifname });
  for (const p of obs.proxies) if (p.protocol === PROXY_PROTOCOL && p.ifname) out.set(proxyKey(p), { address: p.address, ifname: p.ifname });
  // an entry that was there before enable is not ours even if a tag ended up on it
  for (const p of obs.state?.foreignProxies ?? []) out.delete(proxyKey(p));
  return [...out.values()];
}

/** What we own: what our state lists, and proxy entries that carry our originator tag. Only those are ever removed. */
export function planReconcile(desired: Desired, obs: Observed, tables: Table[] = ['nat', 'filter']): ReconcilePlan {
  const changes: Change[] = [];
  const sections: string[] = [];
  for (const t of tables) {
    const s = tableSection(t, desired[t], obs.tables);
    if (!s) continue;
    sections.push(s.text);
    changes.push({ kind: 'firewall', action: desired[t] ? 'update' : 'remove', target: `${t} ${MAIN[t]}`, reason: s.reasons.join('; ') });
  }
  const ownedRoutes = (obs.state?.routes ?? []).map(parseRouteKey).filter((r): r is RouteSpec => !!r);
  const wantRoutes = new Set(desired.routes.map(routeKey));
  const present = (r: RouteSpec) => obs.routes.some((x) => isRoute(x, r));
  const routes = {
    add: desired.routes.filter((r) => !present(r)),
    del: ownedRoutes.filter((r) => !wantRoutes.has(routeKey(r)) && present(r)),
  };
  for (const r of routes.add) changes.push({ kind: 'route', action: 'add', target: routeKey(r), reason: 'packets to unassigned parts of the routed prefix must not go back upstream (routing loop)' });
  for (const r of routes.del) changes.push({ kind: 'route', action: 'remove', target: routeKey(r), reason: 'the mode or prefix no longer needs it' });
  const have = new Set(obs.proxies.map((p) => proxyKey(p)));
  const want = new Set(desired.proxies.map(proxyKey));
  const foreign = new Set((obs.state?.foreignProxies ?? []).map(proxyKey));
  const proxies = {
    add: desired.proxies.filter((p) => !have.has(proxyKey(p))),
    del: ownedProxies(obs).filter((p) => !want.has(proxyKey(p)) && have.has(proxyKey(p))),
  };
  for (const p of proxies.add) changes.push({ kind: 'proxy', action: 'add', target: `${p.address} on ${p.ifname}`, reason: p.why ?? 'wanted' });
  for (const p of proxies.del) changes.push({ kind: 'proxy', action: 'remove', target: `${p.address} on ${p.ifname}`, reason: 'no running container or network holds this address any more' });
  const sysctls = desired.sysctls.filter((s) => obs.sysctls[s.key] !== s.to);
  for (const s of sysctls) changes.push({ kind: 'sysctl', action: 'update', target: `${s.key}=${s.to}`, reason: `${s.why} (was ${obs.sysctls[s.key]})` });
  return {
    batch: sections.length ? sections.join('') : undefined,
    routes, proxies, sysctls: sysctls.map(({ key, to }) => ({ key, to })), changes,
    // entries someone else had before enable stay theirs: never recorded, so never removed
    record: { routes: desired.routes.map(routeKey), proxies: desired.proxies.filter((p) => !foreign.has(proxyKey(p))).map(({ address, ifname }) => ({ address, ifname })), ...(desired.bridges ? { bridges: desired.bridges } : {}) },
  };
}

/** --cleanup: our chains, and every route and proxy entry the state lists that is still there. */
export function planCleanup(obs: Observed): ReconcilePlan {
  return planReconcile({ routes: [], proxies: [], sysctls: [] }, obs);
}
