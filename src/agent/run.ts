// `docker ipv6 apply` (one reconcile, at boot) and `docker ipv6 agent` (reconcile on every reason, until stopped).
import { acquireLock, withLockNow } from '../transaction/lock';
import { writeFileAtomic } from '../transaction/undo-kinds';
import { processStartTime } from '../transaction/lock';
import type { RunContext } from '../cli/context';
import { connectDocker, dockerClient } from '../host/docker-api';
import { PreconditionError, isToolError } from '../errors';
import { describeChange, hostDeps, reconcileOnce, type FastView, type PassGuard, type ReconcileDeps, type ReconcileOptions, type ReconcileResult } from '../reconcile';
import { refuseUnfinishedJournal } from '../transaction/recover';
import { Ip6tables } from '../host/ip6tables';
import { existsSync } from 'node:fs';
import { describeEvent, EVENT_FILTERS, EventWatcher, type EventSource } from './events';
import { makeLogger, type Logger } from './log';
import { ReconcileLoop } from './loop';
import { FastPath, type FastDeps } from './fastpath';
import { openNetOps, type NetOps } from '../host/netlink';
import { agentStatusPath, type AgentStatus } from './status-file';
import { readState, writeState } from '../host/state-file';

/** Waits until Docker answers /_ping or the deadline passes. */
export async function waitForDocker(ctx: RunContext, waitMs: number, note: (s: string) => void): Promise<void> {
  const deadline = Date.now() + waitMs;
  let said = false;
  for (;;) {
    try {
      await connectDocker(ctx.endpoint(), { timeoutMs: 5_000 });
      return;
    } catch (e) {
      if (Date.now() >= deadline) throw e;
      if (!said) { note(`waiting up to ${Math.round(waitMs / 1000)} s for Docker at ${ctx.endpoint().host}`); said = true; }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * One pass under the tool's lock. A journal left by an interrupted enable, disable or doctor --fix is
 * not rolled back here (see refuseUnfinishedJournal: under our units that would fail or deadlock):
 * the pass refuses, naming it, until enable or disable has finished that rollback.
 */
export async function lockedPass(ctx: RunContext, deps: ReconcileDeps, command: string, opts: ReconcileOptions, log: (s: string) => void, held?: (yes: boolean) => void): Promise<ReconcileResult & { view?: FastView; observations: number }> {
  // The agent (a guard): while its pass holds the lock the fast path works under it (held, from the moment
  // the lock file is ours), and the lock is given back inside the guard's exclusive section, so no fast-path
  // change is left running unlocked.
  const lock = await acquireLock(ctx.paths.lockFile, { command, waitMs: 60_000, log, onAcquired: () => held?.(true) });
  const release = async () => { held?.(false); await lock.release(); };
  try {
    await refuseUnfinishedJournal(ctx.paths.journalFile, `docker ipv6 ${command} changes nothing`);
    return await reconcileOnce(deps, opts);
  } finally {
    await (opts.guard ? opts.guard.exclusive(release) : release());
  }
}

export async function runApply(ctx: RunContext, o: { waitDockerMs: number }): Promise<void> {
  ctx.requireLocalDaemon('apply docker-ipv6 state');
  const note = (s: string) => ctx.note(s);
  if (o.waitDockerMs > 0) await waitForDocker(ctx, o.waitDockerMs, note);
  const deps = hostDeps(ctx);
  let r: ReconcileResult;
  if (ctx.globals.dryRun) {
    await refuseUnfinishedJournal(ctx.paths.journalFile, 'docker ipv6 apply would change nothing', { dryRun: true });
    r = await reconcileOnce(deps, { dryRun: true });
  }
  else {
    ctx.requireRoot('docker ipv6 apply');
    r = await lockedPass(ctx, deps, 'apply', {}, note);
  }
  if (ctx.globals.json) {
    ctx.outJson({ changed: r.changes.length > 0, changes: r.changes, durationMs: Math.round(r.durationMs), spawned: r.spawned, networks: r.networks, dryRun: ctx.globals.dryRun });
    return;
  }
  if (!r.changes.length) ctx.out('nothing to change');
  else {
    ctx.out(`${ctx.globals.dryRun ? 'would change' : 'changed'}:`);
    for (const c of r.changes) ctx.out(`  ${describeChange(c)}`);
  }
}

export interface AgentOptions { intervalMs: number; debounceMs: number; cleanup: boolean }

function dockerEvents(ctx: RunContext): EventSource {
  return {
    async open() {
      const d = await dockerClient(ctx.endpoint());
      // no timeout on this connection: it stays open and idle between events
      return (await d.getEvents({ filters: EVENT_FILTERS } as never)) as unknown as NodeJS.ReadableStream & { destroy?(): void };
    },
  };
}

/** One thing at a time inside the agent: full passes and fast-path changes never interleave. */
function serialiser(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const p = tail.then(fn, fn);
    tail = p.catch(() => undefined);
    return p;
  };
}

/** passHeld: whether our own full pass holds the tool lock right now (the fast path then needs no lock of its own) */
function fastDeps(ctx: RunContext, serial: <T>(fn: () => Promise<T>) => Promise<T>, log: Logger, passHeld: () => boolean): FastDeps {
  const ep = ctx.endpoint();
  let client: ReturnType<typeof dockerClient> | undefined;
  let net: Promise<NetOps> | undefined;
  const notFound = (e: unknown) => { if ((e as { statusCode?: number })?.statusCode === 404) return undefined; throw e; };
  return {
    async inspectContainer(id) { return (await (client ??= dockerClient(ep, 15_000))).getContainer(id).inspect().catch(notFound) as never; },
    async inspectNetwork(id) { return (await (client ??= dockerClient(ep, 15_000))).getNetwork(id).inspect().catch(notFound) as never; },
    net: () => (net ??= openNetOps().catch((e) => { net = undefined; throw e; })),
    restore: (b) => new Ip6tables().restore(b),
    readState: () => readState(ctx.paths.stateFile),
    writeState: (st) => writeState(ctx.paths.stateFile, st),
    // no waiting: while enable, disable or apply hold the lock the event is left to the full pass
    exclusive: (fn) => serial(async () => {
      if (existsSync(ctx.paths.journalFile)) throw new PreconditionError(`an interrupted change left a rollback unfinished (journal ${ctx.paths.journalFile})`, 'run docker ipv6 enable or docker ipv6 disable: either finishes it first');
      return passHeld() ? fn() : withLockNow(ctx.paths.lockFile, 'agent', fn);
    }),
    log, describeChange,
    close() { void net?.then((n) => n.close(), () => undefined); net = undefined; },
  };
}

export async function runAgent(ctx: RunContext, o: AgentOptions): Promise<void> {
  ctx.requireLocalDaemon('run the docker-ipv6 agent');
  ctx.requireRoot('docker ipv6 agent');
  const log: Logger = makeLogger(ctx.stdout as NodeJS.WritableStream & { isTTY?: boolean });
  const deps = hostDeps(ctx);
  const status: AgentStatus = {
    pid: process.pid, startTime: processStartTime('self') ?? null, started: new Date().toISOString(), intervalMs: o.intervalMs,
    lastError: null, counts: { passes: 0, changes: 0, errors: 0, events: 0, reconnects: 0 },
  };
  const { mkdir } = await import('node:fs/promises');
  await mkdir(ctx.paths.stateDir, { recursive: true });
  const saveStatus = () => writeFileAtomic(agentStatusPath(ctx.paths.stateDir), `${JSON.stringify(status, null, 2)}\n`, 0o644).catch((e) => log('warn', 'cannot write the status file', { error: (e as Error).message }));
  await saveStatus();

  const serial = serialiser();
  let passHolds = false;
  const fast = new FastPath(fastDeps(ctx, serial, log, () => passHolds));
  // a pass observes while the fast path goes on serving events; only its apply phase excludes it
  const guard: PassGuard = { generation: () => fast.generation, exclusive: serial, settled: (v) => fast.setView(v) };
  const loop = new ReconcileLoop({
    debounceMs: o.debounceMs, intervalMs: o.intervalMs, settleMs: Math.max(o.debounceMs, 1000), settleMaxMs: Math.max(o.debounceMs, 5000), retryMs: Math.min(1000, o.intervalMs), log,
    async pass(reasons) {
      status.counts.passes++;
      try {
        let r: Awaited<ReturnType<typeof lockedPass>>;
        try {
          r = await lockedPass(ctx, deps, 'agent', { guard }, (l) => log('info', l), (yes) => { passHolds = yes; });
        } catch (e) {
          fast.setView(undefined);
          throw e;
        }
        for (const c of r.changes) log('info', describeChange(c), { change: c, because: reasons });
        status.counts.changes += r.changes.length;
        status.lastReconcile = { at: new Date().toISOString(), durationMs: Math.round(r.durationMs), changes: r.changes.length, spawned: r.spawned, reasons, observations: r.observations };
        if (r.changes.length) log('info', `reconciled: ${r.changes.length} change(s)`, { durationMs: Math.round(r.durationMs), spawned: r.spawned, networks: r.networks, because: reasons });
      } catch (e) {
        status.counts.errors++;
        status.lastError = { at: new Date().toISOString(), message: isToolError(e) ? e.message : String((e as Error)?.message ?? e) };
        throw e;
      } finally {
        await saveStatus();
      }
    },
  });
  const watcher = new EventWatcher(dockerEvents(ctx), {
    log,
    onEvent(e) {
      status.counts.events++;
      const why = describeEvent(e);
      // the fast path serves it now; the confirming pass waits for quiet unless the fast path could not do it all
      loop.settle(why);
      void fast.handle(e, why).then((complete) => { if (!complete) loop.trigger(why); });
    },
    onConnect(n) {
      log('info', n === 1 ? 'subscribed to docker events' : 'reconnected to docker events');
      if (n > 1) { status.counts.reconnects++; loop.trigger('reconnected to docker'); }
    },
  });
  log('info', 'agent started', { pid: process.pid, intervalMs: o.intervalMs, cleanupOnStop: o.cleanup, endpoint: ctx.endpoint().host });
  watcher.start();
  loop.start();
  const onHup = () => { log('info', 'SIGHUP: reconciling'); loop.trigger('SIGHUP'); };
  process.on('SIGHUP', onHup);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log('info', `${signal}: stopping`);
  process.off('SIGHUP', onHup);
  watcher.stop();
  await loop.stop();
  await fast.handle({}, 'stop');
  fast.setView(undefined);
  fast.close();
  if (o.cleanup) {
    try {
      const r = await lockedPass(ctx, deps, 'agent', { cleanup: true }, (l) => log('info', l));
      for (const c of r.changes) log('info', describeChange(c), { change: c, because: ['--cleanup on stop'] });
    } catch (e) {
      log('error', 'cleanup failed', { error: (e as Error)?.message ?? String(e) });
      status.stopped = new Date().toISOString();
      await saveStatus();
      throw new PreconditionError(`cleanup on stop failed: ${(e as Error).message}`, 'run docker ipv6 disable, or remove the D6-* chains by hand');
    }
  }
  status.stopped = new Date().toISOString();
  await saveStatus();
  log('info', 'agent stopped');
}
