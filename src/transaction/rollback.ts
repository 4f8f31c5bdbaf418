// Undo a journal's entries in reverse, marking each as it goes; shared by a failing transaction and recovery.
import type { Journal, JournalEntry } from './journal';
import { writeJournal } from './journal';
import type { UndoRecord, UndoRegistry, UndoResult } from './registry';

export interface Unrestored {
  /** What could not be put back, e.g. the step's description. */
  what: string;
  error: string;
  /** Commands a person can run to fix it by hand (may be empty). */
  fix: string[];
}

export interface RollbackOutcome {
  restored: string[];
  /** Changes someone else made after ours, left in place (one line each, saying where ours went). */
  kept: string[];
  failed: Unrestored[];
}

export interface RollbackHooks {
  registry: UndoRegistry;
  /** Same-process override: a step's own undo closure, when it has one. */
  undoFor?(entry: JournalEntry): ((record: UndoRecord) => Promise<void | UndoResult>) | undefined;
  onUndo?(entry: JournalEntry, phase: 'undo' | 'undone' | 'kept' | 'undo-failed'): void;
  log(line: string): void;
}

/**
 * Undo every entry that has a record and is not yet undone, last first. An undo that fails is
 * recorded and the rest still run. The journal is rewritten after each entry so a process killed
 * here leaves exactly the remaining work; a journal that cannot be written (disk full) does not
 * stop the rollback, it is noted once.
 */
export async function rollbackEntries(journal: Journal, journalPath: string, hooks: RollbackHooks): Promise<RollbackOutcome> {
  const outcome: RollbackOutcome = { restored: [], kept: [], failed: [] };
  let journalBroken = false;
  const save = async (): Promise<void> => {
    try {
      await writeJournal(journalPath, journal);
    } catch (e) {
      if (!journalBroken) hooks.log(`warning: cannot update the journal ${journalPath} during rollback: ${(e as Error).message}`);
      journalBroken = true;
    }
  };
  journal.status = 'rolling-back';
  await save();
  for (let i = journal.entries.length - 1; i >= 0; i--) {
    const entry = journal.entries[i];
    const record = entry.record;
    if (!record || entry.state === 'undone' || entry.state === 'kept') continue;
    hooks.onUndo?.(entry, 'undo');
    try {
      const own = hooks.undoFor?.(entry);
      const result = own ? await own(record) : await hooks.registry.undo(record);
      delete entry.error;
      if (result && typeof result.kept === 'string') {
        entry.state = 'kept';
        entry.kept = result.kept;
        outcome.kept.push(result.kept);
        hooks.onUndo?.(entry, 'kept');
      } else {
        entry.state = 'undone';
        outcome.restored.push(hooks.registry.describe(record, entry.describe));
        hooks.onUndo?.(entry, 'undone');
      }
    } catch (e) {
      entry.state = 'undo-failed';
      entry.error = errorText(e);
      outcome.failed.push({ what: entry.describe, error: entry.error, fix: hooks.registry.manualFix(record) });
      hooks.onUndo?.(entry, 'undo-failed');
    }
    await save();
  }
  return outcome;
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The body of the report: what was restored, and what was not with the commands to fix it. */
export function renderOutcome(outcome: RollbackOutcome): string {
  const lines: string[] = [];
  if (outcome.restored.length) {
    lines.push('  rolled back:');
    for (const r of outcome.restored) lines.push(`    - ${r}`);
  } else if (!outcome.failed.length && !outcome.kept?.length) {
    lines.push('  nothing had been changed yet');
  }
  if (outcome.kept?.length) {
    lines.push('  kept as someone else left it (not rolled back):');
    for (const k of outcome.kept) lines.push(`    - ${k}`);
  }
  if (outcome.failed.length) {
    lines.push('  could NOT be restored:');
    for (const f of outcome.failed) {
      lines.push(`    - ${f.what}: ${f.error}`);
      for (const c of f.fix) lines.push(`        fix by hand: ${c}`);
    }
  }
  return lines.join('\n');
}
