// The tool's undo kinds: every kind of change enable, disable and doctor --fix make, undoable from the journal
// alone through the host adapters; and the recovery of an interrupted run before a new one plans anything.
//
// A record says what to undo, never how to reach the host: the restart and reconcile kinds use this run's
// --restart-command and Docker endpoint (a journaled restart command that hangs would otherwise make the
// host unrecoverable; it stays in the record only to say what the interrupted run used). Every record read
// back is checked against what this run's tool writes (paths, sysctl keys, fields) before recovery acts.
import { joinCommand } from '../util/command';
import { realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunContext } from '../cli/context';
import { renderRemoveBatch } from '../firewall/batches';
import type { HostAdapters } from '../host/interfaces';
import type { NetOps } from '../host/interfaces';
import { isToolSysctlKey } from '../model/sysctl';
import { OUR_UNITS, validateIfName } from '../model/names';
import { extraFields, plainText, type RecordScope } from './record-check';
import type { RouteInfo } from '../model/net';
import { reconcileDeps, reconcileOnce } from '../reconcile/index';
import { canonical6, formatCidr, parseCidr6 } from '../model/ip';
import { isIP } from 'node:net';
import { incompleteRecoveryError, recoverJournal } from './recover';
import type { UndoRecord, UndoRegistry } from './registry';
import { newUndoRegistry } from './undo-kinds';

/** Whether a route read through netlink is the `unreachable` route for dst (any spelling of the prefix). */
export function isUnreachableRoute(r: RouteInfo, dst: string): boolean {
  if (r.family !== 6 || r.table !== 254 || !/unreachable|^7$/i.test(r.type)) return false;
  const a = parseCidr6(r.dst); const b = parseCidr6(dst);
  return !!a && !!b && formatCidr(a) === formatCidr(b);
}

/**
 * wasDown: Docker was down before the run (enable started it); a restart with the restored file that fails leaves it as it was.
 * startAgain: the containers that ran before the run (ids): the restart stops those without a restart policy, so the
 * rollback starts again the ones that are not running, as the run itself does.
 */
export interface RestartUndo extends UndoRecord { kind: 'restart'; command: string[]; endpoint: { host: string; source: string; local: boolean }; networks: number; skipped?: string; wasDown?: boolean; startAgain?: string[] }
export interface FirewallUndo extends UndoRecord { kind: 'ip6tables'; table: 'nat' | 'filter' }
export interface ProxyUndo extends UndoRecord { kind: 'proxy'; address: string; ifname: string }
/** NDP proxy entries one step added (those already present before it are not listed: they stay). */
export interface ProxiesUndo extends UndoRecord { kind: 'proxies'; entries: Array<{ address: string; ifname: string }> }
/** An `unreachable` route for the routed prefix that one step added. */
export interface RouteUndo extends UndoRecord { kind: 'route'; type: 'unreachable'; dst: string }
/**
 * One of our systemd units changed by a step: undone by the opposite (enable -> disable, start -> stop, and the
 * other way round for disable's steps), after a daemon-reload so unit files a rollback put back are seen.
 */
export interface ServiceUndo extends UndoRecord { kind: 'service'; action: 'enable' | 'disable' | 'start' | 'stop' | 'reload'; units: string[] }
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

/** What of the run the undo kinds use: its adapters, --restart-command, endpoint and the files it writes. */
export type UndoRun = Pick<RunContext, 'host' | 'globals' | 'paths' | 'endpoint'>;

/** The daemon.json in use (and its target, when it is a symlink), our sysctl.d file, the state file. */
export function recordScope(run: Pick<RunContext, 'globals' | 'paths'>): RecordScope {
  // our unit files: where systemd runs, enable writes them when no unit folder has them
  const named = [run.globals.configFile, run.paths.sysctlConf, run.paths.stateFile, ...OUR_UNITS.map((u) => `${run.paths.unitDir}/${u}`)];
  let allowed: Promise<Set<string>> | undefined;
  return {
    stateDir: run.paths.stateDir,
    sysctlKey: isToolSysctlKey,
    async filePath(path) {
      // captureFile records a symlink's target; resolve the folder too (a --root under a symlinked /tmp)
      allowed ??= Promise.all(named.map(async (p) => [p, await realpath(p).catch(() => undefined), await realpath(dirname(p)).then((d) => `${d}/${p.split('/').pop()}`).catch(() => undefined)]))
        .then((l) => new Set(l.flat().filter((x): x is string => !!x)));
      return (await allowed).has(path);
    },
  };
}

const ENDPOINT_FIELDS = ['host', 'source', 'local'];
/** A journaled endpoint is never used (the run's own is): it need only be the plain data we write. */
function endpointProblem(v: unknown, kind: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).some((k) => !ENDPOINT_FIELDS.includes(k))
    || !Object.values(v).every((x) => plainText(x, 512) || typeof x === 'boolean')) return `a ${kind} record with an unusable endpoint`;
  return undefined;
}

function addressProblem(address: unknown, ifname: unknown, kind: string): string | undefined {
  if (typeof address !== 'string' || isIP(address) !== 6) return `a ${kind} record with address ${JSON.stringify(address)}`;
  try { validateIfName(String(ifname)); } catch { return `a ${kind} record with interface ${JSON.stringify(ifname)}`; }
  return typeof ifname === 'string' ? undefined : `a ${kind} record without an interface`;
}

/** Every kind of the tool's undo records, performed on the run's host adapters. */
export function toolUndoRegistry(run: UndoRun, progress?: (s: string) => void): UndoRegistry {
  const host = run.host;
  const restartCommand = run.globals.restartCommand;
  const reg = newUndoRegistry({ sysctl: host.sysctl, scope: recordScope(run) });
  reg.registerUndo<RestartUndo>('restart', {
    async undo(r) {
      const journaled = Array.isArray(r.command) ? joinCommand(r.command) : undefined;
      if (journaled !== undefined && journaled !== joinCommand(restartCommand)) {
        progress?.(`restarting dockerd with this run's restart command (${joinCommand(restartCommand)}), not the interrupted run's (${journaled})`);
      }
      try {
        await host.dockerd.restart(restartCommand, run.endpoint(), r.networks, progress);
      } catch (e) {
        // down before the run, with this very daemon.json: down again is the state it was found in, not a failed undo
        if (!r.wasDown) throw e;
        r.skipped = `Docker was down before the run and does not start with the restored daemon.json either: left down, as it was (${(e as Error).message.split('\n')[0]})`;
        return;
      }
      if (r.startAgain?.length) {
        const { startAgain } = await import('./containers');
        await startAgain(host, r.startAgain, progress);
      }
    },
    check: (r) => extraFields(r, ['command', 'endpoint', 'networks', 'skipped', 'wasDown', 'startAgain'])
      ?? (r.startAgain !== undefined && !(Array.isArray(r.startAgain) && r.startAgain.length <= 100_000 && r.startAgain.every((id) => typeof id === 'string' && /^[0-9a-f]{12,64}$/.test(id))) ? 'a restart record with unusable container ids' : undefined)
      ?? (r.command !== undefined && !(Array.isArray(r.command) && r.command.length <= 64 && r.command.every((a) => plainText(a, 1024))) ? 'a restart record with an unusable command' : undefined)
      // networks scales the wait for dockerd: a huge count would make the recovery wait for ever
      ?? (!Number.isInteger(r.networks) || r.networks < 0 || r.networks > 100_000 ? `a restart record for ${String(r.networks)} networks` : undefined)
      ?? (r.skipped !== undefined && !plainText(r.skipped) ? 'a restart record with an unusable note' : undefined)
      ?? (r.wasDown !== undefined && typeof r.wasDown !== 'boolean' ? 'a restart record with an unusable wasDown' : undefined)
      ?? endpointProblem(r.endpoint, 'restart'),
    leave: () => 'dockerd is not restarted: it keeps running the configuration it loaded last',
    describe: (r) => (r.skipped ? `did not restart dockerd: ${r.skipped}` : 'restarted dockerd with the restored configuration; it answers again'),
    manualFix: () => [joinCommand(restartCommand)],
  });
  reg.registerUndo<FirewallUndo>('ip6tables', {
    check: (r) => extraFields(r, ['table']) ?? (r.table === 'nat' || r.table === 'filter' ? undefined : `an ip6tables record for table ${JSON.stringify(r.table)}`),
    leave: (r) => `docker-ipv6's chain in the ${r.table} table stays (ip6tables, or nftables table ip6 docker-ipv6)`,
    async undo(r) {
      const batch = renderRemoveBatch(r.table, await host.firewall.read(r.table));
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
    check: (r) => extraFields(r, ['address', 'ifname']) ?? addressProblem(r.address, r.ifname, 'proxy'),
    leave: (r) => `the NDP proxy entry ${r.address} on ${r.ifname} stays`,
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
    check: (r) => extraFields(r, ['entries'])
      ?? (!Array.isArray(r.entries) || r.entries.length > 100_000 ? 'a proxies record without a list of entries' : undefined)
      ?? r.entries.map((e) => (typeof e === 'object' && e !== null && !Object.keys(e).some((k) => k !== 'address' && k !== 'ifname') ? addressProblem(e.address, e.ifname, 'proxies') : 'a proxies record with an unusable entry')).find(Boolean),
    leave: (r) => `the NDP proxy entries ${r.entries.map((e) => `${e.address} on ${e.ifname}`).join(', ') || '(none)'} stay`,
    describe: (r) => `removed the NDP proxy entries ${r.entries.map((e) => e.address).join(', ') || '(none)'}`,
    manualFix: (r) => r.entries.map((e) => `ip -6 neigh del proxy ${e.address} dev ${e.ifname}`),
  });
  reg.registerUndo<RouteUndo>('route', {
    undo: (r) => withNet(host, async (net) => {
      if ((await net.read()).routes.some((x) => isUnreachableRoute(x, r.dst))) await net.delUnreachable(r.dst);
    }),
    check: (r) => extraFields(r, ['type', 'dst']) ?? (r.type !== 'unreachable' ? `a route record of type ${JSON.stringify(r.type)}` : undefined)
      ?? (typeof r.dst !== 'string' || !parseCidr6(r.dst) || parseCidr6(r.dst)!.length === 0 ? `a route record for ${JSON.stringify(r.dst)}` : undefined),
    leave: (r) => `the route unreachable ${r.dst} stays`,
    describe: (r) => `removed the route unreachable ${r.dst}`,
    manualFix: (r) => [`ip -6 route del unreachable ${r.dst}`],
  });
  reg.registerUndo<ServiceUndo>('service', {
    async undo(r) {
      const sm = host.services;
      await sm.reload();
      if (r.action === 'enable') await sm.disable(r.units);
      else if (r.action === 'disable') await sm.enable(r.units);
      else if (r.action === 'start') await sm.stop(r.units);
      else if (r.action === 'stop') await sm.start(r.units);
    },
    check: (r) => extraFields(r, ['action', 'units'])
      ?? (!['enable', 'disable', 'start', 'stop', 'reload'].includes(r.action) ? `a service record with action ${JSON.stringify(r.action)}` : undefined)
      ?? (!Array.isArray(r.units) || !r.units.every((u) => typeof u === 'string' && OUR_UNITS.includes(u)) ? 'a service record naming units that are not docker-ipv6\'s' : undefined),
    leave: (r) => (r.action === 'reload' ? 'systemd is not reloaded' : `${r.units.join(', ')} stay${r.units.length === 1 ? 's' : ''} ${{ enable: 'enabled', disable: 'disabled', start: 'running', stop: 'stopped' }[r.action]}`),
    describe: (r) => (r.action === 'reload' ? 'reloaded systemd' : `${{ enable: 'disabled', disable: 'enabled', start: 'stopped', stop: 'started' }[r.action]} ${r.units.join(', ')} again`),
    manualFix: (r) => (r.action === 'reload' ? ['systemctl daemon-reload'] : [`systemctl ${{ enable: 'disable', disable: 'enable', start: 'stop', stop: 'start' }[r.action]} ${r.units.join(' ')}`]),
  });
  reg.registerUndo<ReconcileUndo>('reconcile', {
    // this run's endpoint and state file (a journal lives under the same --root)
    async undo() { await reconcileOnce(reconcileDeps(host, run.endpoint())); },
    check: (r) => extraFields(r, ['endpoint', 'stateFile']) ?? endpointProblem(r.endpoint, 'reconcile')
      ?? (r.stateFile !== undefined && r.stateFile !== run.paths.stateFile ? `a reconcile record for the state file ${JSON.stringify(r.stateFile)}, not ${run.paths.stateFile}` : undefined),
    leave: () => "docker-ipv6's chains, routes and NDP proxy entries are not put back from the state (docker ipv6 apply does that)",
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
