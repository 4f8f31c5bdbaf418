// `docker ipv6 recover [--abandon]`: finish (or drop) the rollback an interrupted enable, disable or doctor --fix left.
//
// recover shows what the journal would undo, then runs the same recovery enable and disable run before
// their own work: with this run's --restart-command and endpoint, never the journaled ones, keeping (and
// listing) what someone else changed since. --abandon undoes nothing: it lists what each change leaves as
// it is, then removes the journal. Both need root and the tool lock; --dry-run only shows, without either.
import type { RunContext } from '../cli/context';
import { withLock } from '../transaction/index';
import { abandonJournal, incompleteRecoveryError, previewJournal, recoverJournal, type AbandonReport, type RecoveryReport } from '../transaction/recover';
import { renderOutcome } from '../transaction/rollback';
import { toolUndoRegistry } from '../transaction/tool-undo';

export interface RecoverOptions {
  /** Remove the journal without undoing anything. */
  abandon?: boolean;
}

export async function runRecover(ctx: RunContext, o: RecoverOptions = {}): Promise<void> {
  ctx.requireLocalDaemon(o.abandon ? 'abandon an interrupted run' : 'recover an interrupted run');
  const path = ctx.paths.journalFile;
  const registry = toolUndoRegistry(ctx, (s) => ctx.note(s));
  const dry = ctx.globals.dryRun;
  if (!dry) ctx.requireRoot(`docker ipv6 recover${o.abandon ? ' --abandon' : ''}`);
  const locked = <T>(fn: () => Promise<T>): Promise<T> => (dry ? fn() : withLock(ctx.paths.lockFile, { command: 'recover', log: (l) => ctx.note(l) }, fn));

  if (o.abandon) {
    const r = await locked(() => abandonJournal(path, registry, { dryRun: dry }));
    showAbandon(ctx, path, r, dry);
    return;
  }
  const preview = await previewJournal(path, registry);
  if (!preview.found || preview.status === 'done' || dry) {
    showPreview(ctx, path, preview, dry);
    if (dry || !preview.found) return;
  } else if (!ctx.globals.json) {
    ctx.note(`the interrupted docker ipv6 ${preview.command} (pid ${preview.pid}, started ${preview.startedAt}) left ${preview.undo.length} change(s) to undo, last first:\n${preview.undo.map((u) => `  - ${u}`).join('\n')}`);
  }
  const report = await locked(() => recoverJournal(path, registry, (l) => ctx.note(l)));
  if (!report.complete) throw incompleteRecoveryError(path, report);
  if (preview.status === 'done' && !ctx.globals.json) ctx.out(`removed ${path}`);
  else showRecovered(ctx, path, report);
}

function showPreview(ctx: RunContext, path: string, p: Awaited<ReturnType<typeof previewJournal>>, dry: boolean): void {
  if (ctx.globals.json) {
    if (!p.found || dry) ctx.outJson({ journal: path, found: p.found, command: p.command, pid: p.pid, startedAt: p.startedAt, wouldUndo: p.undo, dryRun: dry });
    return;
  }
  if (!p.found) { ctx.out(`no interrupted run to recover: there is no journal at ${path}`); return; }
  if (p.status === 'done') {
    ctx.out(`the journal at ${path} belongs to a docker ipv6 ${p.command} that finished: nothing to undo${dry ? '; recover removes it\ndry run: nothing was changed' : ''}`);
    return;
  }
  ctx.out(`the interrupted docker ipv6 ${p.command} (pid ${p.pid}, started ${p.startedAt}) left ${p.undo.length} change(s); recover would undo, last first:`);
  for (const u of p.undo) ctx.out(`  - ${u}`);
  ctx.out('what someone else changed since is kept (and said so); docker ipv6 recover --abandon would leave everything as it is instead');
  ctx.out('dry run: nothing was changed');
}

function showRecovered(ctx: RunContext, path: string, r: RecoveryReport): void {
  if (ctx.globals.json) {
    ctx.outJson({ journal: path, found: r.found, command: r.command, pid: r.pid, restored: r.restored, kept: r.kept, failed: r.failed, complete: r.complete });
    return;
  }
  ctx.out(`recovered the interrupted docker ipv6 ${r.command} (pid ${r.pid}); the journal ${path} is removed`);
  if (r.restored.length || r.kept.length) ctx.out(renderOutcome(r));
}

function showAbandon(ctx: RunContext, path: string, r: AbandonReport, dry: boolean): void {
  if (ctx.globals.json) {
    ctx.outJson({ journal: path, found: r.found, command: r.command, pid: r.pid, left: r.left, removed: r.removed, dryRun: dry });
    return;
  }
  if (!r.found) { ctx.out(`nothing to abandon: there is no journal at ${path}`); return; }
  const who = r.command ? `the interrupted docker ipv6 ${r.command} (pid ${r.pid})` : 'the interrupted run';
  ctx.out(`${dry ? 'would abandon' : 'abandoned'} ${who} without undoing anything; left as it is:`);
  for (const l of r.left) ctx.out(`  - ${l}`);
  if (!r.left.length) ctx.out('  (nothing: it had changed nothing that is not already undone)');
  ctx.out(dry ? `dry run: nothing was changed; ${path} stays` : `removed ${path}; check the host with docker ipv6 doctor`);
}
