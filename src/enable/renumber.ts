// renumber (npt mode): a new outside prefix changes the translation, its unreachable route and the saved state,
// nothing else: no dockerd or container restart, container addresses (the inside prefix) unchanged. The state is
// written first, then one reconcile pass (the agent's) applies the difference: the nat table's two chains are
// rewritten in one ip6tables-restore batch or one nft transaction, so the old mapping is in place until the new
// one is. A failure puts the old state back and the pass from it restores the old mapping.
import type { RunContext } from '../cli/context';
import { UsageError } from '../errors';
import { formatCidr, parseCidr6 } from '../model/ip';
import { judgeOutside } from '../model/npt';
import { renderStateText, type ToolState } from '../model/state';
import { describeChange, hostDeps, reconcileOnce } from '../reconcile/index';
import { batchName } from '../model/firewall-backend';
import { captureFile, runTransaction } from '../transaction/index';
import type { ReconcileUndo } from '../transaction/tool-undo';
import { asHostChange } from '../setup/host-change';

/** Whether `enable --mode npt --outside-prefix P` on this host is a renumbering: npt enabled, the inside prefix kept. */
export async function renumbers(ctx: RunContext, prefix: string | undefined): Promise<boolean> {
  const s = await ctx.host.state.read().catch(() => undefined);
  if (!s?.enabled || s.mode !== 'npt' || !s.prefix) return false;
  if (prefix === undefined || prefix === 'auto') return true;
  const a = parseCidr6(prefix);
  const b = parseCidr6(s.prefix);
  return !!a && !!b && a.start === b.start && a.length === b.length;
}

/** The facts an outside prefix is checked against: the uplink's on-link prefixes, the host's addresses and routers. */
async function outsideFacts(ctx: RunContext, uplink: string) {
  const net = await ctx.host.openNet();
  try {
    // IPv6 routes only: the gateways are all it asks of them (a host with many networks has thousands of IPv4 ones)
    const ns = await net.read({ routes: 6 });
    const global = ns.addresses.filter((a) => a.family === 6 && a.scope === 0);
    return {
      uplinkPrefixes: global.filter((a) => a.ifname === uplink && a.prefixlen < 128).map((a) => { const c = parseCidr6(`${a.address}/${a.prefixlen}`)!; return formatCidr(c); }),
      hostAddresses: global.map((a) => `${a.address}/${a.prefixlen}`),
      gateways: ns.routes.filter((r) => r.family === 6 && r.gateway && !/^fe[89ab]/i.test(r.gateway)).map((r) => r.gateway!),
      /** the next hop the upstream routes the outside prefix to */
      via: global.find((a) => a.ifname === uplink)?.address,
    };
  } finally { net.close(); }
}

export async function runRenumber(ctx: RunContext, o: { outsidePrefix: string }): Promise<void> {
  const t0 = performance.now();
  const dry = ctx.globals.dryRun;
  await asHostChange(ctx, 'enable', async (registry) => {
    const state = await ctx.host.state.read();
    if (!state?.enabled || state.mode !== 'npt' || !state.prefix || !state.uplink) {
      throw new UsageError(`renumbering needs npt mode enabled (the state says ${state?.enabled ? `mode ${state.mode}` : 'not enabled'})`, 'docker ipv6 enable --mode npt --prefix auto --outside-prefix P');
    }
    const facts = await outsideFacts(ctx, state.uplink);
    const j = judgeOutside(o.outsidePrefix, parseCidr6(state.prefix)!, facts);
    if ('why' in j) throw new UsageError(`--outside-prefix ${o.outsidePrefix} ${j.why}`, j.hint);
    const outside = formatCidr(j.cidr);
    const before = state.outsidePrefix;
    if (outside === before) {
      if (ctx.globals.json) ctx.outJson({ changed: false, outsidePrefix: outside });
      else ctx.out(`the outside prefix is already ${outside}: nothing to change`);
      return;
    }
    const next: ToolState = { ...state, outsidePrefix: outside };
    const deps = hostDeps(ctx);
    if (dry) {
      const r = await reconcileOnce({ ...deps, readState: async () => next }, { dryRun: true });
      if (ctx.globals.json) { ctx.outJson({ changed: false, dryRun: true, from: before, outsidePrefix: outside, changes: r.changes, batch: r.plan.batch ?? null }); return; }
      ctx.out(`would renumber ${state.prefix} from ${before} to ${outside} (no restart, container addresses unchanged):`);
      for (const c of r.changes) ctx.out(`  ${describeChange(c)}`);
      if (r.plan.batch) ctx.out(`${batchName(ctx.host.firewall.kind)} (one transaction):\n${r.plan.batch.trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}`);
      ctx.out('dry run: nothing was changed');
      return;
    }
    const reapply = async (): Promise<ReconcileUndo> => ({ kind: 'reconcile', endpoint: { host: ctx.endpoint().host, source: ctx.endpoint().source, local: ctx.endpoint().local }, stateFile: ctx.paths.stateFile });
    let changes: string[] = [];
    await runTransaction([
      // undone last: a pass from the restored state puts the old mapping and route back
      { id: 'arm-reconcile', describe: 'on rollback: one pass from the restored state (the old translation)', prepare: reapply, async apply() { /* armed */ } },
      {
        id: 'write-state', describe: `record the outside prefix ${outside} in ${ctx.paths.stateFile}`,
        prepare: () => captureFile(ctx.paths.stateFile, { writes: renderStateText(next) }),
        async apply() { await ctx.host.state.write(next); },
      },
      {
        id: 'renumber', describe: `translate ${state.prefix} <-> ${outside} instead of ${before} (one batch), and move the unreachable route`,
        async apply() { changes = (await reconcileOnce(deps)).changes.map(describeChange); },
      },
    ], { journalPath: ctx.paths.journalFile, registry, command: 'enable', log: (l) => ctx.note(l) });
    const ms = Math.round(performance.now() - t0);
    if (ctx.globals.json) { ctx.outJson({ changed: true, from: before, outsidePrefix: outside, changes, ms }); return; }
    ctx.out(`renumbered in ${ms} ms: ${state.prefix} now leaves and is reached as ${outside} (was ${before}); no dockerd or container restart, container addresses unchanged`);
    for (const c of changes) ctx.out(`  ${c}`);
    ctx.out(`The upstream router needs this route: ${outside} via ${facts.via ?? `<the address of ${state.uplink}>`}`);
  });
}
