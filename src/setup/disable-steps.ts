// disable's plan and steps: what enable changed, reversed from the saved state through the same transaction engine.
import { joinCommand } from '../util/command';
import { captureFile, captureSysctl, type Step } from '../transaction/index';
import type { RunContext } from '../cli/context';
import { removeKeys, restoreKeys } from '../daemon/edit';
import { parseDaemonJson } from '../daemon/parse';
import { dockerVersionAtLeast } from '../daemon/version';
import { dockerBuiltinRules, dockerMasquerades } from '../model/ip6tables-save';
import { prefixFacts } from '../observe/prefix-facts';
import { bridgeHazard } from './prefix';
import { ConfigError } from '../errors';
import { renderRemoveBatch } from '../firewall/batches';
import type { HostSnapshot } from '../observe/snapshot';
import { renderStateText, type ToolState } from '../model/state';
import { ourRulesPlace } from '../model/firewall-backend';
import { parseRouteKey } from '../reconcile/desired';
import { ownedProxies } from '../reconcile/diff';
import { isUnreachableRoute, type FirewallUndo, type ProxyUndo, type ReconcileUndo, type RestartUndo } from '../transaction/tool-undo';
import type { UndoRegistry } from '../transaction/index';
import { startAgain, type Downtime } from '../transaction/containers';
import { serviceUndoSteps } from './services';
import { checkRouterAfterRestart, runningIds } from './steps';

export interface DisablePlan {
  daemonJson: { path: string; before: string; after: string; changed: boolean; remove: boolean; /** keys left out of the restore (--drop-bad-keys) */ dropped: string[] };
  sysctls: Array<{ key: string; from?: string; to: string }>;
  removeSysctlConf: boolean;
  firewallTables: Array<'nat' | 'filter'>;
  proxies: Array<{ address: string; ifname: string }>;
  /** routes docker-ipv6 keeps (routed mode: unreachable for the prefix), as state route keys */
  routes: string[];
  restart: boolean;
  /**
   * Docker's own rules in ip6tables' built-in chains (its masquerades, its jumps into its DOCKER* chains) that exist only
   * because enable turned its ip6tables support on (the restored file turns it off, the file now has it on), and that
   * Docker with ip6tables off never removes: deleted after the restart, by table. Where Docker keeps managing ip6tables
   * (28+ by default, or on before enable) its rules are live and stay; its DOCKER* chains are never touched.
   */
  dockerLeftovers: Record<'nat' | 'filter', string[]>;
  /** ip6tables' FORWARD policy goes back to this (it was this before enable; Docker's ip6tables support set DROP) */
  forwardPolicy?: 'ACCEPT';
  /** the default bridge the restored file gives Docker would cut the host off (bridgeHazard), or undefined */
  hazard?: string;
}

/** Whether this Docker runs its ip6tables support with that daemon.json: the key, else the version's default (on from 27). */
export function dockerIp6tables(config: Record<string, unknown>, version: string | undefined): boolean {
  if (config.iptables === false) return false;
  if (typeof config.ip6tables === 'boolean') return config.ip6tables;
  return !!version && dockerVersionAtLeast(version, '27.0');
}

/** Pure: what disable will change, from the snapshot and the saved state; `drop`: keys to leave out of the restore. */
export function planDisable(snap: HostSnapshot, sysctlConfExists: boolean, o: { drop?: string[]; version?: string } = {}): DisablePlan | undefined {
  const en = snap.state?.enabled;
  if (!en) return undefined;
  if (snap.daemonConfig.error) throw new ConfigError(snap.daemonConfig.error, `fix ${snap.daemonConfig.path} by hand first; nothing was changed`);
  const before = snap.daemonConfig.text ?? '';
  // a dropped key is left out of the restored file, whether enable set it or not: the operator's value for it is
  // what stops dockerd or cuts the host off
  const drop = [...new Set(o.drop ?? [])];
  let after = restoreKeys(before, en.daemonJson.undo, snap.daemonConfig.path);
  if (drop.length && after.trim()) after = removeKeys(after, drop, snap.daemonConfig.path).text;
  const remove = !en.daemonJson.fileExisted && after.trim() === '';
  if (remove) after = '';
  const sysctls = Object.entries(en.sysctls)
    .filter(([key, prev]) => prev !== '' && snap.host.sysctls[key] !== undefined && snap.host.sysctls[key] !== prev)
    .map(([key, prev]) => ({ key, from: snap.host.sysctls[key], to: prev }))
    // forwarding off before accept_ra goes back, the reverse of enable
    .sort((a, b) => Number(b.key.endsWith('forwarding')) - Number(a.key.endsWith('forwarding')));
  const tables = (['nat', 'filter'] as const).filter((t) => renderRemoveBatch(t, snap.firewall.tables) !== undefined);
  const changed = after !== before || (remove && snap.daemonConfig.exists);
  const restored = after.trim() ? parseDaemonJson(after, snap.daemonConfig.path).value as Record<string, unknown> : {};
  const version = o.version ?? snap.daemon.version;
  const fc = restored['fixed-cidr-v6'];
  const hazard = restored.ipv6 === true && typeof fc === 'string' ? bridgeHazard(fc, prefixFacts(snap)) : undefined;
  const current = snap.daemonConfig.value ?? {};
  const turnedOn = snap.firewall.kind === 'ip6tables' && changed && dockerIp6tables(current, version) && !dockerIp6tables(restored, version);
  const leftovers = turnedOn ? dockerBuiltinRules(snap.firewall.tables) : { nat: [], filter: [] };
  return {
    daemonJson: { path: snap.daemonConfig.path, before, after, changed, remove, dropped: drop },
    sysctls, removeSysctlConf: sysctlConfExists, firewallTables: [...tables],
    proxies: ownedProxies({ state: snap.state, proxies: snap.host.net?.proxies ?? [] }), routes: snap.state?.routes ?? [], restart: changed,
    dockerLeftovers: leftovers, ...(hazard ? { hazard } : {}),
    ...(turnedOn && en.forwardPolicyBefore === 'ACCEPT' && snap.firewall.tables.filter?.chains.FORWARD === 'DROP' ? { forwardPolicy: 'ACCEPT' as const } : {}),
  };
}

export function disableSteps(ctx: RunContext, plan: DisablePlan, snap: HostSnapshot, reg: UndoRegistry, opts: { restartTimeoutMs?: number; onDowntime?: (d: Downtime[]) => void } = {}): Step[] {
  const host = ctx.host;
  const sysctl = host.sysctl;
  const steps: Step[] = [];
  // Our filter and proxies go last, once dockerd runs without IPv6 and forwarding is off, so no
  // container is reachable unfiltered at any moment; if anything fails after they are gone, the
  // rollback puts them back from the state (which still says enabled until the last step).
  const reapply = async (): Promise<ReconcileUndo> => ({ kind: 'reconcile', endpoint: { host: ctx.endpoint().host, source: ctx.endpoint().source, local: ctx.endpoint().local }, stateFile: ctx.paths.stateFile });
  const running = runningIds(snap);
  let restartBegan: number | undefined;
  steps.push(...serviceUndoSteps(ctx, snap.state?.enabled?.services));
  if (plan.restart) {
    steps.push({
      id: 'arm-restart', describe: 'on rollback: restart dockerd once daemon.json is restored (and start again the containers that ran)',
      async apply() { return JSON.parse(JSON.stringify({ kind: 'restart', command: [...ctx.globals.restartCommand], endpoint: { ...ctx.endpoint(), tls: undefined }, networks: snap.networks.length, ...(running.length ? { startAgain: running } : {}) })) as RestartUndo; },
    });
    const store = host.daemonConfig(plan.daemonJson.path);
    steps.push({
      id: 'restore-daemon-json', describe: plan.daemonJson.remove ? `remove ${plan.daemonJson.path} (it did not exist before enable)` : `restore the keys enable set in ${plan.daemonJson.path}`,
      prepare: () => captureFile(plan.daemonJson.path, { writes: plan.daemonJson.remove ? null : plan.daemonJson.after }),
      async apply() {
        const cur = await store.read();
        if (cur.text !== plan.daemonJson.before) throw new ConfigError(`${plan.daemonJson.path} changed while docker ipv6 was planning`, 'run docker ipv6 disable again');
        if (plan.daemonJson.remove) await store.remove(cur.identity);
        else await store.write(plan.daemonJson.after, cur.identity);
      },
    });
    steps.push({
      id: 'restart-dockerd', describe: `restart dockerd (${joinCommand(ctx.globals.restartCommand)}) and wait for it${running.length ? `; start again the ${running.length} container(s) that ran` : ''}`,
      async apply(signal) { restartBegan = Date.now(); await host.dockerd.restart(ctx.globals.restartCommand, ctx.endpoint(), snap.networks.length, (s) => ctx.note(s), signal, opts.restartTimeoutMs); },
      async verify() {
        // never leave the host cut off from its router: a restored bridge on its prefix is rolled back
        await checkRouterAfterRestart(host, snap);
        opts.onDowntime?.(await startAgain(host, running, (s) => ctx.note(s), restartBegan));
      },
    });
  }
  const left = plan.dockerLeftovers;
  if (left.nat.length + left.filter.length || plan.forwardPolicy) {
    const masq = dockerMasquerades({ nat: { chains: {}, rules: left.nat } }).map((m) => m.source);
    steps.push({
      id: 'docker-ip6tables-leftovers',
      describe: `remove what Docker's ip6tables support put into ip6tables' built-in chains because enable turned it on (${[masq.length ? `its masquerade for ${masq.join(', ')}` : '', left.nat.length + left.filter.length - masq.length ? 'its jumps into its DOCKER chains' : '', plan.forwardPolicy ? 'its FORWARD policy DROP, back to ACCEPT as before enable' : ''].filter(Boolean).join(', ')}): with it off again Docker leaves them behind; its DOCKER chains stay`,
      async apply() {
        // only the lines still there (Docker with ip6tables off never touches them, but someone else may have)
        const now = await host.firewall.read();
        const batch = (['nat', 'filter'] as const).map((t) => {
          const have = new Set(now[t]?.rules ?? []);
          const del = left[t].filter((r) => have.has(r));
          const policy = t === 'filter' && plan.forwardPolicy && now.filter?.chains.FORWARD === 'DROP' ? [`:FORWARD ${plan.forwardPolicy} [0:0]`] : [];
          return del.length + policy.length ? `*${t}\n${[...policy, ...del.map((r) => r.replace(/^-A /, '-D '))].join('\n')}\nCOMMIT\n` : '';
        }).join('');
        if (batch) await host.firewall.restore(batch);
      },
    });
  }
  for (const s of plan.sysctls) {
    steps.push({ id: `sysctl:${s.key}`, describe: `sysctl ${s.key} = ${s.to} (back from ${s.from})`, prepare: () => captureSysctl(sysctl, s.key, s.to), async apply() { await sysctl.write(s.key, s.to); } });
  }
  for (const p of plan.proxies) {
    steps.push({ id: `proxy:${p.address}`, describe: `remove the NDP proxy entry ${p.address} on ${p.ifname}`, prepare: reapply, async apply() { await reg.undo({ kind: 'proxy', ...p } satisfies ProxyUndo); } });
  }
  for (const key of plan.routes) {
    steps.push({
      id: `route:${key}`, describe: `remove the route ${key} docker-ipv6 kept for the prefix`, prepare: reapply,
      async apply() {
        const r = parseRouteKey(key);
        if (!r) return;
        const net = await host.openNet();
        try {
          const st = await net.read();
          if (st.routes.some((x) => isUnreachableRoute(x, r.dst))) await net.delUnreachable(r.dst);
        } finally { net.close(); }
      },
    });
  }
  for (const t of plan.firewallTables) {
    steps.push({ id: `firewall-${t}`, describe: `remove docker-ipv6's chain from the ${ourRulesPlace(ctx.host.firewall.kind, t)} table`, prepare: reapply, async apply() { await reg.undo({ kind: 'ip6tables', table: t } satisfies FirewallUndo); } });
  }
  if (plan.removeSysctlConf) {
    steps.push({ id: 'remove-sysctl-conf', describe: `remove ${ctx.paths.sysctlConf}`, prepare: () => captureFile(ctx.paths.sysctlConf, { writes: null }), async apply() { await host.files.remove(ctx.paths.sysctlConf); } });
  }
  steps.push({
    id: 'write-state', describe: `mark docker-ipv6 disabled in ${ctx.paths.stateFile} (the prefix stays saved for a later enable)`,
    prepare: () => captureFile(ctx.paths.stateFile, { writes: renderStateText(disabledState(snap.state as ToolState)) }),
    async apply() { await host.state.write(disabledState(snap.state as ToolState)); },
  });
  return steps;
}

function disabledState(state: ToolState): ToolState {
  const { enabled: _e, proxies: _p, mode: _m, routes: _r, foreignProxies: _f, ...keep } = state;
  return keep as ToolState;
}
