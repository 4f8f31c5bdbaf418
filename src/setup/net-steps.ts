// Enable's steps for the host's forwarding path: the D6 chains, the routed prefix's unreachable route and the
// NDP proxy entries, each journaled before it changes anything so a rollback or a recovery undoes it.
import type { HostAdapters } from '../host/interfaces';
import { inWindow } from '../util/window';
import { type NetOps } from '../host/interfaces';
import { NETLINK_WINDOW } from '../reconcile/apply-plan';
import { routeKey, type RouteSpec } from '../reconcile/desired';
import { applyFirewallTable, ndpEntries } from '../reconcile/firewall-table';
import type { ReconcileDeps } from '../reconcile/observe';
import { ifindexOf, isUnreachableRoute, type FirewallUndo, type ProxiesUndo, type RouteUndo } from '../transaction/tool-undo';
import type { Step } from '../transaction/index';
import { canonical6, formatCidr, parseCidr6 } from '../model/ip';
import { PROXY_PROTOCOL } from '../model/names';
import { firewallWhere, type EnablePlan } from './plan';

/** The entries not on their interface yet: only those are this run's to remove on rollback. */
export function newProxies(want: Array<{ address: string; ifname: string }>, present: Set<string>): Array<{ address: string; ifname: string }> {
  return want.filter((p) => !present.has(`${canonical6(p.address)}%${p.ifname}`)).map(({ address, ifname }) => ({ address, ifname }));
}

export function unreachableFor(prefix: string): RouteSpec {
  return { type: 'unreachable', dst: formatCidr(parseCidr6(prefix)!) };
}

async function withNet<T>(host: HostAdapters, fn: (net: NetOps) => Promise<T>): Promise<T> {
  const net = await host.openNet();
  try { return await fn(net); } finally { net.close(); }
}

/** `expected`: the batch the plan showed; the step applies exactly it or refuses (see applyFirewallTable). */
export function firewallStep(deps: Pick<ReconcileDeps, 'docker' | 'firewall' | 'openNet'>, plan: EnablePlan, table: 'nat' | 'filter', id: string, expected?: string): Step {
  return {
    id,
    describe: table === 'nat' ? `${firewallWhere(plan, 'nat')}: masquerade the prefix in chain D6-NAT` : `${firewallWhere(plan, 'filter')}: chain D6-FORWARD closes every Docker bridge but for replies, the ICMPv6 transit set and ports published on all addresses`,
    prepare: async () => ({ kind: 'ip6tables', table } satisfies FirewallUndo),
    async apply() { await applyFirewallTable(deps, plan, table, expected); return { kind: 'ip6tables', table } satisfies FirewallUndo; },
  };
}

/** Routed: packets to parts of the prefix no network holds must not go back upstream (a routing loop). */
export function unreachableStep(host: HostAdapters, prefix: string): Step {
  const route = unreachableFor(prefix);
  return {
    id: 'unreachable-route',
    describe: `route ${routeKey(route)}: packets to unassigned parts of the prefix are refused here, not sent back upstream`,
    // a route already there (an earlier enable, apply or the agent made it) is not this run's to remove
    async prepare() {
      const there = await withNet(host, async (net) => (await net.read()).routes.some((r) => isUnreachableRoute(r, route.dst)));
      return there ? undefined : { kind: 'route', type: 'unreachable', dst: route.dst } satisfies RouteUndo;
    },
    apply: () => withNet(host, async (net) => {
      if (!(await net.read()).routes.some((r) => isUnreachableRoute(r, route.dst))) await net.addUnreachable(route.dst);
    }),
  };
}

/**
 * NDP: entries for the gateways and running containers in the prefix, computed after the restart (new addresses).
 * Only the missing ones are added and recorded as ours; entries someone made before are left as they are (never
 * re-tagged, never recorded), and told apart in `onEntries` so the state lists them as not ours.
 */
export function ndpProxyStep(host: HostAdapters, deps: Pick<ReconcileDeps, 'docker'>, plan: EnablePlan, progress: (s: string) => void,
  onEntries: (ours: Array<{ address: string; ifname: string }>, foreign: Array<{ address: string; ifname: string }>) => void, ownedBefore: ReadonlyArray<{ address: string; ifname: string }> = []): Step {
  let add: Array<{ address: string; ifname: string }> = [];
  return {
    id: 'ndp-proxies',
    describe: `NDP proxy entries on ${plan.uplink} for each gateway and running container in ${plan.prefix} (entries already there are left alone)`,
    // write-ahead: the entries this run adds are journaled before the first one exists, so a
    // rollback or a killed run's recovery removes them; entries already present stay as they were
    async prepare() {
      const want = await ndpEntries(deps, plan);
      const st = await withNet(host, (net) => net.read());
      const key = (p: { address: string; ifname: string }) => `${canonical6(p.address)}%${p.ifname}`;
      const present = new Set(st.proxies.map(key));
      // tagged by us, or listed by an earlier enable: ours already; any other entry present is someone else's
      const mine = new Set([...st.proxies.filter((p) => p.protocol === PROXY_PROTOCOL).map(key), ...ownedBefore.map(key)]);
      add = newProxies(want, present);
      onEntries(want.filter((p) => !present.has(key(p)) || mine.has(key(p))), want.filter((p) => present.has(key(p)) && !mine.has(key(p))));
      return { kind: 'proxies', entries: add } satisfies ProxiesUndo;
    },
    async apply() {
      await withNet(host, async (net) => {
        const idx = await ifindexOf(net, plan.uplink);
        await inWindow(add, NETLINK_WINDOW, (p) => net.addProxy(p.address, idx));
      });
      progress(`  proxied: ${add.map((p) => p.address).join(', ') || '(every entry was there already)'}`);
    },
  };
}
