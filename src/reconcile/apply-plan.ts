// Applies a reconcile plan: sysctls, one ip6tables-restore, netlink for routes and proxies, and the state's record.
import { inWindow } from '../util/window';
import { PreconditionError } from '../errors';
import type { ToolState } from '../model/state';
import type { ProxySpec } from './desired';
import { routeKey } from './desired';
import type { ReconcilePlan } from './diff';
import { ownedFrom, type Observed } from './owned';
import { planSkeleton } from './skeleton';
import type { NetOps } from '../host/interfaces';
import type { ReconcileDeps } from './observe';

/** netlink@0.3.0 aborts the process past ~250 requests in flight */
export const NETLINK_WINDOW = 32;

function union<T>(a: T[], b: T[], key: (x: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const x of [...a, ...b]) if (!seen.has(key(x))) seen.set(key(x), x);
  return [...seen.values()];
}

const pkey = (p: ProxySpec) => `${p.address}%${p.ifname}`;

type Record_ = { routes?: string[]; proxies?: ProxySpec[]; bridges?: string[] };

function sameRecord(s: ToolState | undefined, r: Record_): boolean {
  const norm = (x: Record_) => JSON.stringify([[...(x.routes ?? [])].sort(), (x.proxies ?? []).map(pkey).sort(), [...(x.bridges ?? [])].sort()]);
  return norm(s ?? {}) === norm(r);
}

/**
 * The state listing `add` as ours too (intent before the entries exist), or undefined when it already does.
 * The agent's fast path uses it on a kernel that drops our tag (the same union as applyPlan's intent below).
 */
export function withProxiesRecorded(state: ToolState, add: readonly ProxySpec[]): ToolState | undefined {
  const proxies = union(state.proxies ?? [], add.map(({ address, ifname }) => ({ address, ifname })), pkey);
  return proxies.length === (state.proxies ?? []).length ? undefined : { ...state, proxies };
}

/**
 * A batch ip6tables-restore rejected changed nothing of its table: the chain is as it was, which may be
 * missing or open (flushed by another tool). Put the closed skeleton in its place, so a bad batch on every
 * pass never leaves the prefix open; its own failure is not the error to report.
 */
async function closeAfterRejectedBatch(obs: Observed, deps: ReconcileDeps): Promise<void> {
  const skel = planSkeleton(ownedFrom(obs.state), obs.tables, [], obs.links);
  if (skel.batch) await deps.firewall.restore(skel.batch).catch(() => undefined);
}

/**
 * Order: the state first lists everything we are about to add (so a crash leaves nothing we would not
 * clean up later), then the host changes, then the state lists exactly what is wanted.
 */
export async function applyPlan(plan: ReconcilePlan, obs: Observed, deps: ReconcileDeps, net: NetOps, o: { closeOnReject?: boolean } = {}): Promise<void> {
  const state = obs.state;
  const intent = {
    routes: union(state?.routes ?? [], plan.record.routes, (x) => x),
    proxies: union(state?.proxies ?? [], plan.record.proxies, pkey),
    // the bridges the boot skeleton must close: recorded before the filter names them
    ...(plan.record.bridges || state?.bridges ? { bridges: union(state?.bridges ?? [], plan.record.bridges ?? [], (x) => x) } : {}),
  };
  const grows = plan.routes.add.length + plan.proxies.add.length > 0 || intent.bridges?.length !== (state?.bridges?.length ?? intent.bridges?.length);
  if (state && grows && !sameRecord(state, intent)) await deps.writeState({ ...state, ...intent });
  // the filter and the routes first, the sysctls (forwarding) after: never forwarding without the filter
  if (plan.batch) {
    try {
      await deps.firewall.restore(plan.batch);
    } catch (e) {
      // a scoped pass (renumbering) observed and changed the nat table only: its rejected batch left the filter as it was
      if (o.closeOnReject !== false) await closeAfterRejectedBatch(obs, deps);
      throw e;
    }
  }
  for (const r of plan.routes.del) await net.delUnreachable(r.dst);
  for (const r of plan.routes.add) await net.addUnreachable(r.dst);
  for (const s of plan.sysctls) await deps.sysctl.write(s.key, s.to);
  const index = (ifname: string) => {
    const l = obs.links.find((x) => x.name === ifname);
    if (!l) throw new PreconditionError(`the uplink ${ifname} does not exist`, 'run docker ipv6 enable again with the right --uplink');
    return l.index;
  };
  await inWindow(plan.proxies.del, NETLINK_WINDOW, (p) => net.delProxy(p.address, index(p.ifname)));
  await inWindow(plan.proxies.add, NETLINK_WINDOW, (p) => net.addProxy(p.address, index(p.ifname)));
  if (state && !sameRecord(state, plan.record)) {
    const { routes: _r, proxies: _p, bridges: _b, ...rest } = state;
    await deps.writeState({
      ...rest, ...(plan.record.routes.length ? { routes: plan.record.routes } : {}), ...(plan.record.proxies.length || state.proxies ? { proxies: plan.record.proxies } : {}),
      ...(plan.record.bridges?.length ? { bridges: plan.record.bridges } : {}),
    });
  }
}

export { routeKey };
