// The closed skeleton: what keeps every Docker bridge closed from the saved state alone (no Docker needed), installed
// at boot before forwarding is on, and by a pass that refuses or fails to do more (pure plan + its apply).
import { chainEndsClosed, FILTER_CHAINS, filterIsClosed, skeletonRules } from '../firewall/batches';
import type { ParsedRuleset } from '../model/ip6tables-save';
import type { LinkInfo, RouteInfo } from '../model/net';
import { desiredNatRules, routeKey, sparedInterfaces, unreachableRoutes, type RouteSpec } from './desired';
import { isRoute, tableSection, type Change } from './diff';
import { ownedFrom, type Owned } from './owned';
import { readStateOrLost } from './lost-state';
import type { ReconcileDeps } from './observe';
import { readIpv6Sysctls } from '../model/sysctl';
import { planSysctls } from '../model/sysctl-plan';

export interface SkeletonPlan { batch?: string; routes: RouteSpec[]; changes: Change[] }

/**
 * The closed filter for what we can still name without Docker: the bridges `bridges` (named ones) and the
 * catch-alls, sparing host interfaces the catch-alls would match (the uplink among `links`).
 */
export function skeletonFilter(bridges: readonly string[], uplink: string | undefined, links: readonly Pick<LinkInfo, 'name'>[], tables: ParsedRuleset): string | undefined {
  const spared = sparedInterfaces(uplink ?? '', { networks: [] }, links).filter(Boolean);
  return tableSection('filter', skeletonRules(bridges, { uplink: uplink ?? '', spared }), tables)?.text;
}

/**
 * Pure. Filter (routed, ndp): when our chain is missing, not jumped to, or no longer ends closed (the
 * catch-all drops, a drop for each bridge the state names), it becomes D6-USER's jump, those bridges closed
 * and the catch-alls: every Docker bridge is closed both ways (published ports too) until a full pass can
 * list the networks again. A chain that still ends closed keeps its rules and only gets its jump back.
 * Routed: the unreachable route for the prefix; npt: for both prefixes, and the translation between them.
 */
export function planSkeleton(owned: Owned | undefined, tables: ParsedRuleset, routes: readonly RouteInfo[], links: readonly Pick<LinkInfo, 'name'>[] = []): SkeletonPlan {
  const out: SkeletonPlan = { routes: [], changes: [] };
  if (!owned) return out;
  const bridges = owned.bridges ?? [];
  if (owned.filterByUs && !filterIsClosed(tables, bridges)) {
    const endsClosed = chainEndsClosed(tables, bridges);
    // a chain that still ends closed keeps its rules (published ports stay open) and only gets its jump back
    const have = (tables.filter?.rules ?? []).filter((r) => FILTER_CHAINS.some((c) => r.startsWith(`-A ${c} `)));
    out.batch = endsClosed ? tableSection('filter', have, tables)?.text : skeletonFilter(bridges, owned.uplink, links, tables);
    out.changes.push({ kind: 'firewall', action: 'update', target: 'filter D6-FORWARD', reason: endsClosed ? 'the jump to our chain is missing' : 'closed skeleton: nothing reaches or leaves a Docker bridge until a full pass lists the networks' });
  }
  for (const r of unreachableRoutes(owned)) {
    if (routes.some((x) => isRoute(x, r))) continue;
    out.routes.push(r);
    out.changes.push({ kind: 'route', action: 'add', target: `unreachable ${r.dst}`, reason: 'packets to unassigned parts of the prefix must not go back upstream (routing loop)' });
  }
  // npt: the translation comes from the state alone too (the agent and the boot unit keep it like every rule)
  if (owned.mode === 'npt') {
    const nat = tableSection('nat', desiredNatRules(owned, { networks: [], containers: [] }), tables);
    if (nat) {
      out.batch = `${out.batch ?? ''}${nat.text}`;
      out.changes.push({ kind: 'firewall', action: 'update', target: 'nat D6-NAT', reason: `the translation ${owned.prefix} <-> ${owned.outsidePrefix}: ${nat.reasons.join('; ')}` });
    }
  }
  return out;
}

/**
 * Installs the skeleton for the saved state and returns what it changed. The state lists the route
 * before it exists (as a full pass does), so disable removes it. With the state lost while Docker runs
 * unfiltered (lost-state.ts), the skeleton holds the catch-alls alone: every docker0 / br-* bridge closed.
 */
export async function installSkeleton(deps: Pick<ReconcileDeps, 'firewall' | 'openNet' | 'readState' | 'writeState' | 'daemonConfig' | 'stateFile'>): Promise<Change[]> {
  const read = await readStateOrLost(deps);
  if (read.error) throw read.error;
  const state = read.state;
  const owned = ownedFrom(state);
  if (!owned && !read.lost) return [];
  const net = await deps.openNet();
  try {
    const [tables, ns] = await Promise.all([deps.firewall.read(), net.read()]);
    if (!owned) {
      if (filterIsClosed(tables)) return [];
      const batch = skeletonFilter([], undefined, ns.links, tables);
      if (batch) await deps.firewall.restore(batch);
      return batch ? [{ kind: 'firewall', action: 'update', target: 'filter D6-FORWARD', reason: 'the state is lost while Docker runs without its IPv6 filter: every docker0 / br-* bridge closed' }] : [];
    }
    const plan = planSkeleton(owned, tables, ns.routes, ns.links);
    if (plan.batch) await deps.firewall.restore(plan.batch);
    const keys = plan.routes.map(routeKey).filter((k) => !(state!.routes ?? []).includes(k));
    if (keys.length) await deps.writeState({ ...state!, routes: [...(state!.routes ?? []), ...keys] });
    for (const r of plan.routes) await net.addUnreachable(r.dst);
    return plan.changes;
  } finally {
    net.close();
  }
}

/**
 * Boot, after the skeleton: the sysctls the saved mode needs (accept_ra=2 before forwarding, forwarding,
 * proxy_ndp), in that order; keys the host does not have (an uplink not there yet) are left for the next pass.
 */
export async function raiseSysctls(deps: Pick<ReconcileDeps, 'sysctl' | 'readState'>): Promise<Change[]> {
  const owned = ownedFrom(await deps.readState());
  if (!owned) return [];
  const current = await readIpv6Sysctls(deps.sysctl, owned.uplink);
  const changes: Change[] = [];
  for (const c of planSysctls(current, owned.uplink, owned.mode).filter((x) => x.from !== undefined)) {
    await deps.sysctl.write(c.key, c.to);
    changes.push({ kind: 'sysctl', action: 'update', target: `${c.key}=${c.to}`, reason: `${c.why} (was ${c.from})` });
  }
  return changes;
}
