// disable: reverses exactly what enable changed, from the saved state, through the same transaction engine.
import { captureFile, captureSysctl, runTransaction, type Step } from '../transaction/index';
import type { RunContext } from '../cli/context';
import { restoreKeys } from '../daemon/edit';
import { ConfigError } from '../errors';
import { renderRemoveBatch } from '../firewall/batches';
import { dockerMasquerades, type ParsedRuleset } from '../model/ip6tables-save';
import { contains, parseCidr6 } from '../model/ip';
import { unifiedDiff } from '../util/diff';
import { observeHost, type HostSnapshot } from '../observe/snapshot';
import { renderStateText, type ToolState } from '../model/state';
import { ourRulesPlace } from '../model/firewall-backend';
import { HOST_IPV6_OPTION, NAT_SOURCE_LABEL } from '../model/docker';
import { confirm } from '../cli/confirm';
import type { HostAdapters } from '../host/interfaces';
import { parseRouteKey } from '../reconcile/desired';
import { ownedProxies } from '../reconcile/diff';
import { isUnreachableRoute, type FirewallUndo, type ProxyUndo, type ReconcileUndo, type RestartUndo } from '../transaction/tool-undo';
import type { UndoRegistry } from '../transaction/index';
import { asHostChange } from './host-change';

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

export async function runDisable(ctx: RunContext, o: { restartTimeoutMs?: number } = {}): Promise<void> {
  const dry = ctx.globals.dryRun;
  await asHostChange(ctx, 'disable', async (registry) => {
    const snap = await observeHost(ctx);
    const plan = planDisable(snap, await ctx.host.files.exists(ctx.paths.sysctlConf));
    if (!plan) {
      if (ctx.globals.json) ctx.outJson({ changed: false });
      else ctx.out('docker-ipv6 is not enabled on this host: nothing to undo.');
      return;
    }
    const steps = disableSteps(ctx, plan, snap, registry, { restartTimeoutMs: o.restartTimeoutMs });
    const diff = plan.daemonJson.changed ? unifiedDiff(plan.daemonJson.before, plan.daemonJson.after, `${plan.daemonJson.path} (now)`, `${plan.daemonJson.path} (after disable)`) : '';
    const text = `${diff}Steps:\n${steps.map((s, i) => `  ${i + 1}. ${s.describe}`).join('\n')}\n`;
    if (dry) {
      if (ctx.globals.json) ctx.outJson({ plan, steps: steps.map((s) => ({ id: s.id, describe: s.describe })) });
      else ctx.out(`${text}dry run: nothing was changed`);
      return;
    }
    if (!ctx.globals.json && !ctx.globals.yes) ctx.note(text);
    await confirm(ctx, plan.restart ? 'Undo these changes and restart dockerd?' : 'Undo these changes?');
    await runTransaction(steps, { journalPath: ctx.paths.journalFile, registry, command: 'disable', log: (l) => ctx.note(l), onProgress: (_id, phase, d) => { if (phase === 'apply' && !ctx.globals.json) ctx.note(`- ${d}`); } });
    if (ctx.globals.json) ctx.outJson({ changed: true, plan });
    else {
      ctx.out('IPv6 setup by docker-ipv6 undone: the daemon.json keys, sysctls, our firewall chains, routes and proxy entries are back as they were.');
      // Docker's own options stay with the networks network create made (a network's options cannot change)
      const kept = snap.networks.filter((n) => n.labels[NAT_SOURCE_LABEL] && n.options[HOST_IPV6_OPTION]);
      if (kept.length) ctx.out(`These networks keep Docker's own ${HOST_IPV6_OPTION} (their egress still leaves with that address; re-create them to drop it): ${kept.map((n) => `${n.name} (${n.options[HOST_IPV6_OPTION]})`).join(', ')}`);
      const left = await dockerLeftovers(ctx.host, snap.state?.prefix);
      if (left.length) {
        ctx.out('Docker itself left IPv6 rules from when its ip6tables support was on (docker-ipv6 does not edit Docker\'s rules); to remove them:');
        for (const rule of left) ctx.out(`  ip6tables -t nat ${rule.replace(/^-A /, '-D ')}`);
      }
    }
  });
}

/** Docker's own IPv6 masquerade rules for subnets of our prefix, which it does not remove when ip6tables goes off. */
async function dockerLeftovers(host: HostAdapters, prefix: string | undefined): Promise<string[]> {
  const p = prefix ? parseCidr6(prefix) : undefined;
  if (!p) return [];
  // Docker's nftables backend rebuilds its own table at every start (and 29 has ip6tables on by default): only
  // ip6tables keeps rules of a daemon whose ip6tables support went off
  const nat = await host.firewall.read('nat').catch(() => ({} as ParsedRuleset));
  if (host.firewall.kind !== 'ip6tables') return [];
  return (nat.nat?.rules ?? []).filter((line) => {
    const m = dockerMasquerades({ nat: { chains: {}, rules: [line] } });
    return m.length === 1 && contains(p, parseCidr6(m[0].source) ?? p);
  });
}
