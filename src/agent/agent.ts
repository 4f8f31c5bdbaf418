// `docker ipv6 agent`: reconcile on every reason (Docker events, SIGHUP, a timer) until stopped, with the fast path.
import { existsSync, readFileSync } from 'node:fs';
import type { RunContext } from '../cli/context';
import { PreconditionError, isToolError } from '../errors';
import type { NetOps } from '../host/interfaces';
import { describeChange, hostDeps, type PassGuard } from '../reconcile';
import { lockedPass } from '../apply/apply';
import { processStartTime, withLockNow } from '../transaction/lock';
import { RECOVER_HINT } from '../transaction/recover';
import { describeEvent, EVENT_FILTERS, EventWatcher, type EventSource } from './events';
import { FastPath, type FastDeps } from './fastpath';
import { makeLogger, type Logger } from './log';
import { ReconcileLoop } from './loop';
import { agentStatusPath, type AgentStatus } from '../observe/agent-status';

export interface AgentOptions { intervalMs: number; debounceMs: number; cleanup: boolean }

function dockerEvents(ctx: RunContext): EventSource {
  return {
    async open() {
      const d = await ctx.host.docker.client();
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
  let client: ReturnType<typeof ctx.host.docker.client> | undefined;
  let net: Promise<NetOps> | undefined;
  const notFound = (e: unknown) => { if ((e as { statusCode?: number })?.statusCode === 404) return undefined; throw e; };
  return {
    async inspectContainer(id) { return (await (client ??= ctx.host.docker.client({ timeoutMs: 15_000 }))).getContainer(id).inspect().catch(notFound) as never; },
    async inspectNetwork(id) { return (await (client ??= ctx.host.docker.client({ timeoutMs: 15_000 }))).getNetwork(id).inspect().catch(notFound) as never; },
    net: () => (net ??= ctx.host.openNet().catch((e) => { net = undefined; throw e; })),
    restore: (b) => ctx.host.firewall.restore(b),
    readState: () => ctx.host.state.read(),
    writeState: (st) => ctx.host.state.write(st),
    // no waiting: while enable, disable or apply hold the lock the event is left to the full pass
    exclusive: (fn) => serial(async () => {
      if (existsSync(ctx.paths.journalFile)) throw new PreconditionError(`an interrupted change left a rollback unfinished (journal ${ctx.paths.journalFile})`, RECOVER_HINT);
      return passHeld() ? fn() : withLockNow(ctx.paths.lockFile, 'agent', fn);
    }),
    log, describeChange,
    close() { void net?.then((n) => n.close(), () => undefined); net = undefined; },
  };
}

/**
 * The container this agent runs in, if any: Docker bind-mounts /etc/hostname (and hosts, resolv.conf) from
 * <data-root>/containers/<id>/, so /proc/self/mountinfo names it (with the host network the hostname is the host's).
 */
function containerId(mountinfo = '/proc/self/mountinfo'): { container?: string } {
  if (!existsSync('/.dockerenv')) return {};
  try {
    const id = /\/containers\/([0-9a-f]{64})\/(?:hostname|hosts|resolv\.conf)\s/.exec(readFileSync(mountinfo, 'utf8'))?.[1];
    return id ? { container: id.slice(0, 12) } : {};
  } catch {
    return {};
  }
}

/** Why this host is not enabled (undefined: it is): the agent then waits, changing nothing, not even its status file. */
async function notEnabled(ctx: RunContext): Promise<string | undefined> {
  // an enable, disable or doctor --fix under way (or interrupted): the usual pass waits for its lock, or keeps closed
  if (existsSync(ctx.paths.journalFile)) return undefined;
  try {
    const st = await ctx.host.state.read();
    if (st?.enabled) return undefined;
    return `docker ipv6 is not enabled on this host (${st ? `${ctx.paths.stateFile} records no enable` : `no ${ctx.paths.stateFile}`}): run docker ipv6 enable on it; this agent starts working by itself then`;
  } catch (e) {
    return `the state file cannot be used: ${(e as Error).message}${isToolError(e) && e.hint ? ` (${e.hint})` : ''}`;
  }
}

/**
 * SIGTERM/SIGINT (stop) and SIGHUP (look again / reconcile) for the agent's whole run, listened to from its first
 * line until it stops. Not a listener added and removed per wait: a signal that lands while the process is not
 * scheduled is dispatched after the timers, so a wait that timed out in the same turn had removed its listener and
 * Node dropped the signal (the agent then ignored systemd's stop; under load 1 in 12 test runs hung on it), and in
 * the gap between two waits no listener at all meant Node's default: killed mid-work.
 */
interface AgentSignals {
  /** the stop signal, once one came */
  stopped?: NodeJS.Signals;
  /** called on a stop signal and on SIGHUP (the current wait ends) */
  wake: () => void;
  /** called on SIGHUP */
  onHup: () => void;
  dispose(): void;
}

function agentSignals(): AgentSignals {
  const STOP: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  const s: AgentSignals = {
    wake: () => {},
    onHup: () => {},
    dispose: () => { for (const sig of STOP) process.off(sig, stop); process.off('SIGHUP', hup); },
  };
  const stop = (sig: NodeJS.Signals) => { s.stopped ??= sig; s.wake(); };
  const hup = () => { s.onHup(); s.wake(); };
  for (const sig of STOP) process.on(sig, stop);
  process.on('SIGHUP', hup);
  return s;
}

/**
 * A host that has not been enabled (a Swarm node the global service reached first): wait, say why once per reason,
 * look again every interval and on SIGHUP. Resolves true once enabled, false when stopped (SIGTERM/SIGINT) meanwhile.
 */
async function waitUntilEnabled(ctx: RunContext, log: Logger, intervalMs: number, signals: AgentSignals): Promise<boolean> {
  let said = '';
  for (;;) {
    if (signals.stopped) break;
    const why = await notEnabled(ctx);
    if (!why) { if (said) log('info', 'this host is enabled now: starting'); return true; }
    if (why !== said) { log('warn', `waiting: ${why}`); said = why; }
    if (signals.stopped) break;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => resolve(), intervalMs);
      signals.wake = () => { clearTimeout(t); resolve(); };
    });
    signals.wake = () => {};
  }
  log('info', 'stopped while waiting; nothing was changed');
  return false;
}

export async function runAgent(ctx: RunContext, o: AgentOptions): Promise<void> {
  ctx.requireLocalDaemon('run the docker-ipv6 agent');
  ctx.requireRoot('docker ipv6 agent');
  const log: Logger = makeLogger(ctx.stdout as NodeJS.WritableStream & { isTTY?: boolean });
  const signals = agentSignals();
  try {
    await runAgentWith(ctx, o, log, signals);
  } finally {
    signals.dispose();
  }
}

async function runAgentWith(ctx: RunContext, o: AgentOptions, log: Logger, signals: AgentSignals): Promise<void> {
  if (!(await waitUntilEnabled(ctx, log, o.intervalMs, signals))) return;
  const deps = hostDeps(ctx);
  const status: AgentStatus = {
    pid: process.pid, startTime: processStartTime('self') ?? null, started: new Date().toISOString(), intervalMs: o.intervalMs,
    lastError: null, counts: { passes: 0, changes: 0, errors: 0, events: 0, reconnects: 0 },
    // in a container (a Swarm task) our pid means nothing on the host: status asks Docker about the container instead
    ...containerId(),
  };
  const saveStatus = () => ctx.host.files.writeAtomic(agentStatusPath(ctx.paths.stateDir), `${JSON.stringify(status, null, 2)}\n`, 0o644).catch((e) => log('warn', 'cannot write the status file', { error: (e as Error).message }));
  await saveStatus();

  const serial = serialiser();
  let passHolds = false;
  let lastSkipped = "";
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
        // a network left out for its bridge name: said when the set changes, not on every tick
        const skipped = r.skipped.map((n) => `${n.name} (${n.bridge}): ${n.problem}`).join('; ');
        if (skipped !== lastSkipped) {
          for (const n of r.skipped) {
            log('warn', n.kind === 'name'
              ? `network ${n.name} is left out of every rule: its bridge name ${JSON.stringify(n.bridge)} is unusable (${n.problem}); its subnets are closed by address`
              : `network ${n.name} is left out of every rule: ${n.problem}; its forwarding is the admin's`, { network: n.name, bridge: n.bridge });
          }
          lastSkipped = skipped;
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
  signals.onHup = () => { log('info', 'SIGHUP: reconciling'); loop.trigger('SIGHUP'); };
  // SIGHUP wakes this wait too (for the waiting phase's sake): only a stop ends it
  while (!signals.stopped) await new Promise<void>((resolve) => { signals.wake = resolve; });
  // as before: the stop listeners go now, so a second SIGTERM during the cleanup below is not swallowed here
  signals.dispose();
  log('info', `${signals.stopped}: stopping`);
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
