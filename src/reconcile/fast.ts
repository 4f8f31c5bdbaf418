// Pure: the agent's fast path. From the view the last full pass left and one inspected container or
// network, exactly what the full pass would add for it (or drop for a stopped container), so an event
// is served in milliseconds; the debounced full pass still runs after it and owns correctness.
import { containerProxies, desiredForwardRules, desiredNatRules, desiredProxies, networksInPrefix, type Desired, type ProxySpec } from './desired';
import type { LinkInfo } from '../model/net';
import type { Change, Table } from './diff';
import { type Owned } from './owned';
import { type CtrFact, type DockerFacts, type NetFact } from '../model/docker';
import { canonical6 } from '../model/ip';

export interface FastView {
  owned: Owned;
  docker: DockerFacts;
  /** our chains' rules as the last pass left them (undefined: we keep no such chain) */
  rules: { nat?: string[]; filter?: string[] };
  /** canonical addresses with a proxy entry we keep on the uplink */
  proxies: Set<string>;
  /** the uplink's ifindex when the pass ran */
  uplinkIndex?: number;
  /** the host's interface names when the pass ran (the filter spares host interfaces the catch-alls would match) */
  links?: Array<Pick<LinkInfo, 'name'>>;
  /**
   * whether this kernel keeps our NDA_PROTOCOL tag on proxy entries (5.2+): seen on an entry at the last
   * pass. Until then the fast path records an entry in the state before adding it, as the full pass does.
   */
  tagsKept?: boolean;
}

export interface FastPlan {
  proxies: { add: ProxySpec[]; del: ProxySpec[] };
  /** one ip6tables-restore --noflush input of `-I` lines, or none */
  batch?: string;
  changes: Change[];
  /** the view once the plan is applied */
  next: FastView;
}

export function viewAfterPass(owned: Owned, docker: DockerFacts, desired: Desired, uplinkIndex?: number, tagsKept?: boolean, links?: ReadonlyArray<Pick<LinkInfo, 'name'>>): FastView {
  return {
    owned, uplinkIndex, tagsKept, links: links?.map((l) => ({ name: l.name })),
    docker: { networks: [...docker.networks], containers: [...docker.containers] },
    rules: { nat: desired.nat && [...desired.nat], filter: desired.filter && [...desired.filter] },
    proxies: new Set(desired.proxies.map((p) => canonical6(p.address))),
  };
}

function proxyChange(p: ProxySpec, action: 'add' | 'remove', reason: string): Change {
  return { kind: 'proxy', action, target: `${p.address} on ${p.ifname}`, reason };
}

function empty(view: FastView): FastPlan {
  return { proxies: { add: [], del: [] }, changes: [], next: view };
}

/** A container started: its addresses inside the prefix get proxy entries (ndp mode). */
export function planContainerStart(view: FastView, ctr: CtrFact): FastPlan {
  const containers = [...view.docker.containers.filter((c) => c.id !== ctr.id), ctr];
  const next: FastView = { ...view, docker: { ...view.docker, containers } };
  if (view.owned.mode !== 'ndp') return empty(next);
  const add = containerProxies(view.owned, view.docker, [ctr]).filter((p) => !view.proxies.has(p.address));
  if (!add.length) return empty(next);
  next.proxies = new Set([...view.proxies, ...add.map((p) => p.address)]);
  return { proxies: { add, del: [] }, changes: add.map((p) => proxyChange(p, 'add', p.why ?? 'wanted')), next };
}

/** A container died: its entries go, unless a gateway or another running container still holds the address. */
export function planContainerDie(view: FastView, id: string): FastPlan {
  const ctr = view.docker.containers.find((c) => c.id === id);
  if (!ctr) return empty(view);
  const docker = { ...view.docker, containers: view.docker.containers.filter((c) => c.id !== id) };
  const next: FastView = { ...view, docker };
  if (view.owned.mode !== 'ndp') return empty(next);
  const still = new Set(desiredProxies(view.owned, docker).map((p) => p.address));
  const del = containerProxies(view.owned, view.docker, [ctr]).filter((p) => view.proxies.has(p.address) && !still.has(p.address));
  if (!del.length) return empty(next);
  next.proxies = new Set([...view.proxies].filter((a) => !del.some((p) => p.address === a)));
  return { proxies: { add: [], del }, changes: del.map((p) => proxyChange(p, 'remove', `container ${ctr.name} stopped`)), next };
}

function rulesFor(table: Table, view: FastView, docker: DockerFacts): string[] {
  return table === 'nat' ? desiredNatRules(view.owned, docker) : desiredForwardRules(view.owned, docker, view.links ?? []);
}

/**
 * `-I CHAIN N rule` lines that turn `have` into `want` when `want` only adds rules to it (`have` is an
 * in-order part of `want`), else undefined (the full pass rewrites the chain). Taken in ascending order,
 * each N is the rule's final place: every rule before it is in place by then.
 */
export function insertions(have: readonly string[], want: readonly string[]): string[] | undefined {
  const out: string[] = [];
  let h = 0;
  for (let w = 0; w < want.length; w++) {
    if (h < have.length && have[h] === want[w]) { h++; continue; }
    const m = /^-A (\S+) (.+)$/.exec(want[w]);
    if (!m) return undefined;
    const at = want.slice(0, w).filter((r) => r.startsWith(`-A ${m[1]} `)).length + 1;
    out.push(`-I ${m[1]} ${at} ${m[2]}`);
  }
  return h === have.length ? out : undefined;
}

/**
 * A network was created: its gateway entry (ndp) and its rules in our chains, inserted where the full pass
 * puts them (the filter lists every bridge network; NAT only the ones inside the prefix).
 */
export function planNetworkCreate(view: FastView, n: NetFact): FastPlan {
  if (view.docker.networks.some((x) => x.id === n.id)) return empty(view);
  const docker = { ...view.docker, networks: [...view.docker.networks, n] };
  const next: FastView = { ...view, docker, rules: { ...view.rules } };
  const inPrefix = networksInPrefix(view.owned, { networks: [n], containers: [] });
  const changes: Change[] = [];
  const add = view.owned.mode === 'ndp' && inPrefix.length
    ? desiredProxies(view.owned, { networks: [n], containers: view.docker.containers.filter((c) => c.v6[n.name]) }).filter((p) => !view.proxies.has(p.address))
    : [];
  for (const p of add) changes.push(proxyChange(p, 'add', p.why ?? 'wanted'));
  if (add.length) next.proxies = new Set([...view.proxies, ...add.map((p) => p.address)]);
  const sections: string[] = [];
  for (const table of ['nat', 'filter'] as Table[]) {
    const have = view.rules[table];
    if (!have) continue;
    const want = rulesFor(table, view, docker);
    const lines = insertions(have, want);
    // not only additions (cannot happen for a new network, but then the full pass rewrites the chain)
    if (!lines?.length) continue;
    sections.push(`*${table}\n${lines.join('\n')}\nCOMMIT\n`);
    next.rules[table] = want;
    changes.push({ kind: 'firewall', action: 'update', target: `${table} ${table === 'nat' ? 'D6-NAT' : 'D6-FORWARD'}`, reason: `network ${n.name} created: ${lines.length} rule(s) inserted` });
  }
  return { proxies: { add, del: [] }, batch: sections.length ? sections.join('') : undefined, changes, next };
}
