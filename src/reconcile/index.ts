// One idempotent reconcile pass: observe owned facts -> pure desired state -> diff -> apply.
import type { RunContext } from '../cli/context';
import { describeDockerError } from '../model/endpoint';
import type { HostAdapters, NetOps } from '../host/interfaces';
import type { Endpoint } from '../model/endpoint';
import { onExec } from '../util/exec';
import { PreconditionError } from '../errors';
import { planId } from '../model/plan-id';
import { applyPlan } from './apply-plan';
import { desiredState } from './desired';
import { planCleanup, planReconcile, type Change, type ReconcilePlan } from './diff';
import { ownedFrom } from './owned';
import { viewAfterPass, type FastView } from './fast';
import { PROXY_PROTOCOL } from '../model/names';
import type { SkippedNet } from '../model/docker';
import { observeForReconcile, type DockerLister, type ReconcileDeps } from './observe';
import { desiredTranslation, observeTranslation } from './scoped';
import type { NetState } from '../model/net';

export type { Change, ReconcilePlan } from './diff';
export type { ReconcileDeps } from './observe';
export type { FastView } from './fast';
export { installSkeleton, raiseSysctls } from './skeleton';

export interface ReconcileResult {
  changes: Change[];
  durationMs: number;
  /** external programs run during the pass (constant: ip6tables-save, and ip6tables-restore when needed) */
  spawned: number;
  networks: number;
  containers: number;
  /** bridge networks left out of every rule because of their bridge name (bad names are closed by their subnets; host bridges are the admin's) */
  skipped: SkippedNet[];
}

/**
 * The agent's fast path changes the host between (and during) passes. With a guard, a pass observes
 * without holding the fast path up: only its apply phase runs exclusively, and only when nothing changed
 * since its observation began (otherwise it observes again; the last try observes exclusively too).
 */
export interface PassGuard {
  /** changes whenever the fast path changes the host */
  generation(): number;
  /** runs fn with no fast-path change at the same time */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** called inside the exclusive section once the plan is applied (view) or failed (undefined) */
  settled(view: FastView | undefined): void;
}

export interface ReconcileOptions {
  cleanup?: boolean;
  dryRun?: boolean;
  guard?: PassGuard;
  /** apply only the plan a dry run showed under this id (reconcilePlanId); any other plan is refused */
  expectPlan?: string;
  /**
   * 'translation' (npt renumbering): only what depends on the outside prefix is read and changed: our nat
   * chains and the unreachable routes, from the state alone. No Docker list, no filter, no sysctl, no proxy
   * (reconcile/scoped.ts says why that is all of it). The agent's next full pass finds nothing to change.
   */
  scope?: 'translation';
  /** a netlink handle the caller holds (and closes), and what it already read from it with `{ routes: 6 }` */
  net?: { ops: NetOps; read?: NetState };
}

/** The id of a reconcile plan's content: what `apply --dry-run` shows and `apply --plan ID` checks. */
export function reconcilePlanId(plan: ReconcilePlan): string {
  return planId({ batch: plan.batch ?? '', routes: plan.routes, proxies: plan.proxies, sysctls: plan.sysctls });
}

/** observations a guarded pass may throw away before it observes with the fast path held */
const GUARDED_TRIES = 3;

export async function reconcileOnce(deps: ReconcileDeps, opts: ReconcileOptions = {}): Promise<ReconcileResult & { plan: ReconcilePlan; view?: FastView; observations: number }> {
  const t0 = performance.now();
  let spawned = 0;
  const stop = onExec(() => { spawned++; });
  const net = opts.net?.ops ?? await deps.openNet();
  const g = opts.dryRun ? undefined : opts.guard;
  try {
    for (let tries = 1; ; tries++) {
      const last = !g || tries >= GUARDED_TRIES;
      const gen = g?.generation();
      const attempt = async () => {
        const scoped = opts.scope === 'translation' && !opts.cleanup;
        const obs = scoped ? await observeTranslation(deps, net, opts.net?.read) : await observeForReconcile(deps, net, !opts.cleanup);
        const owned = ownedFrom(obs.state);
        const desired = scoped ? desiredTranslation(owned) : desiredState(owned, obs.docker, obs.sysctls, obs.links);
        const plan = opts.cleanup ? planCleanup(obs) : planReconcile(desired, obs, scoped ? ['nat'] : undefined);
        // what the host holds once applied: the agent's fast path works from it until the next pass
        const view = opts.cleanup || opts.dryRun || !owned || scoped ? undefined : viewAfterPass(owned, obs.docker, desired, obs.links.find((l) => l.name === owned.uplink)?.index, obs.proxies.some((p) => p.protocol === PROXY_PROTOCOL), obs.links);
        const result = { plan, changes: plan.changes, networks: obs.docker.networks.length, containers: obs.docker.containers.length, skipped: obs.docker.skipped ?? [], view, observations: tries };
        if (opts.dryRun) return result;
        if (opts.expectPlan !== undefined && reconcilePlanId(plan) !== opts.expectPlan) {
          throw new PreconditionError(
            `the host changed since plan ${opts.expectPlan} was shown: it would now apply plan ${reconcilePlanId(plan)} (${plan.changes.length ? plan.changes.map(describeChange).join('; ') : 'no change'}); nothing was changed`,
            'look at the new plan with docker ipv6 apply --dry-run, then apply it with --plan ID',
          );
        }
        const applyNow = async () => {
          if (!last && g!.generation() !== gen) return undefined; // the fast path changed the host meanwhile
          try { await applyPlan(plan, obs, deps, net, { closeOnReject: !scoped }); } catch (e) { g?.settled(undefined); throw e; }
          g?.settled(view);
          return result;
        };
        return g && !last ? g.exclusive(applyNow) : applyNow();
      };
      const r = g && last ? await g.exclusive(attempt) : await attempt();
      if (r) return { ...r, spawned, durationMs: performance.now() - t0 };
    }
  } finally {
    stop();
    if (!opts.net) net.close();
  }
}

/** Reconcile's view of the host adapters. The Docker client is made once and reused (the agent runs many passes). */
export function reconcileDeps(host: HostAdapters, ep: Endpoint, files: { configFile?: string; stateFile?: string } = {}): ReconcileDeps {
  let client: Promise<DockerLister> | undefined;
  const wrap = <T>(p: Promise<T>) => p.catch((e) => { throw describeDockerError(ep, e); });
  return {
    async docker() {
      client ??= host.docker.client({ timeoutMs: 15_000, endpoint: ep }).then((c) => ({
        listNetworks: () => wrap(c.listNetworks()),
        listContainers: () => wrap(c.listContainers()),
      }));
      return client;
    },
    firewall: { read: (t) => host.firewall.read(t), restore: (b) => host.firewall.restore(b) },
    openNet: () => host.openNet(),
    sysctl: host.sysctl,
    readState: () => host.state.read(),
    writeState: (s) => host.state.write(s),
    ...(files.configFile ? { daemonConfig: async () => (await host.daemonConfig(files.configFile!).read()).value } : {}),
    stateFile: files.stateFile,
  };
}

/** The run's adapters for its own endpoint. */
export function hostDeps(ctx: Pick<RunContext, 'host' | 'endpoint' | 'globals' | 'paths'>): ReconcileDeps {
  return reconcileDeps(ctx.host, ctx.endpoint(), { configFile: ctx.globals.configFile, stateFile: ctx.paths.stateFile });
}

export function describeChange(c: Change): string {
  return `${c.action} ${c.kind} ${c.target}: ${c.reason}`;
}
