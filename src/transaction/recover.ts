// Finish the rollback of a transaction whose process died (kill -9, power loss) from its journal alone.
//
// Call it while holding the lock, before observing the host: the snapshot must see the host as it
// was before the interrupted run. Entries already marked 'undone' are skipped, so running it again
// (or after a recovery that was itself killed) never repeats a finished undo; only the one that
// was in flight may run twice, which is why undo handlers are idempotent.
// If every undo succeeds the journal is removed; otherwise it stays and `complete` is false: the
// caller should stop and show `failed` (each with commands to fix by hand). A journal that holds
// anything this tool does not write is refused before any undo (journal-check.ts). What someone else
// changed after the interrupted run is kept and listed (`kept`). abandonJournal is the way out that
// undoes nothing: it says what each entry leaves as it is, then removes the journal.
import { ConfigError, PreconditionError, RolledBackError, isToolError } from '../errors';
import { processStartTime } from './lock';
import { readJournal, removeJournal, type Journal, type JournalEntry } from './journal';
import { assertJournalSound, journalProblem } from './journal-check';
import type { UndoRegistry } from './registry';
import { errorText, renderOutcome, rollbackEntries, type RollbackOutcome, type Unrestored } from './rollback';

export interface RecoveryReport {
  /** A journal was there (including a finished one that was only removed). */
  found: boolean;
  /** What the dead process was running, e.g. 'enable'. */
  command?: string;
  pid?: number;
  restored: string[];
  /** Changes someone else made after the interrupted run's, left in place (one line each). */
  kept: string[];
  failed: Unrestored[];
  /** True when nothing is left to undo (and the journal is gone). */
  complete: boolean;
}

export async function recoverJournal(path: string, registry: UndoRegistry, log: (line: string) => void = () => {}): Promise<RecoveryReport> {
  const journal = await readJournal(path);
  if (!journal) return { found: false, restored: [], kept: [], failed: [], complete: true };
  const base = { found: true, command: journal.command, pid: journal.pid };
  if (journal.status === 'done') {
    await removeJournal(path);
    return { ...base, restored: [], kept: [], failed: [], complete: true };
  }
  refuseLiveOwner(journal);
  await assertJournalSound(path, journal, registry);
  log(`an earlier docker ipv6 ${journal.command} (pid ${journal.pid}, started ${journal.startedAt}) did not finish; rolling back its changes first`);
  const outcome: RollbackOutcome = await rollbackEntries(journal, path, {
    registry,
    log,
    onUndo: (entry, phase) => {
      if (phase === 'undone') log(`  ${registry.describe(entry.record!, entry.describe)}`);
      if (phase === 'kept') log(`  ${entry.kept}`);
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

function refuseLiveOwner(journal: Journal): void {
  if (journal.pid !== process.pid && journal.processStart && processStartTime(journal.pid) === journal.processStart) {
    throw new PreconditionError(
      `docker ipv6 ${journal.command} (pid ${journal.pid}) is still running its transaction`,
      'wait for it to finish; recovery is for runs that died (take the lock before recovering)',
    );
  }
}

/** An error for a recovery that left something undone: the command should not go on. */
export function incompleteRecoveryError(path: string, report: RecoveryReport): RolledBackError {
  return new RolledBackError(
    `an earlier docker ipv6 ${report.command ?? 'run'} (pid ${report.pid ?? '?'}) did not finish and its rollback is incomplete\n${renderOutcome(report)}`,
    `fix the items above by hand, then run docker ipv6 recover --abandon (or docker ipv6 recover to retry the undo)`,
  );
}

/** The way forward from an unfinished journal, for every refusal that names one. */
export const RECOVER_HINT = 'run docker ipv6 recover: it shows what the interrupted run changed and rolls it back (enable and disable also do this first); '
  + 'or docker ipv6 recover --abandon to keep the host as it is and drop the journal';

/** Why a command refuses to run while another command's rollback is unfinished. */
export function unfinishedJournalError(path: string, j: Pick<Journal, 'command' | 'pid' | 'startedAt'>, refused: string): PreconditionError {
  return new PreconditionError(
    `an interrupted docker ipv6 ${j.command} (pid ${j.pid}, started ${j.startedAt}) left a rollback unfinished (journal ${path}): ${refused} until it is finished`,
    RECOVER_HINT,
  );
}

/** The entries a recovery would undo (or an abandon leave), last first, as the rollback walks them. */
function pending(j: Journal): JournalEntry[] {
  return j.status === 'done' ? [] : [...j.entries].reverse().filter((e) => e.state !== 'undone' && e.state !== 'kept');
}

export interface JournalPreview {
  found: boolean;
  command?: string;
  pid?: number;
  startedAt?: string;
  /** 'done': nothing is left to undo (the journal is only removed). */
  status?: Journal['status'];
  /** What the rollback undoes, last change first (the steps' own descriptions). */
  undo: string[];
}

/** What recovery would do, changing nothing; a journal holding what this tool never writes is refused. */
export async function previewJournal(path: string, registry: UndoRegistry): Promise<JournalPreview> {
  const j = await readJournal(path);
  if (!j) return { found: false, undo: [] };
  if (j.status !== 'done') await assertJournalSound(path, j, registry);
  return { found: true, command: j.command, pid: j.pid, startedAt: j.startedAt, status: j.status, undo: pending(j).filter((e) => e.record).map((e) => e.describe) };
}

export interface AbandonReport {
  found: boolean;
  command?: string;
  pid?: number;
  /** One line per change left as it is. */
  left: string[];
  /** The journal was removed (false in a dry run). */
  removed: boolean;
}

/**
 * Drop an unfinished journal without undoing anything: say what each change keeps (file X keeps its
 * content, sysctl Y keeps value Z, ...), then remove it. Call it holding the lock. A journal that cannot
 * be read, or holds records this tool does not write, is abandoned too: nothing in it is acted on.
 */
export async function abandonJournal(path: string, registry: UndoRegistry, opts: { dryRun?: boolean } = {}): Promise<AbandonReport> {
  let j: Journal | undefined;
  try {
    j = await readJournal(path);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (!opts.dryRun) await removeJournal(path);
    return { found: true, left: [`everything it recorded: ${e.message.replace(/, so .*$/, '')}`], removed: !opts.dryRun };
  }
  if (!j) return { found: false, left: [], removed: false };
  refuseLiveOwner(j);
  const left: string[] = [];
  const sound = j.status === 'done' || !(await journalProblem(j, registry));
  for (const e of pending(j)) {
    const what = plain(e.describe);
    if (!e.record) left.push(`${what}: ${e.state === 'applying' ? 'it may have started; whatever it did' : 'it'} stays as it is`);
    else if (!sound && (await registry.check(e.record))) left.push(`${what}: stays as it is (its record is not one docker-ipv6 writes)`);
    else left.push(await registry.leave(e.record, what).catch((x: unknown) => `${what}: stays as it is (${isToolError(x) || x instanceof Error ? x.message : String(x)})`));
  }
  if (!opts.dryRun) await removeJournal(path);
  return { found: true, command: plain(String(j.command)), pid: j.pid, left, removed: !opts.dryRun };
}

/** Journal text shown on a terminal: no control characters get through. */
function plain(s: string): string {
  return String(s).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
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
