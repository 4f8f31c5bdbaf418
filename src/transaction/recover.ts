// Finish the rollback of a transaction whose process died (kill -9, power loss) from its journal alone.
//
// Call it while holding the lock, before observing the host: the snapshot must see the host as it
// was before the interrupted run. Entries already marked 'undone' are skipped, so running it again
// (or after a recovery that was itself killed) never repeats a finished undo; only the one that
// was in flight may run twice, which is why undo handlers are idempotent.
// If every undo succeeds the journal is removed; otherwise it stays and `complete` is false: the
// caller should stop and show `failed` (each with commands to fix by hand).
import { PreconditionError, RolledBackError } from '../errors';
import { processStartTime } from './lock';
import { readJournal, removeJournal, type Journal } from './journal';
import type { UndoRegistry } from './registry';
import { errorText, renderOutcome, rollbackEntries, type RollbackOutcome, type Unrestored } from './rollback';

export interface RecoveryReport {
  /** A journal was there (including a finished one that was only removed). */
  found: boolean;
  /** What the dead process was running, e.g. 'enable'. */
  command?: string;
  pid?: number;
  restored: string[];
  failed: Unrestored[];
  /** True when nothing is left to undo (and the journal is gone). */
  complete: boolean;
}

export async function recoverJournal(path: string, registry: UndoRegistry, log: (line: string) => void = () => {}): Promise<RecoveryReport> {
  const journal = await readJournal(path);
  if (!journal) return { found: false, restored: [], failed: [], complete: true };
  const base = { found: true, command: journal.command, pid: journal.pid };
  if (journal.status === 'done') {
    await removeJournal(path);
    return { ...base, restored: [], failed: [], complete: true };
  }
  if (journal.pid !== process.pid && journal.processStart && processStartTime(journal.pid) === journal.processStart) {
    throw new PreconditionError(
      `docker ipv6 ${journal.command} (pid ${journal.pid}) is still running its transaction`,
      'wait for it to finish; recovery is for runs that died (take the lock before recovering)',
    );
  }
  log(`an earlier docker ipv6 ${journal.command} (pid ${journal.pid}, started ${journal.startedAt}) did not finish; rolling back its changes first`);
  const outcome: RollbackOutcome = await rollbackEntries(journal, path, {
    registry,
    log,
    onUndo: (entry, phase) => {
      if (phase === 'undone') log(`  ${registry.describe(entry.record!, entry.describe)}`);
      if (phase === 'undo-failed') log(`  could not undo ${entry.describe}: ${entry.error}`);
    },
  });
  const complete = outcome.failed.length === 0;
  if (complete) {
    try {
      await removeJournal(path);
    } catch (e) {
      log(`warning: cannot remove ${path}: ${errorText(e)}`);
    }
  }
  return { ...base, ...outcome, complete };
}

/** An error for a recovery that left something undone: the command should not go on. */
export function incompleteRecoveryError(path: string, report: RecoveryReport): RolledBackError {
  return new RolledBackError(
    `an earlier docker ipv6 ${report.command ?? 'run'} (pid ${report.pid ?? '?'}) did not finish and its rollback is incomplete\n${renderOutcome(report)}`,
    `fix the items above by hand, then remove ${path} (or run again to retry the undo)`,
  );
}

/** Why a command refuses to run while another command's rollback is unfinished. */
export function unfinishedJournalError(path: string, j: Pick<Journal, 'command' | 'pid' | 'startedAt'>, refused: string): PreconditionError {
  return new PreconditionError(
    `an interrupted docker ipv6 ${j.command} (pid ${j.pid}, started ${j.startedAt}) left a rollback unfinished (journal ${path}): ${refused} until it is finished`,
    'run docker ipv6 enable or docker ipv6 disable: either finishes that rollback first (restoring daemon.json and restarting dockerd as needed), then does its own work',
  );
}

/**
 * For commands that must not finish another command's rollback themselves; call it holding the lock.
 * The agent and apply run under systemd units with ProtectSystem=strict (restoring daemon.json fails
 * with EROFS there) and PartOf=docker.service (`systemctl restart docker` from inside would wait for a
 * job that stops the caller); network create and upgrade would allocate against a half-undone host.
 * They refuse instead of reconciling on top of it: a pass could put back what the interrupted disable
 * had removed, or add rules for a daemon.json dockerd does not run yet, and the rollback would then
 * meet changes its journal does not know. A journal marked 'done' has nothing left to undo: it is
 * removed (unless dryRun, which never changes anything) and the command goes on.
 */
export async function refuseUnfinishedJournal(path: string, refused: string, opts: { dryRun?: boolean } = {}): Promise<void> {
  const j = await readJournal(path);
  if (!j) return;
  if (j.status === 'done') {
    if (!opts.dryRun) await removeJournal(path);
    return;
  }
  throw unfinishedJournalError(path, j, refused);
}
