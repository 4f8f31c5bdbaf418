// One idempotent reconcile pass: observe owned facts -> pure desired state -> diff -> apply.
import { readJournal, removeJournal, type Journal } from '../apply/journal';
import type { RunContext } from '../cli/context';
import { describeDockerError, dockerClient } from '../host/docker-api';
import { PreconditionError } from '../errors';
import { Ip6tables } from '../host/ip6tables';
import { ProcSysctl } from '../host/sysctl';
import { readState, writeState } from '../host/state-file';
import { onExec } from '../util/exec';
import { applyPlan } from './apply';
import { desiredState } from './desired';
import { planCleanup, planReconcile, type Change, type ReconcilePlan } from './diff';
import { ownedFrom } from './facts';
import { viewAfterPass, type FastView } from './fast';
import { PROXY_PROTOCOL } from '../model/names';
import { openNetOps } from '../host/netlink';
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

export interface ReconcileOptions { cleanup?: boolean; dryRun?: boolean; guard?: PassGuard }

/** observations a guarded pass may throw away before it observes with the fast path held */
const GUARDED_TRIES = 3;

export async function reconcileOnce(deps: ReconcileDeps, opts: ReconcileOptions = {}): Promise<ReconcileResult & { plan: ReconcilePlan; view?: FastView; observations: number }> {
  const t0 = performance.now();
  let spawned = 0;
  const stop = onExec(() => { spawned++; });
  const net = await deps.openNet();
  const g = opts.dryRun ? undefined : opts.guard;
  try {
    for (let tries = 1; ; tries++) {
      const last = !g || tries >= GUARDED_TRIES;
      const gen = g?.generation();
      const attempt = async () => {
        const obs = await observeForReconcile(deps, net, !opts.cleanup);
        const owned = ownedFrom(obs.state);
        const desired = desiredState(owned, obs.docker, obs.sysctls);
        const plan = opts.cleanup ? planCleanup(obs) : planReconcile(desired, obs);
        // what the host holds once applied: the agent's fast path works from it until the next pass
        const view = opts.cleanup || opts.dryRun || !owned ? undefined : viewAfterPass(owned, obs.docker, desired, obs.links.find((l) => l.name === owned.uplink)?.index, obs.proxies.some((p) => p.protocol === PROXY_PROTOCOL));
        const result = { plan, changes: plan.changes, networks: obs.docker.networks.length, containers: obs.docker.containers.length, view, observations: tries };
        if (opts.dryRun) return result;
        const applyNow = async () => {
          if (!last && g!.generation() !== gen) return undefined; // the fast path changed the host meanwhile
          try { await applyPlan(plan, obs, deps, net); } catch (e) { g?.settled(undefined); throw e; }
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

/** Why a command refuses to run while another command's rollback is unfinished. */
export function unfinishedJournalError(path: string, j: Pick<Journal, 'command' | 'pid' | 'startedAt'>, refused: string): PreconditionError {
  return new PreconditionError(
    `an interrupted docker ipv6 ${j.command} (pid ${j.pid}, started ${j.startedAt}) left a rollback unfinished (journal ${path}): ${refused} until it is finished`,
    'run docker ipv6 enable or docker ipv6 disable: either finishes that rollback first (restoring daemon.json and restarting dockerd as needed), then does its own work',
  );
}

/**
 * For commands that must not finish another command's rollback themselves; call it holding the lock.
 * The agent and apply run under systemd units with ProtectSystem=strict (restoring daemon.json fails
 * with EROFS there) and PartOf=docker.service (`systemctl restart docker` from inside would wait for a
 * job that stops the caller); network create and upgrade would allocate against a half-undone host.
 * They refuse instead of reconciling on top of it: a pass could put back what the interrupted disable
 * had removed, or add rules for a daemon.json dockerd does not run yet, and the rollback would then
 * meet changes its journal does not know. A journal marked 'done' has nothing left to undo: it is
 * removed (unless dryRun, which never changes anything) and the command goes on.
 */
export async function refuseUnfinishedJournal(path: string, refused: string, opts: { dryRun?: boolean } = {}): Promise<void> {
  const j = await readJournal(path);
  if (!j) return;
  if (j.status === 'done') {
    if (!opts.dryRun) await removeJournal(path);
    return;
  }
  throw unfinishedJournalError(path, j, refused);
}
