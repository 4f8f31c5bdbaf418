// Pure: the agent's fast path. From the view the last full pass left and one inspected container or
// network, exactly what the full pass would add for it (or drop for a stopped container), so an event
// is served in milliseconds; the debounced full pass still runs after it and owns correctness.
import { FORWARD_CHAIN, NAT_CHAIN } from '../model/names';
import { prefixTail, USER_JUMP } from '../firewall/batches';
import { formatCidr, parseCidr6 } from '../model/ip';
import { containerProxies, desiredForwardRules, desiredNatRules, desiredProxies, networksInPrefix, type Desired, type ProxySpec } from './desired';
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

export function viewAfterPass(owned: Owned, docker: DockerFacts, desired: Desired, uplinkIndex?: number, tagsKept?: boolean): FastView {
  return {
    owned, uplinkIndex, tagsKept,
    docker: { networks: [...docker.networks], containers: [...docker.containers] },
    rules: { nat: desired.nat && [...desired.nat], filter: desired.filter && [...desired.filter] },
    proxies: new Set(desired.proxies.map((p) => canonical6(p.address))),
  };
}

const CHAIN: Record<Table, string> = { nat: NAT_CHAIN, filter: FORWARD_CHAIN };

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

function rulesFor(table: Table, owned: Owned, docker: DockerFacts): string[] {
  return table === 'nat' ? desiredNatRules(owned, docker) : desiredForwardRules(owned, docker);
}

/** Where the new network's rules go in our chain: before the first rule of the next network in the full pass's order. */
function insertAt(table: Table, view: FastView, next: DockerFacts, n: NetFact, rules: string[]): number | undefined {
  const order = networksInPrefix(view.owned, next);
  const i = order.findIndex((x) => x.net.id === n.id);
  const after = order[i + 1];
  if (!after) {
    // the last network's block goes before the chain's tail (filter: the prefix-wide rules end it)
    if (table === 'nat') return rules.length;
    const at = rules.indexOf(prefixTail(formatCidr(parseCidr6(view.owned.prefix)!))[0]);
    return at < 0 ? undefined : at;
  }
  // the first rule of that network's block (D6-FORWARD starts with the jump to D6-USER, which stays first)
  const first = rulesFor(table, view.owned, { networks: [{ ...after.net, subnets6: [{ subnet: after.subnet, gateway: after.gateway }] }], containers: [] }).find((r) => r !== USER_JUMP);
  const at = first ? rules.indexOf(first) : -1;
  return at < 0 ? undefined : at;
}

/** A network was created: its gateway entry (ndp) and its rules in our chains, inserted where the full pass puts them. */
export function planNetworkCreate(view: FastView, n: NetFact): FastPlan {
  if (view.docker.networks.some((x) => x.id === n.id)) return empty(view);
  const docker = { ...view.docker, networks: [...view.docker.networks, n] };
  const next: FastView = { ...view, docker, rules: { ...view.rules } };
  const mine = networksInPrefix(view.owned, { networks: [n], containers: [] });
  if (!mine.length) return empty(next);
  const changes: Change[] = [];
  const add = view.owned.mode === 'ndp'
    ? desiredProxies(view.owned, { networks: [n], containers: view.docker.containers.filter((c) => c.v6[n.name]) }).filter((p) => !view.proxies.has(p.address))
    : [];
  for (const p of add) changes.push(proxyChange(p, 'add', p.why ?? 'wanted'));
  if (add.length) next.proxies = new Set([...view.proxies, ...add.map((p) => p.address)]);
  const sections: string[] = [];
  // a network with several subnets in the prefix is left to the full pass (its rules are not one block)
  for (const table of mine.length === 1 ? (['nat', 'filter'] as Table[]) : []) {
    const have = view.rules[table];
    if (!have) continue;
    const block = rulesFor(table, view.owned, { networks: [n], containers: view.docker.containers }).filter((r) => !have.includes(r));
    const at = block.length ? insertAt(table, view, docker, n, have) : undefined;
    if (at === undefined) continue;
    const prefix = `-A ${CHAIN[table]} `;
    sections.push(`*${table}\n${block.map((r, k) => `-I ${CHAIN[table]} ${at + k + 1} ${r.slice(prefix.length)}`).join('\n')}\nCOMMIT\n`);
    next.rules[table] = [...have.slice(0, at), ...block, ...have.slice(at)];
    changes.push({ kind: 'firewall', action: 'update', target: `${table} ${CHAIN[table]}`, reason: `network ${n.name} created: ${block.length} rule(s) inserted` });
  }
  return { proxies: { add, del: [] }, batch: sections.length ? sections.join('') : undefined, changes, next };
}
