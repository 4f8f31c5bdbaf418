// Turns an enable plan into transaction steps: sysctls, files, daemon.json, restart, firewall, NDP, state.
// The firewall and NDP contents come from src/reconcile, the same code the agent and `apply` run; every
// outside system is reached through the run's host adapters (ctx.host).
import { joinCommand } from '../util/command';
import type { RunContext } from '../cli/context';
import { dockerdsFor } from '../daemon/keys';
import { ConfigError, PreconditionError } from '../errors';
import type { HostAdapters } from '../host/interfaces';
import { normaliseDocker, type ApiNetwork } from '../model/docker';
import { renderStateText, type ToolState } from '../model/state';
import type { HostSnapshot } from '../observe/snapshot';
import { routeKey } from '../reconcile/desired';
import { applyFirewallTable } from '../reconcile/firewall-table';
import { hostDeps } from '../reconcile/index';
import type { ReconcileDeps } from '../reconcile/observe';
import { prefixFacts } from '../observe/prefix-facts';
import { captureFile, captureSysctl, fileUndo, type FileUndo, type Step, type UndoRegistry } from '../transaction/index';
import type { RestartUndo } from '../transaction/tool-undo';
import { startAgain, type Downtime } from '../transaction/containers';
import { canonical6, overlaps, parseCidr6 } from '../model/ip';
import { firewallStep, ndpProxyStep, unreachableFor, unreachableStep } from './net-steps';
import { firewallWhere, type EnablePlan } from './plan';
import { serviceSteps, servicesRecord } from './services';

function sameCidr(a: string, b: string): boolean {
  const x = parseCidr6(a); const y = parseCidr6(b);
  return !!x && !!y && x.start === y.start && x.length === y.length;
}

function unionProxies(a: ReadonlyArray<{ address: string; ifname: string }>, b: ReadonlyArray<{ address: string; ifname: string }>): Array<{ address: string; ifname: string }> {
  const m = new Map([...a, ...b].map((p) => [`${canonical6(p.address)}%${p.ifname}`, { address: p.address, ifname: p.ifname }]));
  return [...m.values()];
}

function policyBefore(prev: ToolState | undefined, snap: HostSnapshot): { forwardPolicyBefore?: 'ACCEPT' | 'DROP' } {
  if (prev?.enabled) return prev.enabled.forwardPolicyBefore ? { forwardPolicyBefore: prev.enabled.forwardPolicyBefore } : {};
  const fw = snap.firewall;
  // a filter table nothing ever loaded is not in ip6tables-save's output: its FORWARD policy is the kernel's ACCEPT
  const p = fw.kind === 'ip6tables' && fw.available && !fw.error ? fw.tables.filter?.chains.FORWARD ?? 'ACCEPT' : undefined;
  return p === 'ACCEPT' || p === 'DROP' ? { forwardPolicyBefore: p } : {};
}

type ServicesRecord = NonNullable<ToolState['enabled']>['services'];

/** A second enable adds what it did to what the first one did: disable undoes both. */
function mergedServices(prev: ServicesRecord, now: ServicesRecord): { services?: ServicesRecord } {
  if (!prev && !now) return {};
  const u = (a?: string[], b?: string[]) => [...new Set([...(a ?? []), ...(b ?? [])])];
  return { services: { wrote: u(prev?.wrote, now?.wrote), enabled: u(prev?.enabled, now?.enabled), started: u(prev?.started, now?.started) } };
}

/** The containers running now (ids): a dockerd restart stops those without a restart policy. */
export function runningIds(snap: Pick<HostSnapshot, 'containers'>): string[] {
  return snap.containers.filter((c) => c.state === 'running').map((c) => c.id);
}

/**
 * After a dockerd restart: the host still has its IPv6 default route, and its router's address is not now a local
 * address (a default bridge on the router's own prefix takes that address, and the host loses its router).
 */
export async function checkRouterAfterRestart(host: HostAdapters, snap: Pick<HostSnapshot, 'host'>): Promise<void> {
  const before = snap.host.net?.routes.find((r) => r.family === 6 && r.dst === '::/0' && r.table === 254);
  if (!before) return;
  const net = await host.openNet();
  let st;
  try { st = await net.read(); } finally { net.close(); }
  if (!st.routes.some((r) => r.family === 6 && r.dst === '::/0' && r.table === 254)) {
    throw new PreconditionError('the host lost its IPv6 default route during the dockerd restart', 'check router advertisements on the uplink (accept_ra) and the router');
  }
  const gw = before.gateway ? canonical6(before.gateway) : undefined;
  const taken = gw ? st.addresses.find((a) => a.family === 6 && canonical6(a.address) === gw) : undefined;
  if (taken) throw new PreconditionError(`after the dockerd restart ${taken.ifname} holds the router's address ${gw}: the host would lose its router`, 'the default bridge must not be given the router\'s prefix ("fixed-cidr-v6")');
}

async function hasDefaultRoute(host: HostAdapters): Promise<boolean> {
  const net = await host.openNet();
  try { return (await net.read()).routes.some((r) => r.family === 6 && r.dst === '::/0' && r.table === 254); } finally { net.close(); }
}

export interface EnableStepOptions {
  /** --restart-timeout: how long the restart with the new config may take. The rollback's restart keeps the
   * scaled default: giving up early on restoring would leave Docker down. */
  restartTimeoutMs?: number;
  /** the run's undo registry: the rollback of a restart runs the same handler a recovery would */
  registry?: UndoRegistry;
  /** told how long the containers that ran before were down across the restart (and which were started again) */
  onDowntime?: (d: Downtime[]) => void;
}

type DaemonRecord = NonNullable<ToolState['enabled']>['daemonJson'];

/**
 * A later enable adds to the record of the first: the first one's previous values win (they are
 * the originals), keys only the later run set keep the later run's previous value, and those keys
 * come last so restoreKeys (which undoes in reverse) removes them first.
 */
export function mergeDaemonUndo(first: DaemonRecord | undefined, later: DaemonRecord): DaemonRecord {
  if (!first) return later;
  const previous = { ...first.undo.previous };
  for (const [k, v] of Object.entries(later.undo.previous)) if (!(k in previous)) previous[k] = v;
  return { ...first, undo: { ...first.undo, previous } };
}

/**
 * Docker down: it runs no network and no container, so the first filter batch is the catch-all one the plan
 * showed. Should Docker answer meanwhile, its real lists make the batch differ and the step refuses.
 */
function whileDown(deps: ReconcileDeps): ReconcileDeps {
  return {
    ...deps,
    async docker() {
      const real = await deps.docker();
      return { listNetworks: () => real.listNetworks().catch(() => []), listContainers: () => real.listContainers().catch(() => []) };
    },
  };
}

/** Down before the run: Docker's networks could only be listed once it started; one inside the prefix is a conflict. */
function networksStep(ctx: RunContext, plan: EnablePlan, snap: HostSnapshot): Step {
  return {
    id: 'check-docker-networks',
    describe: `check ${plan.prefix} against Docker's networks (they could not be listed while Docker was down)`,
    async apply() {
      const docker = await ctx.host.docker.connect();
      const { networks } = normaliseDocker(await docker.listNetworks() as ApiNetwork[], []);
      const prefix = parseCidr6(plan.prefix)!;
      // subnets inside a prefix an earlier enable saved are that enable's networks, not conflicts
      const facts = prefixFacts({ ...snap, networks }, plan.prefixSource === 'saved' ? prefix : undefined);
      const clash = facts.dockerSubnets.filter((d) => overlaps(parseCidr6(d.subnet)!, prefix));
      if (clash.length) {
        throw new PreconditionError(
          `${plan.prefix} overlaps Docker's network${clash.length > 1 ? 's' : ''} ${clash.map((d) => `"${d.network}" (${d.subnet})`).join(', ')}, seen once Docker started (it was down when enable planned)`,
          'remove or recreate that network, or pick another prefix with --prefix, then run docker ipv6 enable again',
        );
      }
    },
  };
}

export function enableSteps(ctx: RunContext, plan: EnablePlan, snap: HostSnapshot, opts: EnableStepOptions = {}): Step[] {
  const host = ctx.host;
  const sysctl = host.sysctl;
  const deps = hostDeps(ctx);
  const steps: Step[] = [];
  const progress = (s: string) => ctx.note(s);
  const hadDefault = !!snap.host.net?.routes.some((r) => r.family === 6 && r.dst === '::/0' && r.table === 254);
  // The filter chain comes before forwarding is on and before dockerd restarts: every bridge Docker lists
  // ends in a drop, and the catch-alls close the ones it makes at its start, so there is no open window.
  // After the restart it is rendered again for the networks and published ports Docker then has.
  const down = plan.dockerDown;
  if (plan.filterByUs) steps.push(firewallStep(down ? whileDown(deps) : deps, plan, 'filter', 'firewall-filter', plan.filterBatch));
  if (plan.mode === 'routed') steps.push(unreachableStep(host, plan.prefix));
  if (plan.filterByUs) {
    // Recorded before forwarding and the restart: dockerd turns IPv6 forwarding on at its start even with
    // "ip6tables": false (measured on 20.10 and 28.5), so after a kill and a reboot the boot unit must find
    // the prefix to build the closed skeleton from. The last step records the state again, complete.
    let early: ToolState | undefined;
    steps.push({
      id: 'write-state-early',
      describe: `record the prefix and mode in ${ctx.paths.stateFile} before forwarding (what the boot unit closes)`,
      async prepare() { early = nextState(); return captureFile(ctx.paths.stateFile, { writes: renderStateText(early) }); },
      async apply() { await host.state.write(early ?? nextState()); },
    });
  }
  for (const c of plan.sysctls) {
    steps.push({
      id: `sysctl:${c.key}`,
      describe: `sysctl ${c.key} = ${c.to} (was ${c.from ?? 'unset'}): ${c.why}`,
      prepare: () => captureSysctl(sysctl, c.key, c.to),
      async apply() { await sysctl.write(c.key, c.to); },
      verify: c.key.endsWith('.forwarding') && hadDefault
        ? async () => { if (!(await hasDefaultRoute(host))) throw new PreconditionError(`the host lost its IPv6 default route after ${c.key}=${c.to}`, 'check router advertisements on the uplink (accept_ra) before enabling forwarding'); }
        : undefined,
    });
  }
  steps.push({
    id: 'write-sysctl-conf',
    describe: `write ${plan.sysctlConf.path} so the sysctls hold after a reboot`,
    prepare: () => captureFile(plan.sysctlConf.path, { writes: plan.sysctlConf.text }),
    async apply() { await host.files.writeAtomic(plan.sysctlConf.path, plan.sysctlConf.text, 0o644); },
  });
  const networks = snap.networks.length;
  const runningBefore = runningIds(snap);
  let restartBegan: number | undefined;
  // Until our daemon.json write lands, dockerd still runs its own config: a rollback then has no reason
  // to restart it (and a file someone else broke meanwhile would keep it down). Recovery after a kill
  // cannot know, so it restarts (the registry's handler).
  let daemonWritten = !plan.daemonJson.changed;
  // Docker was down before this run: a rollback puts daemon.json back and leaves Docker down, as it found it
  // (a restart with the file it did not start with would only fail again); restarted only if ours came up
  const dockerdRuns = async () => dockerdsFor(await host.dockerd.processes(), ctx.globals.configFile).length > 0;
  if (plan.restart) {
    if (!opts.registry) throw new Error('enableSteps: a restart needs the run\'s undo registry');
    const registry = opts.registry;
    steps.push({
      id: 'arm-restart',
      describe: down ? 'on rollback: leave Docker down as it was, or stop our start of it (restart with the restored daemon.json)' : 'on rollback: restart dockerd once daemon.json is restored',
      async apply() {
        const r: RestartUndo = { kind: 'restart', command: [...ctx.globals.restartCommand], endpoint: { ...ctx.endpoint(), tls: undefined } as RestartUndo['endpoint'], networks, ...(down ? { wasDown: true } : {}), ...(runningBefore.length ? { startAgain: runningBefore } : {}) };
        return JSON.parse(JSON.stringify(r));
      },
      async undo(r) {
        if (!daemonWritten) { (r as RestartUndo).skipped = down ? 'Docker was already down before docker ipv6 enable, daemon.json was never written: left down, as it was' : 'daemon.json was never written, dockerd kept its configuration'; return; }
        if (down && !(await dockerdRuns().catch(() => true))) {
          (r as RestartUndo).skipped = 'Docker was already down before docker ipv6 enable, and the restored daemon.json is the one it did not start with: left down, as it was (not made worse)';
          return;
        }
        await registry.undo(r);
      },
    });
  }
  if (plan.daemonJson.changed) {
    const store = host.daemonConfig(plan.daemonJson.path);
    steps.push({
      id: 'write-daemon-json',
      describe: `write ${plan.daemonJson.path}: ${Object.keys(plan.daemonJson.set).join(', ')}`,
      prepare: () => captureFile(plan.daemonJson.path, { backupTo: `${ctx.paths.stateDir}/daemon.json.before-enable`, writes: plan.daemonJson.after }),
      async apply() {
        const cur = await store.read();
        if (cur.text !== plan.daemonJson.before) {
          throw new ConfigError(`${plan.daemonJson.path} changed while docker ipv6 was planning`, 'run docker ipv6 enable again');
        }
        daemonWritten = true;
        try {
          await store.write(plan.daemonJson.after, cur.identity);
        } catch (e) {
          // the store leaves the file as it found it when it fails (ours untouched, or someone else's edit
          // that made it refuse); believe the disk, not the error: only our own bytes are ours to undo
          const now = (await store.readRaw().catch(() => undefined))?.text;
          if (now !== undefined && now !== plan.daemonJson.after) daemonWritten = false;
          throw e;
        }
      },
      // In this process we know whether our bytes landed: when they did not, the file holds the original
      // or someone else's edit, and restoring the copy taken in prepare would write over that edit.
      // A recovery after a kill cannot know, and restores through the registry's file kind.
      async undo(r) { if (daemonWritten) return fileUndo.undo(r as FileUndo); },
    });
  }
  if (plan.restart) {
    steps.push({
      id: 'restart-dockerd',
      describe: down ? `start dockerd, which is down (${joinCommand(ctx.globals.restartCommand)}), and wait for it` : `restart dockerd (${joinCommand(ctx.globals.restartCommand)}) and wait for it`,
      async apply(signal) {
        restartBegan = Date.now();
        try {
          await host.dockerd.restart(ctx.globals.restartCommand, ctx.endpoint(), networks, progress, signal, opts.restartTimeoutMs);
        } catch (e) {
          if (!down || signal.aborted) throw e;
          throw new PreconditionError(`dockerd ${down.version} did not start with the new daemon.json either (it was down before docker ipv6 enable): ${e instanceof Error ? e.message : String(e)}`,
            `daemon.json is put back byte for byte and Docker left down, as it was; its log names the reason (journalctl -u docker -n 50, or the lab's dockerd.log): fix that in ${plan.daemonJson.path}, then run docker ipv6 enable again`);
        }
      },
      async verify() {
        // dockerd's restart rewrites forwarding and firewall state: the host must still reach out afterwards
        if (hadDefault && !(await hasDefaultRoute(host))) {
          throw new PreconditionError('the host lost its IPv6 default route during the dockerd restart', 'check router advertisements on the uplink (accept_ra) and the router, then run docker ipv6 enable again');
        }
        const docker = await host.docker.connect();
        const bridge = await docker.getNetwork('bridge').inspect();
        const v6 = (bridge.IPAM?.Config ?? []).map((c: { Subnet?: string }) => c.Subnet ?? '').filter((s: string) => s.includes(':'));
        if (!bridge.EnableIPv6 || !v6.some((s: string) => sameCidr(s, plan.bridgeSubnet))) {
          throw new PreconditionError(`after the restart the default bridge has EnableIPv6=${bridge.EnableIPv6} and IPv6 subnets [${v6.join(', ')}], expected ${plan.bridgeSubnet}`, 'dockerd did not take the new settings: check for flags overriding daemon.json');
        }
        // the containers that ran before: started again whatever the checks below say (a rollback would stop them anew)
        opts.onDowntime?.(await startAgain(host, runningBefore, progress, restartBegan));
        if (plan.mode === 'nat' && !plan.natByUs) {
          // where Docker's backend writes it: ip6tables' nat table, or its nftables table ip6 docker-bridges
          if (!(await host.firewall.dockerMasquerades()).some((m) => sameCidr(m.source, plan.bridgeSubnet))) {
            const where = host.firewall.kind === 'nftables' ? 'nftables table ip6 docker-bridges' : 'ip6tables nat table';
            throw new PreconditionError(`Docker did not install its IPv6 masquerade for ${plan.bridgeSubnet} (looked in the ${where})`, 'check that "ip6tables" is not false for dockerd and, with ip6tables, that dockerd and the ip6tables program use the same backend (nf_tables or legacy)');
          }
        }
      },
    });
  }
  if (down && plan.restart) steps.push(networksStep(ctx, plan, snap));
  if (plan.natByUs) steps.push(firewallStep(deps, plan, 'nat', 'firewall-nat'));
  // the chain is ours since the first step (whose record removes it on rollback): this only adds the
  // networks and published ports dockerd has after its restart
  if (plan.filterByUs && plan.restart) {
    steps.push({ id: 'firewall-filter-networks', describe: `${firewallWhere(plan, 'filter')}: D6-FORWARD again for the networks and published ports after the restart`, async apply() { await applyFirewallTable(deps, plan, 'filter'); } });
  }
  // NDP entries are computed after the restart: containers come back with their new addresses
  let proxies: Array<{ address: string; ifname: string }> = [];
  let foreign: Array<{ address: string; ifname: string }> = [];
  if (plan.mode === 'ndp') {
    steps.push(ndpProxyStep(host, deps, plan, progress, (ours, theirs) => { proxies = ours; foreign = theirs; }, snap.state?.proxies ?? []));
  }
  let state: ToolState | undefined;
  steps.push({
    id: 'write-state',
    describe: `record the prefix, mode and what changed in ${ctx.paths.stateFile}`,
    // the state is made before the write so the journal records the hash of the bytes written
    async prepare() { state = nextState(); return captureFile(ctx.paths.stateFile, { writes: renderStateText(state) }); },
    async apply() { await host.state.write(state ?? nextState()); },
  });
  // the agent and the boot unit last: the state they read is complete, and the agent's first pass waits for our lock
  steps.push(...serviceSteps(ctx, plan.services));
  function nextState(): ToolState {
    const prev = snap.state;
    return {
      ...(prev ?? { version: 1 }),
      version: 1, prefix: plan.prefix, mode: plan.mode, uplink: plan.uplink,
      enabled: {
        at: new Date().toISOString(),
        // a second enable must keep the first one's record of the original values
        daemonJson: mergeDaemonUndo(prev?.enabled?.daemonJson, { path: plan.daemonJson.path, undo: plan.daemonJson.undo, fileExisted: snap.daemonConfig.exists }),
        sysctls: { ...Object.fromEntries(plan.sysctls.map((s) => [s.key, s.from ?? ''])), ...(prev?.enabled?.sysctls ?? {}) },
        sysctlFileWritten: true,
        natByUs: plan.natByUs,
        filterByUs: plan.filterByUs,
        ...mergedServices(prev?.enabled?.services, servicesRecord(plan.services)),
        // the first enable's look is the one from before any of ours
        ...policyBefore(prev, snap),
      },
      proxies,
      ...(foreign.length || prev?.foreignProxies ? { foreignProxies: unionProxies(prev?.foreignProxies ?? [], foreign) } : {}),
      // the same keys reconcile keeps, so apply, the agent and disable agree on what is ours
      ...(plan.mode === 'routed' ? { routes: [...new Set([...(prev?.routes ?? []), routeKey(unreachableFor(plan.prefix))])] } : {}),
    };
  }
  return steps;
}
