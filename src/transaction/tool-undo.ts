// The tool's undo kinds: every kind of change enable, disable and doctor --fix make, undoable from the journal
// alone through the host adapters; and the recovery of an interrupted run before a new one plans anything.
import { renderRemoveBatch } from '../firewall/batches';
import type { HostAdapters } from '../host/interfaces';
import type { NetOps } from '../host/interfaces';
import type { RouteInfo } from '../model/net';
import type { Endpoint } from '../model/endpoint';
import { parseSave } from '../model/ip6tables-save';
import { reconcileDeps, reconcileOnce } from '../reconcile/index';
import { canonical6, formatCidr, parseCidr6 } from '../model/ip';
import { incompleteRecoveryError, recoverJournal } from './recover';
import type { UndoRecord, UndoRegistry } from './registry';
import { newUndoRegistry } from './undo-kinds';

/** Whether a route read through netlink is the `unreachable` route for dst (any spelling of the prefix). */
export function isUnreachableRoute(r: RouteInfo, dst: string): boolean {
  if (r.family !== 6 || r.table !== 254 || !/unreachable|^7$/i.test(r.type)) return false;
  const a = parseCidr6(r.dst); const b = parseCidr6(dst);
  return !!a && !!b && formatCidr(a) === formatCidr(b);
}

/** wasDown: Docker was down before the run (enable started it); a restart with the restored file that fails leaves it as it was */
export interface RestartUndo extends UndoRecord { kind: 'restart'; command: string[]; endpoint: { host: string; source: string; local: boolean }; networks: number; skipped?: string; wasDown?: boolean }
export interface FirewallUndo extends UndoRecord { kind: 'ip6tables'; table: 'nat' | 'filter' }
export interface ProxyUndo extends UndoRecord { kind: 'proxy'; address: string; ifname: string }
/** NDP proxy entries one step added (those already present before it are not listed: they stay). */
export interface ProxiesUndo extends UndoRecord { kind: 'proxies'; entries: Array<{ address: string; ifname: string }> }
/** An `unreachable` route for the routed prefix that one step added. */
export interface RouteUndo extends UndoRecord { kind: 'route'; type: 'unreachable'; dst: string }
/** Put our chains, routes and proxy entries back as the saved state wants them (one reconcile pass). */
export interface ReconcileUndo extends UndoRecord { kind: 'reconcile'; endpoint: { host: string; source: string; local: boolean }; stateFile: string }

export async function ifindexOf(net: Pick<NetOps, 'read'>, ifname: string): Promise<number> {
  const st = await net.read();
  const l = st.links.find((x) => x.name === ifname);
  if (!l) throw new Error(`interface ${ifname} does not exist`);
  return l.index;
}

async function withNet<T>(host: HostAdapters, fn: (net: NetOps) => Promise<T>): Promise<T> {
  const net = await host.openNet();
  try { return await fn(net); } finally { net.close(); }
}

/** Every kind of the tool's undo records, performed on the run's host adapters. */
export function toolUndoRegistry(host: HostAdapters, progress?: (s: string) => void): UndoRegistry {
  const reg = newUndoRegistry({ sysctl: host.sysctl });
  reg.registerUndo<RestartUndo>('restart', {
    async undo(r) {
      try {
        await host.dockerd.restart(r.command, r.endpoint as Endpoint, r.networks, progress);
      } catch (e) {
        // down before the run, with this very daemon.json: down again is the state it was found in, not a failed undo
        if (!r.wasDown) throw e;
        r.skipped = `Docker was down before the run and does not start with the restored daemon.json either: left down, as it was (${(e as Error).message.split('\n')[0]})`;
      }
    },
    describe: (r) => (r.skipped ? `did not restart dockerd: ${r.skipped}` : 'restarted dockerd with the restored configuration; it answers again'),
    manualFix: (r) => [r.command.join(' ')],
  });
  reg.registerUndo<FirewallUndo>('ip6tables', {
    async undo(r) {
      const batch = renderRemoveBatch(r.table, parseSave(await host.firewall.save(r.table)));
      if (batch) await host.firewall.restore(batch);
    },
    describe: (r) => `removed docker-ipv6's chain from the ${r.table} table`,
    manualFix: (r) => [`ip6tables -t ${r.table} -D ${r.table === 'nat' ? 'POSTROUTING' : 'FORWARD'} -m comment --comment docker-ipv6 -j ${r.table === 'nat' ? 'D6-NAT' : 'D6-FORWARD'}`],
  });
  reg.registerUndo<ProxyUndo>('proxy', {
    undo: (r) => withNet(host, async (net) => {
      const st = await net.read();
      const link = st.links.find((l) => l.name === r.ifname);
      if (link && st.proxies.some((p) => p.address === r.address && p.ifindex === link.index)) await net.delProxy(r.address, link.index);
    }),
    describe: (r) => `removed the NDP proxy entry ${r.address} on ${r.ifname}`,
    manualFix: (r) => [`ip -6 neigh del proxy ${r.address} dev ${r.ifname}`],
  });
  reg.registerUndo<ProxiesUndo>('proxies', {
    // idempotent: only entries still present are deleted, so a recovery may repeat it
    undo: (r) => withNet(host, async (net) => {
      const st = await net.read();
      for (const e of r.entries) {
        const link = st.links.find((l) => l.name === e.ifname);
        const present = link && st.proxies.some((p) => p.ifindex === link.index && canonical6(p.address) === canonical6(e.address));
        if (link && present) await net.delProxy(e.address, link.index);
      }
    }),
    describe: (r) => `removed the NDP proxy entries ${r.entries.map((e) => e.address).join(', ') || '(none)'}`,
    manualFix: (r) => r.entries.map((e) => `ip -6 neigh del proxy ${e.address} dev ${e.ifname}`),
  });
  reg.registerUndo<RouteUndo>('route', {
    undo: (r) => withNet(host, async (net) => {
      if ((await net.read()).routes.some((x) => isUnreachableRoute(x, r.dst))) await net.delUnreachable(r.dst);
    }),
    describe: (r) => `removed the route unreachable ${r.dst}`,
    manualFix: (r) => [`ip -6 route del unreachable ${r.dst}`],
  });
  reg.registerUndo<ReconcileUndo>('reconcile', {
    // the journaled endpoint; the state file is this run's (a journal lives under the same --root)
    async undo(r) { await reconcileOnce(reconcileDeps(host, r.endpoint as Endpoint)); },
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
export async function finishInterruptedRun(journalFile: string, registry: UndoRegistry, note: (s: string) => void): Promise<boolean> {
  const rec = await recoverJournal(journalFile, registry, note);
  if (!rec.complete) throw incompleteRecoveryError(journalFile, rec);
  if (rec.found) note('finished the rollback of an interrupted earlier run first');
  return rec.found;
}
