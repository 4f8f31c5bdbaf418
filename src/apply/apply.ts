// `docker ipv6 apply`: one reconcile pass under the tool's lock (what the boot unit runs), and the locked
// pass the agent shares with it. A command of its own beside reconcile: it needs the lock and the journal.
import type { RunContext } from '../cli/context';
import { acquireLock } from '../transaction/lock';
import { refuseUnfinishedJournal } from '../transaction/recover';
import { describeChange, hostDeps, installSkeleton, raiseSysctls, reconcileOnce, reconcilePlanId, type FastView, type ReconcileDeps, type ReconcileOptions, type ReconcilePlan, type ReconcileResult } from '../reconcile/index';
import { batchName } from '../model/firewall-backend';
import { readStateOrLost } from '../reconcile/lost-state';
import { escapeControls } from '../util/terminal';

/** At boot dockerd may still be starting: wait for it (the same /_ping wait as after a restart). */
async function waitForDockerAtBoot(ctx: RunContext, waitMs: number, note: (s: string) => void): Promise<void> {
  try {
    await ctx.host.docker.connect({ timeoutMs: 5_000 });
  } catch {
    note(`waiting up to ${Math.round(waitMs / 1000)} s for Docker at ${ctx.endpoint().host}`);
    await ctx.host.dockerd.waitForAnswer(ctx.endpoint(), waitMs, note);
  }
}

/**
 * One pass under the tool's lock. A journal left by an interrupted enable, disable or doctor --fix is
 * not rolled back here (see refuseUnfinishedJournal: under our units that would fail or deadlock):
 * the pass refuses, naming it, until enable or disable has finished that rollback.
 */
export async function lockedPass(ctx: RunContext, deps: ReconcileDeps, command: string, opts: ReconcileOptions, log: (s: string) => void, held?: (yes: boolean) => void): Promise<ReconcileResult & { plan: ReconcilePlan; view?: FastView; observations: number }> {
  // The agent (a guard): while its pass holds the lock the fast path works under it (held, from the moment
  // the lock file is ours), and the lock is given back inside the guard's exclusive section, so no fast-path
  // change is left running unlocked.
  const lock = await acquireLock(ctx.paths.lockFile, { command, waitMs: 60_000, log, onAcquired: () => held?.(true) });
  const release = async () => { held?.(false); await lock.release(); };
  try {
    try {
      await refuseUnfinishedJournal(ctx.paths.journalFile, `docker ipv6 ${command} changes nothing else`);
      return await reconcileOnce(deps, opts);
    } catch (e) {
      // refused (a journal, a changed plan) or failed (Docker down, a rejected batch): whatever we cannot
      // do, the prefix stays closed; the error is still the one reported
      if (!opts.cleanup && !opts.dryRun) await closeAnyway(deps, opts, log);
      throw e;
    }
  } finally {
    await (opts.guard ? opts.guard.exclusive(release) : release());
  }
}

/** The closed skeleton from the state alone (see reconcile/skeleton.ts), each change logged; its own failure is logged, not thrown. */
async function closeAnyway(deps: ReconcileDeps, opts: ReconcileOptions, log: (s: string) => void): Promise<void> {
  try {
    const run = () => installSkeleton(deps);
    const changes = await (opts.guard ? opts.guard.exclusive(run) : run());
    for (const c of changes) log(`kept closed: ${describeChange(c)}`);
  } catch (e) {
    log(`could not install the closed skeleton: ${(e as Error)?.message ?? String(e)}`);
  }
}

/**
 * `apply --boot`, run by docker-ipv6-boot.service before docker.service and before the network is up:
 * the closed skeleton from the state alone, then (unless an interrupted run's journal is waiting for its
 * rollback) the sysctls the mode needs, forwarding last. Docker is not asked anything.
 */
async function runBoot(ctx: RunContext): Promise<void> {
  ctx.requireRoot('docker ipv6 apply --boot');
  const deps = hostDeps(ctx);
  const note = (s: string) => ctx.note(s);
  const lock = await acquireLock(ctx.paths.lockFile, { command: 'apply --boot', waitMs: 60_000, log: note });
  let changes;
  let held: string | undefined;
  let lost: Error | undefined;
  try {
    changes = await installSkeleton(deps);
    // the state is gone while daemon.json runs Docker unfiltered: closed above, and this unit fails so
    // that docker.service (which requires it) is held rather than started with nothing of ours to list
    lost = (await readStateOrLost(deps)).lost;
    if (!lost) {
      try {
        await refuseUnfinishedJournal(ctx.paths.journalFile, 'sysctls are not raised');
        changes.push(...await raiseSysctls(deps));
      } catch (e) {
        held = (e as Error).message;
      }
    }
  } finally {
    await lock.release();
  }
  if (lost) {
    for (const c of changes) note(`kept closed: ${escapeControls(describeChange(c))}`);
    throw lost;
  }
  if (ctx.globals.json) { ctx.outJson({ changed: changes.length > 0, changes, sysctlsHeld: held ?? null }); return; }
  ctx.out(changes.length ? `changed:\n${changes.map((c) => `  ${escapeControls(describeChange(c))}`).join('\n')}` : 'nothing to change');
  if (held) ctx.out(`forwarding left as it is: ${held}`);
}

export async function runApply(ctx: RunContext, o: { waitDockerMs: number; plan?: string; boot?: boolean }): Promise<void> {
  if (o.boot) return runBoot(ctx);
  ctx.requireLocalDaemon('apply docker-ipv6 state');
  const note = (s: string) => ctx.note(s);
  if (o.waitDockerMs > 0) await waitForDockerAtBoot(ctx, o.waitDockerMs, note);
  const deps = hostDeps(ctx);
  let r: ReconcileResult & { plan: ReconcilePlan };
  if (ctx.globals.dryRun) {
    await refuseUnfinishedJournal(ctx.paths.journalFile, 'docker ipv6 apply would change nothing', { dryRun: true });
    r = await reconcileOnce(deps, { dryRun: true });
  }
  else {
    ctx.requireRoot('docker ipv6 apply');
    r = await lockedPass(ctx, deps, 'apply', { expectPlan: o.plan }, note);
  }
  const id = reconcilePlanId(r.plan);
  if (ctx.globals.json) {
    ctx.outJson({ changed: r.changes.length > 0, changes: r.changes, plan: id, batch: r.plan.batch ?? null, durationMs: Math.round(r.durationMs), spawned: r.spawned, networks: r.networks, dryRun: ctx.globals.dryRun });
    return;
  }
  if (!r.changes.length) ctx.out('nothing to change');
  else {
    ctx.out(`${ctx.globals.dryRun ? 'would change' : 'changed'}:`);
    // a change names its network or bridge: one line each, whatever the name holds
    for (const c of r.changes) ctx.out(`  ${escapeControls(describeChange(c))}`);
    // the exact bytes: `apply --plan ID` runs this batch or refuses
    if (r.plan.batch && (ctx.globals.dryRun || ctx.globals.verbose)) ctx.out(`${batchName(ctx.host.firewall.kind)}:\n${r.plan.batch.trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}`);
  }
  if (ctx.globals.dryRun) ctx.out(`plan ${id}: apply exactly this with docker ipv6 apply --plan ${id} (refused if the host changes first)`);
}
