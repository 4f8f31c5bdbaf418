// The closed skeleton: what keeps the prefix closed from the saved state alone (no Docker needed), installed
// at boot before forwarding is on, and by a pass that refuses or fails to do more (pure plan + its apply).
import { FORWARD_CHAIN } from '../model/names';
import { chainEndsClosed, filterIsClosed, skeletonForwardRules } from '../firewall/batches';
import type { ParsedRuleset } from '../model/ip6tables-save';
import type { RouteInfo } from '../model/net';
import { formatCidr, parseCidr6 } from '../model/ip';
import { routeKey, type RouteSpec } from './desired';
import { isRoute, tableSection, type Change } from './diff';
import { ownedFrom, type Owned } from './owned';
import type { ReconcileDeps } from './observe';
import { readIpv6Sysctls } from '../model/sysctl';
import { planSysctls } from '../model/sysctl-plan';

export interface SkeletonPlan { batch?: string; routes: RouteSpec[]; changes: Change[] }

/**
 * Pure. Filter (routed, ndp): when our chain is missing, not jumped to, or no longer ends with the
 * prefix-wide drop, it becomes D6-USER's jump plus the prefix-wide rules (published ports closed too,
 * until a full pass can list them again); a chain that already ends with the drop keeps its rules and
 * only gets its jump back. Routed: the unreachable route for the prefix.
 */
export function planSkeleton(owned: Owned | undefined, tables: ParsedRuleset, routes: readonly RouteInfo[]): SkeletonPlan {
  const out: SkeletonPlan = { routes: [], changes: [] };
  if (!owned) return out;
  const prefix = formatCidr(parseCidr6(owned.prefix)!);
  if (owned.filterByUs && !filterIsClosed(prefix, tables)) {
    const endsClosed = chainEndsClosed(prefix, tables);
    // a chain that still ends closed keeps its rules (published ports stay open) and only gets its jump back
    const have = (tables.filter?.rules ?? []).filter((r) => r.startsWith(`-A ${FORWARD_CHAIN} `));
    out.batch = tableSection('filter', endsClosed ? have : skeletonForwardRules(prefix), tables)?.text;
    out.changes.push({ kind: 'firewall', action: 'update', target: `filter ${FORWARD_CHAIN}`, reason: endsClosed ? 'the jump to our chain is missing' : `closed skeleton: only replies and ICMPv6 reach ${prefix} until a full pass lists the networks` });
  }
  if (owned.mode === 'routed' && !routes.some((r) => isRoute(r, { type: 'unreachable', dst: prefix }))) {
    out.routes.push({ type: 'unreachable', dst: prefix });
    out.changes.push({ kind: 'route', action: 'add', target: `unreachable ${prefix}`, reason: 'packets to unassigned parts of the routed prefix must not go back upstream (routing loop)' });
  }
  return out;
}

/**
 * Installs the skeleton for the saved state and returns what it changed. The state lists the route
 * before it exists (as a full pass does), so disable removes it.
 */
export async function installSkeleton(deps: Pick<ReconcileDeps, 'firewall' | 'openNet' | 'readState' | 'writeState'>): Promise<Change[]> {
  const state = await deps.readState();
  const owned = ownedFrom(state);
  if (!owned) return [];
  const net = await deps.openNet();
  try {
    const [tables, ns] = await Promise.all([deps.firewall.read(), net.read()]);
    const plan = planSkeleton(owned, tables, ns.routes);
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
