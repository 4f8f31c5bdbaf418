// disable's plan and steps: what enable changed, reversed from the saved state through the same transaction engine.
import { captureFile, captureSysctl, type Step } from '../transaction/index';
import type { RunContext } from '../cli/context';
import { restoreKeys } from '../daemon/edit';
import { ConfigError } from '../errors';
import { renderRemoveBatch } from '../firewall/batches';
import type { HostSnapshot } from '../observe/snapshot';
import { renderStateText, type ToolState } from '../model/state';
import { ourRulesPlace } from '../model/firewall-backend';
import { parseRouteKey } from '../reconcile/desired';
import { ownedProxies } from '../reconcile/diff';
import { isUnreachableRoute, type FirewallUndo, type ProxyUndo, type ReconcileUndo, type RestartUndo } from '../transaction/tool-undo';
import type { UndoRegistry } from '../transaction/index';

export interface DisablePlan {
  daemonJson: { path: string; before: string; after: string; changed: boolean; remove: boolean };
  sysctls: Array<{ key: string; from?: string; to: string }>;
  removeSysctlConf: boolean;
  firewallTables: Array<'nat' | 'filter'>;
  proxies: Array<{ address: string; ifname: string }>;
  /** routes docker-ipv6 keeps (routed mode: unreachable for the prefix), as state route keys */
  routes: string[];
  restart: boolean;
}

/** Pure: what disable will change, from the snapshot and the saved state. */
export function planDisable(snap: HostSnapshot, sysctlConfExists: boolean): DisablePlan | undefined {
  const en = snap.state?.enabled;
  if (!en) return undefined;
  if (snap.daemonConfig.error) throw new ConfigError(snap.daemonConfig.error, `fix ${snap.daemonConfig.path} by hand first; nothing was changed`);
  const before = snap.daemonConfig.text ?? '';
  let after = restoreKeys(before, en.daemonJson.undo, snap.daemonConfig.path);
  const remove = !en.daemonJson.fileExisted && after.trim() === '';
  if (remove) after = '';
  const sysctls = Object.entries(en.sysctls)
    .filter(([key, prev]) => prev !== '' && snap.host.sysctls[key] !== undefined && snap.host.sysctls[key] !== prev)
    .map(([key, prev]) => ({ key, from: snap.host.sysctls[key], to: prev }))
    // forwarding off before accept_ra goes back, the reverse of enable
    .sort((a, b) => Number(b.key.endsWith('forwarding')) - Number(a.key.endsWith('forwarding')));
  const tables = (['nat', 'filter'] as const).filter((t) => renderRemoveBatch(t, snap.firewall.tables) !== undefined);
  const changed = after !== before || (remove && snap.daemonConfig.exists);
  return {
    daemonJson: { path: snap.daemonConfig.path, before, after, changed, remove },
    sysctls, removeSysctlConf: sysctlConfExists, firewallTables: [...tables],
    proxies: ownedProxies({ state: snap.state, proxies: snap.host.net?.proxies ?? [] }), routes: snap.state?.routes ?? [], restart: changed,
  };
}

export function disableSteps(ctx: RunContext, plan: DisablePlan, snap: HostSnapshot, reg: UndoRegistry, opts: { restartTimeoutMs?: number } = {}): Step[] {
  const host = ctx.host;
  const sysctl = host.sysctl;
  const steps: Step[] = [];
  // Our filter and proxies go last, once dockerd runs without IPv6 and forwarding is off, so no
  // container is reachable unfiltered at any moment; if anything fails after they are gone, the
  // rollback puts them back from the state (which still says enabled until the last step).
  const reapply = async (): Promise<ReconcileUndo> => ({ kind: 'reconcile', endpoint: { host: ctx.endpoint().host, source: ctx.endpoint().source, local: ctx.endpoint().local }, stateFile: ctx.paths.stateFile });
  if (plan.restart) {
    steps.push({
      id: 'arm-restart', describe: 'on rollback: restart dockerd once daemon.json is restored',
      async apply() { return JSON.parse(JSON.stringify({ kind: 'restart', command: [...ctx.globals.restartCommand], endpoint: { ...ctx.endpoint(), tls: undefined }, networks: snap.networks.length })) as RestartUndo; },
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
    steps.push({ id: 'restart-dockerd', describe: `restart dockerd (${ctx.globals.restartCommand.join(' ')}) and wait for it`, async apply(signal) { await host.dockerd.restart(ctx.globals.restartCommand, ctx.endpoint(), snap.networks.length, (s) => ctx.note(s), signal, opts.restartTimeoutMs); } });
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
  const { enabled: _e, proxies: _p, mode: _m, routes: _r, ...keep } = state;
  return keep as ToolState;
}
