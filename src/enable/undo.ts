// The tool's undo registry: every kind of change enable/disable/apply make, undoable from the journal alone.
import { incompleteRecoveryError, newUndoRegistry, recoverJournal, withLock, type UndoRecord, type UndoRegistry } from '../apply';
import type { Endpoint } from '../docker/endpoint';
import type { RunContext } from '../cli/context';
import { restartDocker } from '../host/dockerd';
import { Ip6tables, parseSave } from '../host/ip6tables';
import { Netlink } from '../host/netlink';
import { ProcSysctl } from '../host/sysctl';
import { renderRemoveBatch } from '../firewall/render';
import type { RouteInfo } from '../host/netlink';
import { canonical6 } from '../reconcile/facts';
import { openNetOps } from '../reconcile/netops';
import { formatCidr, parseCidr6 } from '../model/ip';

/** Whether a route read through netlink is the `unreachable` route for dst (any spelling of the prefix). */
export function isUnreachableRoute(r: RouteInfo, dst: string): boolean {
  if (r.family !== 6 || r.table !== 254 || !/unreachable|^7$/i.test(r.type)) return false;
  const a = parseCidr6(r.dst); const b = parseCidr6(dst);
  return !!a && !!b && formatCidr(a) === formatCidr(b);
}

export interface RestartUndo extends UndoRecord { kind: 'restart'; command: string[]; endpoint: { host: string; source: string; local: boolean }; networks: number; skipped?: string }
export interface FirewallUndo extends UndoRecord { kind: 'ip6tables'; table: 'nat' | 'filter' }
export interface ProxyUndo extends UndoRecord { kind: 'proxy'; address: string; ifname: string }
/** NDP proxy entries one step added (those already present before it are not listed: they stay). */
export interface ProxiesUndo extends UndoRecord { kind: 'proxies'; entries: Array<{ address: string; ifname: string }> }
/** An `unreachable` route for the routed prefix that one step added. */
export interface RouteUndo extends UndoRecord { kind: 'route'; type: 'unreachable'; dst: string }
/** Put our chains, routes and proxy entries back as the saved state wants them (one reconcile pass). */
export interface ReconcileUndo extends UndoRecord { kind: 'reconcile'; endpoint: { host: string; source: string; local: boolean }; stateFile: string }

export async function ifindexOf(nl: Netlink, ifname: string): Promise<number> {
  const st = await nl.read();
  const l = st.links.find((x) => x.name === ifname);
  if (!l) throw new Error(`interface ${ifname} does not exist`);
  return l.index;
}

export function toolUndoRegistry(progress?: (s: string) => void): UndoRegistry {
  const reg = newUndoRegistry({ sysctl: new ProcSysctl() });
  reg.registerUndo<RestartUndo>('restart', {
    undo: (r) => restartDocker(r.command, r.endpoint as Endpoint, r.networks, progress),
    describe: (r) => (r.skipped ? `did not restart dockerd: ${r.skipped}` : 'restarted dockerd with the restored configuration; it answers again'),
    manualFix: (r) => [r.command.join(' ')],
  });
  reg.registerUndo<FirewallUndo>('ip6tables', {
    async undo(r) {
      const fw = new Ip6tables();
      const batch = renderRemoveBatch(r.table, parseSave(await fw.save(r.table)));
      if (batch) await fw.restore(batch);
    },
    describe: (r) => `removed docker-ipv6's chain from the ${r.table} table`,
    manualFix: (r) => [`ip6tables -t ${r.table} -D ${r.table === 'nat' ? 'POSTROUTING' : 'FORWARD'} -m comment --comment docker-ipv6 -j ${r.table === 'nat' ? 'D6-NAT' : 'D6-FORWARD'}`],
  });
  reg.registerUndo<ProxyUndo>('proxy', {
    async undo(r) {
      const nl = await Netlink.open();
      try {
        const st = await nl.read();
        const link = st.links.find((l) => l.name === r.ifname);
        if (link && st.proxies.some((p) => p.address === r.address && p.ifindex === link.index)) await nl.delProxy(r.address, link.index);
      } finally { nl.close(); }
    },
    describe: (r) => `removed the NDP proxy entry ${r.address} on ${r.ifname}`,
    manualFix: (r) => [`ip -6 neigh del proxy ${r.address} dev ${r.ifname}`],
  });
  reg.registerUndo<ProxiesUndo>('proxies', {
    // idempotent: only entries still present are deleted, so a recovery may repeat it
    async undo(r) {
      const nl = await Netlink.open();
      try {
        const st = await nl.read();
        for (const e of r.entries) {
          const link = st.links.find((l) => l.name === e.ifname);
          const present = link && st.proxies.some((p) => p.ifindex === link.index && canonical6(p.address) === canonical6(e.address));
          if (link && present) await nl.delProxy(e.address, link.index);
        }
      } finally { nl.close(); }
    },
    describe: (r) => `removed the NDP proxy entries ${r.entries.map((e) => e.address).join(', ') || '(none)'}`,
    manualFix: (r) => r.entries.map((e) => `ip -6 neigh del proxy ${e.address} dev ${e.ifname}`),
  });
  reg.registerUndo<RouteUndo>('route', {
    async undo(r) {
      const net = await openNetOps();
      try {
        if ((await net.read()).routes.some((x) => isUnreachableRoute(x, r.dst))) await net.delUnreachable(r.dst);
      } finally { net.close(); }
    },
    describe: (r) => `removed the route unreachable ${r.dst}`,
    manualFix: (r) => [`ip -6 route del unreachable ${r.dst}`],
  });
  reg.registerUndo<ReconcileUndo>('reconcile', {
    async undo(r) {
      const { reconcileOnce, hostDeps } = await import('../reconcile');
      // reconcile needs only the endpoint and the state file of a context
      const ctx = { endpoint: () => r.endpoint, paths: { stateFile: r.stateFile } } as unknown as RunContext;
      await reconcileOnce(hostDeps(ctx));
    },
    describe: () => 'put docker-ipv6\'s chains, routes and NDP proxy entries back as the state wants them',
    manualFix: () => ['docker ipv6 apply'],
  });
  return reg;
}

/**
 * Before enable, disable or doctor --fix plan anything: roll back what an interrupted earlier run left
 * in its journal. An undo that failed leaves the host half-restored: planning on top would hide that.
 * Returns whether there was an interrupted run.
 */
export async function finishInterruptedRun(ctx: RunContext, registry: UndoRegistry): Promise<boolean> {
  const rec = await recoverJournal(ctx.paths.journalFile, registry, (l) => ctx.note(l));
  if (!rec.complete) throw incompleteRecoveryError(ctx.paths.journalFile, rec);
  if (rec.found) ctx.note('finished the rollback of an interrupted earlier run first');
  return rec.found;
}

/**
 * The frame of a command that changes the host (enable, disable): a local daemon, root unless it is a
 * dry run, and the lock around the work (a dry run changes nothing and takes no lock).
 */
export async function asHostChange(ctx: RunContext, command: 'enable' | 'disable', body: () => Promise<void>): Promise<void> {
  ctx.requireLocalDaemon(`${command} IPv6`);
  if (ctx.globals.dryRun) return body();
  ctx.requireRoot(`docker ipv6 ${command}`);
  await withLock(ctx.paths.lockFile, { command, log: (l) => ctx.note(l) }, body);
}
