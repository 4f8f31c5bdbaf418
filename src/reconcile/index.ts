// One idempotent reconcile pass: observe owned facts -> pure desired state -> diff -> apply.
import type { RunContext } from '../cli/context';
import { describeDockerError, dockerClient } from '../docker/client';
import { Ip6tables } from '../host/ip6tables';
import { ProcSysctl } from '../host/sysctl';
import { readState, writeState } from '../state/store';
import { onExec } from '../util/exec';
import { applyPlan } from './apply';
import { desiredState } from './desired';
import { planCleanup, planReconcile, type Change, type ReconcilePlan } from './diff';
import { ownedFrom } from './facts';
import { viewAfterPass, type FastView } from './fast';
import { openNetOps } from './netops';
import { observeForReconcile, type DockerLister, type ReconcileDeps } from './observe';

export type { Change, ReconcilePlan } from './diff';
export type { ReconcileDeps } from './observe';
export type { FastView } from './fast';

export interface ReconcileResult {
  changes: Change[];
  durationMs: number;
  /** external programs run during the pass (constant: ip6tables-save, and ip6tables-restore when needed) */
  spawned: number;
  networks: number;
  containers: number;
}

export interface ReconcileOptions { cleanup?: boolean; dryRun?: boolean }

export async function reconcileOnce(deps: ReconcileDeps, opts: ReconcileOptions = {}): Promise<ReconcileResult & { plan: ReconcilePlan; view?: FastView }> {
  const t0 = performance.now();
  let spawned = 0;
  const stop = onExec(() => { spawned++; });
  const net = await deps.openNet();
  try {
    const obs = await observeForReconcile(deps, net, !opts.cleanup);
    const owned = ownedFrom(obs.state);
    const desired = desiredState(owned, obs.docker, obs.sysctls);
    const plan = opts.cleanup ? planCleanup(obs) : planReconcile(desired, obs);
    if (!opts.dryRun) await applyPlan(plan, obs, deps, net);
    return {
      plan, changes: plan.changes, durationMs: performance.now() - t0, spawned,
      networks: obs.docker.networks.length, containers: obs.docker.containers.length,
      // what the host holds now: the agent's fast path works from it until the next pass
      view: opts.cleanup || opts.dryRun || !owned ? undefined : viewAfterPass(owned, obs.docker, desired, obs.links.find((l) => l.name === owned.uplink)?.index),
    };
  } finally {
    stop();
    net.close();
  }
}

/** The real adapters. The Docker client is made once and reused (the agent runs many passes). */
export function hostDeps(ctx: RunContext): ReconcileDeps {
  const ep = ctx.endpoint();
  let client: Promise<DockerLister> | undefined;
  const fw = new Ip6tables();
  const wrap = <T>(p: Promise<T>) => p.catch((e) => { throw describeDockerError(ep, e); });
  return {
    async docker() {
      client ??= dockerClient(ep, 15_000).then((c) => ({
        listNetworks: () => wrap(c.listNetworks()),
        listContainers: () => wrap(c.listContainers()),
      }));
      return client;
    },
    firewall: { save: () => fw.save(), restore: (b) => fw.restore(b) },
    openNet: openNetOps,
    sysctl: new ProcSysctl(),
    readState: () => readState(ctx.paths.stateFile),
    writeState: (s) => writeState(ctx.paths.stateFile, s),
  };
}

export function describeChange(c: Change): string {
  return `${c.action} ${c.kind} ${c.target}: ${c.reason}`;
}
