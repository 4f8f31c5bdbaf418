// renumber (npt mode): a new outside prefix changes the translation, its unreachable route and the saved state,
// nothing else: no dockerd or container restart, container addresses (the inside prefix) unchanged. The state is
// written first, then one reconcile pass scoped to the translation (reconcile/scoped.ts: the nat table and the
// routes, nothing asked of Docker) applies the difference: the nat table's two chains are rewritten in one
// ip6tables-restore batch or one nft transaction, so the old mapping is in place until the new one is. A failure
// puts the old state back and the pass from it restores the old mapping; a crash leaves the journal that does so.
import type { RunContext } from '../cli/context';
import { UsageError } from '../errors';
import { formatCidr, parseCidr6 } from '../model/ip';
import { judgeOutside } from '../model/npt';
import { renderStateText, type ToolState } from '../model/state';
import { describeChange, hostDeps, reconcileOnce } from '../reconcile/index';
import { routeKey } from '../reconcile/desired';
import { outsideFacts, prefixFacts, uplinkAddress } from '../observe/prefix-facts';
import { batchName } from '../model/firewall-backend';
import { captureFile, runTransaction } from '../transaction/index';
import { isUnreachableRoute, type ReconcileUndo, type RouteUndo } from '../transaction/tool-undo';
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

export async function runRenumber(ctx: RunContext, o: { outsidePrefix: string }): Promise<void> {
  const t0 = performance.now();
  const dry = ctx.globals.dryRun;
  // nothing here asks Docker: its firewall backend (where our chains are) from dockerd's flag and daemon.json
  ctx.firewallFromLocalClues();
  await asHostChange(ctx, 'enable', async (registry) => {
    const state = await ctx.host.state.read();
    if (!state?.enabled || state.mode !== 'npt' || !state.prefix || !state.uplink) {
      throw new UsageError(`renumbering needs npt mode enabled (the state says ${state?.enabled ? `mode ${state.mode}` : 'not enabled'})`, 'docker ipv6 enable --mode npt --prefix auto --outside-prefix P');
    }
    const inside = parseCidr6(state.prefix)!;
    // one netlink read: the outside prefix's checks and the pass's routes both come from it
    const net = await ctx.host.openNet();
    try {
      const read = await net.read({ routes: 6 });
      const sources = { host: { net: read, uplink: state.uplink }, networks: [], daemonConfig: {} };
      const f = prefixFacts(sources);
      const j = judgeOutside(o.outsidePrefix, inside, outsideFacts(f));
      if ('why' in j) throw new UsageError(`--outside-prefix ${o.outsidePrefix} ${j.why}`, j.hint);
      const outside = formatCidr(j.cidr);
      const before = state.outsidePrefix;
      const via = uplinkAddress(sources, inside);
      if (outside === before) {
        if (ctx.globals.json) ctx.outJson({ changed: false, outsidePrefix: outside });
        else ctx.out(`the outside prefix is already ${outside}: nothing to change`);
        return;
      }
      const next: ToolState = { ...state, outsidePrefix: outside };
      const deps = hostDeps(ctx);
      const scoped = { scope: 'translation' as const, net: { ops: net, read } };
      if (dry) {
        const r = await reconcileOnce({ ...deps, readState: async () => next }, { dryRun: true, ...scoped });
        if (ctx.globals.json) { ctx.outJson({ changed: false, dryRun: true, from: before, outsidePrefix: outside, changes: r.changes, batch: r.plan.batch ?? null }); return; }
        ctx.out(`would renumber ${state.prefix} from ${before} to ${outside} (no restart, container addresses unchanged):`);
        for (const c of r.changes) ctx.out(`  ${describeChange(c)}`);
        if (r.plan.batch) ctx.out(`${batchName(ctx.host.firewall.kind)} (one transaction):\n${r.plan.batch.trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}`);
        ctx.out('dry run: nothing was changed');
        return;
      }
      // the state owns both outside routes while they are swapped (the pass then records the new one only), so
      // a crash in between leaves no route nobody owns
      const newRoute = routeKey({ type: 'unreachable', dst: outside });
      const intent: ToolState = { ...next, routes: [...(state.routes ?? []).filter((k) => k !== newRoute), newRoute] };
      const reapply = async (): Promise<ReconcileUndo> => ({ kind: 'reconcile', endpoint: { host: ctx.endpoint().host, source: ctx.endpoint().source, local: ctx.endpoint().local }, stateFile: ctx.paths.stateFile });
      let changes: string[] = [];
      // journaled once (transaction.ts journalOnce): the three records are written together before the first change
      await runTransaction([
        // undone last: a pass from the restored state (the old translation and route)
        { id: 'arm-reconcile', describe: 'on rollback: one pass from the restored state (the old translation)', prepare: reapply, async apply() { /* armed */ } },
        {
          id: 'write-state', describe: `record the outside prefix ${outside} in ${ctx.paths.stateFile}`,
          prepare: () => captureFile(ctx.paths.stateFile, { writes: renderStateText(intent) }),
          async apply() { await ctx.host.state.write(intent); },
        },
        {
          id: 'renumber', describe: `translate ${state.prefix} <-> ${outside} instead of ${before} (one batch), and move the unreachable route`,
          // the new outside prefix's route, unless it was already there: the restored state would not know it
          prepare: async (): Promise<RouteUndo | undefined> => (read.routes.some((r) => isUnreachableRoute(r, outside)) ? undefined : { kind: 'route', type: 'unreachable', dst: outside }),
          async apply() { changes = (await reconcileOnce({ ...deps, readState: async () => intent }, scoped)).changes.map(describeChange); },
        },
      ], { journalPath: ctx.paths.journalFile, registry, command: 'enable', log: (l) => ctx.note(l), journalOnce: true });
      const ms = Math.round(performance.now() - t0);
      if (ctx.globals.json) { ctx.outJson({ changed: true, from: before, outsidePrefix: outside, changes, ms }); return; }
      ctx.out(`renumbered in ${ms} ms: ${state.prefix} now leaves and is reached as ${outside} (was ${before}); no dockerd or container restart, container addresses unchanged`);
      for (const c of changes) ctx.out(`  ${c}`);
      ctx.out(`The upstream router needs this route: ${outside} via ${via ?? `<the address of ${state.uplink}>`}`);
    } finally { net.close(); }
  });
}
