// Enable's steps for the host's forwarding path: the D6 chains, the routed prefix's unreachable route and the
// NDP proxy entries, each journaled before it changes anything so a rollback or a recovery undoes it.
import type { Step } from '../apply';
import type { RunContext } from '../cli/context';
import { inWindow, Netlink } from '../host/netlink';
import { NETLINK_WINDOW } from '../reconcile/apply';
import { routeKey, type RouteSpec } from '../reconcile/desired';
import { applyFirewall, ndpEntries } from '../reconcile/enable';
import { canonical6 } from '../reconcile/facts';
import { openNetOps } from '../reconcile/netops';
import { formatCidr, parseCidr6 } from '../model/ip';
import type { EnablePlan } from './plan';
import { ifindexOf, isUnreachableRoute, type FirewallUndo, type ProxiesUndo, type RouteUndo } from './undo';

/** The entries not on their interface yet: only those are this run's to remove on rollback. */
export function newProxies(want: Array<{ address: string; ifname: string }>, present: Set<string>): Array<{ address: string; ifname: string }> {
  return want.filter((p) => !present.has(`${canonical6(p.address)}%${p.ifname}`)).map(({ address, ifname }) => ({ address, ifname }));
}

export function unreachableFor(prefix: string): RouteSpec {
  return { type: 'unreachable', dst: formatCidr(parseCidr6(prefix)!) };
}

export function firewallStep(ctx: RunContext, plan: EnablePlan, table: 'nat' | 'filter', id: string): Step {
  return {
    id,
    describe: table === 'nat' ? 'ip6tables nat: masquerade the prefix in chain D6-NAT' : `ip6tables filter: chain D6-FORWARD lets in replies, ICMPv6 and published ports only, and closes the rest of ${plan.prefix}`,
    prepare: async () => ({ kind: 'ip6tables', table } satisfies FirewallUndo),
    async apply() { await applyFirewall(ctx, plan, table); return { kind: 'ip6tables', table } satisfies FirewallUndo; },
  };
}

/** Routed: packets to parts of the prefix no network holds must not go back upstream (a routing loop). */
export function unreachableStep(prefix: string): Step {
  const route = unreachableFor(prefix);
  return {
    id: 'unreachable-route',
    describe: `route ${routeKey(route)}: packets to unassigned parts of the prefix are refused here, not sent back upstream`,
    // a route already there (an earlier enable, apply or the agent made it) is not this run's to remove
    async prepare() {
      const net = await openNetOps();
      try {
        if ((await net.read()).routes.some((r) => isUnreachableRoute(r, route.dst))) return undefined;
      } finally { net.close(); }
      return { kind: 'route', type: 'unreachable', dst: route.dst } satisfies RouteUndo;
    },
    async apply() {
      const net = await openNetOps();
      try {
        if (!(await net.read()).routes.some((r) => isUnreachableRoute(r, route.dst))) await net.addUnreachable(route.dst);
      } finally { net.close(); }
    },
  };
}

/** NDP: entries for the gateways and running containers in the prefix, computed after the restart (new addresses). */
export function ndpProxyStep(ctx: RunContext, plan: EnablePlan, progress: (s: string) => void, onEntries: (list: Array<{ address: string; ifname: string }>) => void): Step {
  let proxies: Array<{ address: string; ifname: string }> = [];
  return {
    id: 'ndp-proxies',
    describe: `NDP proxy entries on ${plan.uplink} for each gateway and running container in ${plan.prefix}`,
    // write-ahead: the entries this run adds are journaled before the first one exists, so a
    // rollback or a killed run's recovery removes them; entries already present stay as they were
    async prepare() {
      proxies = await ndpEntries(ctx, plan);
      onEntries(proxies);
      const nl = await Netlink.open();
      let present: Set<string>;
      try {
        const st = await nl.read();
        present = new Set(st.proxies.map((p) => `${canonical6(p.address)}%${p.ifname}`));
      } finally { nl.close(); }
      return { kind: 'proxies', entries: newProxies(proxies, present) } satisfies ProxiesUndo;
    },
    async apply() {
      const nl = await Netlink.open();
      try {
        const idx = await ifindexOf(nl, plan.uplink);
        await inWindow(proxies, NETLINK_WINDOW, (p) => nl.addProxy(p.address, idx));
      } finally { nl.close(); }
      progress(`  proxied: ${proxies.map((p) => p.address).join(', ')}`);
    },
  };
}
