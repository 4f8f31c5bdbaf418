// Runs a plan's steps as one transaction: journal each change, and on failure, verify failure or Ctrl-C undo them all.
//
// Usage (the caller holds the lock from lock.ts and has already run recoverJournal):
//   const registry = new UndoRegistry().registerUndo('file', fileUndo).registerUndo(...);
//   await runTransaction(steps, { journalPath: ctx.paths.journalFile, registry, log: (l) => ctx.note(l),
//                                 onProgress: (id, phase, describe) => ... });
// - Each Step's apply() makes one change and returns an UndoRecord (plain JSON); the record is
//   journaled before the next step starts. A step that can be killed half-way (a file write, a
//   restart) should also have prepare(): it returns the record *before* anything changes, so even
//   a SIGKILL during apply() leaves a journal that undoes it. Undo handlers must be idempotent.
// - verify() runs right after the step's apply (e.g. "the default route is still there"); if it
//   throws, that step and all before it are undone.
// - Undo runs in reverse order. A change that must be undone *after* later ones (restart dockerd
//   once daemon.json is restored) is expressed by a step placed *before* them whose record says
//   so: e.g. `arm-restart` returning {kind:'restart'} ahead of `write-daemon-json`.
// - Failure -> RolledBackError naming the cause, what was restored and what could not be (with
//   commands to fix by hand). Interrupted -> InterruptedError (exit code 130). If an undo failed,
//   the journal stays (status 'rolling-back') so the next recoverJournal retries what is left.
// - Success -> the journal is removed and the ids of the applied steps are returned.
import { PreconditionError, RolledBackError, isToolError } from '../errors';
import { readJournal, removeJournal, writeJournal, type Journal, type JournalEntry } from './journal';
import { checkRecord, type UndoRecord, type UndoRegistry, type UndoResult } from './registry';
import { errorText, renderOutcome, rollbackEntries } from './rollback';
import { InterruptGuard, InterruptedError } from './signals';
import { processStartTime } from './lock';

export interface Step {
  /** Stable machine name, e.g. 'write-daemon-json'. Unique within a transaction. */
  id: string;
  /** One line for people and for --dry-run, e.g. 'write /etc/docker/daemon.json (ipv6, fixed-cidr-v6)'. */
  describe: string;
  /** Optional write-ahead: the undo record, captured before anything changes. */
  prepare?(): Promise<UndoRecord | void>;
  /** Make the change. The signal fires on Ctrl-C; long waits may stop early by throwing. */
  apply(signal: AbortSignal): Promise<UndoRecord | void>;
  /** Same-process undo (may use live handles). Recovery after a crash uses the registry instead. */
  undo?(record: UndoRecord): Promise<void | UndoResult>;
  /** Check right after apply; a throw rolls back this step and the ones before. */
  verify?(signal: AbortSignal): Promise<void>;
}

export type Phase = 'prepare' | 'apply' | 'verify' | 'applied' | 'undo' | 'undone' | 'kept' | 'undo-failed';

export interface TransactionOptions {
  journalPath: string;
  registry: UndoRegistry;
  onProgress?(stepId: string, phase: Phase, describe: string): void;
  /** Notes for people (stderr): interrupts, rollback progress, journal trouble. */
  log?(line: string): void;
  /** Recorded in the journal, e.g. 'enable'. */
  command?: string;
  /** Use this guard (the caller installs and disposes it); default: one installed for the run. */
  interrupts?: InterruptGuard;
  /**
   * Journal once: every step's prepare() runs first and the journal is written one time, with all their records,
   * before the first change; on success it is removed without further writes. For short transactions on a hot
   * path (renumbering) whose steps all record their undo in prepare() and whose undos are harmless for a change
   * that did not happen yet (idempotent, as every undo must be): a crash anywhere leaves that one journal, and
   * recovery undoes all of it. A record an apply() returns is still journaled, with one more write.
   */
  journalOnce?: boolean;
}

export interface PlanLine {
  id: string;
  describe: string;
}

export interface TransactionResult {
  applied: string[];
}

/** The dry-run view: what would run, in order; runs nothing. */
export function describePlan(steps: readonly Step[]): PlanLine[] {
  return steps.map((s) => ({ id: s.id, describe: s.describe }));
}

export function runTransaction(steps: readonly Step[], opts: TransactionOptions): Promise<TransactionResult> {
  return new Transaction(steps, opts).run();
}

export class Transaction {
  private readonly log: (line: string) => void;
  private readonly byId = new Map<string, Step>();

  constructor(private readonly steps: readonly Step[], private readonly opts: TransactionOptions) {
    this.log = opts.log ?? (() => {});
    for (const s of steps) {
      if (this.byId.has(s.id)) throw new Error(`duplicate step id ${s.id}`);
      this.byId.set(s.id, s);
    }
  }

  describePlan(): PlanLine[] {
    return describePlan(this.steps);
  }

  async run(): Promise<TransactionResult> {
    const { journalPath } = this.opts;
    const existing = await readJournal(journalPath);
    if (existing && existing.status !== 'done') {
      throw new PreconditionError(
        `an unfinished docker ipv6 ${existing.command} (pid ${existing.pid}, started ${existing.startedAt}) left a journal at ${journalPath}`,
        'its rollback must finish first: the command does this itself (recoverJournal) before planning',
      );
    }
    const guard = this.opts.interrupts ?? new InterruptGuard(this.log).install();
    try {
      return await this.runSteps(guard);
    } finally {
      if (!this.opts.interrupts) guard.dispose();
    }
  }

  private newJournal(): Journal {
    return {
      version: 1, command: this.opts.command ?? 'apply', pid: process.pid, processStart: processStartTime('self') ?? null,
      startedAt: new Date().toISOString(), status: 'running', entries: [],
    };
  }

  private async firstWrite(journal: Journal): Promise<void> {
    try {
      await writeJournal(this.opts.journalPath, journal);
    } catch (e) {
      throw new PreconditionError(`cannot write the transaction journal ${this.opts.journalPath}: ${errorText(e)}`,
        'check that the state folder is writable and the disk is not full; nothing was changed');
    }
  }

  /** journalOnce: all records first, one journal write, then the changes; success removes the journal. */
  private async runOnce(guard: InterruptGuard): Promise<TransactionResult> {
    const journal = this.newJournal();
    const applied: string[] = [];
    let failure: { cause: unknown; where: string } | undefined;
    for (const step of this.steps) {
      const entry: JournalEntry = { stepId: step.id, describe: step.describe, state: 'applying' };
      try {
        this.progress(step, 'prepare');
        const rec = await step.prepare?.();
        if (rec) entry.record = this.checked(rec, step);
      } catch (e) {
        // nothing changed yet, and nothing is on disk: no rollback to run
        if (isToolError(e)) throw e;
        throw new PreconditionError(`${step.describe}: ${errorText(e)}`, 'nothing was changed');
      }
      journal.entries.push(entry);
    }
    await this.firstWrite(journal);
    for (const [i, step] of this.steps.entries()) {
      if (guard.interrupted) { journal.entries.length = i; break; }
      failure = await this.applyStep(step, journal.entries[i], journal, guard, false);
      // the steps after a failed one never started: their records would only undo what is not there
      if (failure) { journal.entries.length = i + 1; break; }
      applied.push(step.id);
    }
    if (!failure && !guard.interrupted) {
      try {
        await removeJournal(this.opts.journalPath);
      } catch (e) {
        // it stays: record that the work is done, so no later run undoes it
        journal.status = 'done';
        await writeJournal(this.opts.journalPath, journal).catch(() => undefined);
        this.log(`note: cannot remove ${this.opts.journalPath}: ${errorText(e)}`);
      }
      return { applied };
    }
    return this.rollBack(journal, guard, failure);
  }

  private async runSteps(guard: InterruptGuard): Promise<TransactionResult> {
    if (this.opts.journalOnce) return this.runOnce(guard);
    const journal = this.newJournal();
    const applied: string[] = [];
    let failure: { cause: unknown; where: string } | undefined;
    await this.firstWrite(journal);
    for (const step of this.steps) {
      if (guard.interrupted) break;
      const entry: JournalEntry = { stepId: step.id, describe: step.describe, state: 'applying' };
      journal.entries.push(entry);
      try {
        if (step.prepare) {
          this.progress(step, 'prepare');
          const rec = await step.prepare();
          if (rec) entry.record = this.checked(rec, step);
        }
        await writeJournal(this.opts.journalPath, journal);
      } catch (e) {
        failure = { cause: e, where: step.describe };
        break;
      }
      failure = await this.applyStep(step, entry, journal, guard, true);
      if (failure) break;
      applied.push(step.id);
    }
    if (!failure && !guard.interrupted) {
      try {
        // 'done' first: once it is on disk no later run would undo this work, even if unlink fails
        journal.status = 'done';
        await writeJournal(this.opts.journalPath, journal);
      } catch (e) {
        journal.status = 'running';
        failure = { cause: e, where: 'recording that the transaction finished' };
      }
      if (!failure) {
        await removeJournal(this.opts.journalPath).catch((e) => this.log(`note: cannot remove ${this.opts.journalPath}: ${errorText(e)}`));
        return { applied };
      }
    }
    return this.rollBack(journal, guard, failure);
  }

  /** apply, journal the outcome (always, or only a record apply returned), verify; what failed where, if anything did */
  private async applyStep(step: Step, entry: JournalEntry, journal: Journal, guard: InterruptGuard, journalAlways: boolean): Promise<{ cause: unknown; where: string } | undefined> {
    let where = step.describe;
    try {
      this.progress(step, 'apply');
      const rec = await step.apply(guard.abortSignal);
      if (rec) entry.record = this.checked(rec, step);
      entry.state = 'applied';
      if (rec || journalAlways) await writeJournal(this.opts.journalPath, journal);
      if (step.verify) {
        where = `the check after ${step.describe}`;
        this.progress(step, 'verify');
        await step.verify(guard.abortSignal);
      }
      this.progress(step, 'applied');
      return undefined;
    } catch (e) {
      return { cause: e, where };
    }
  }

  private checked(rec: UndoRecord, step: Step): UndoRecord {
    const r = checkRecord(rec, step.id);
    if (!this.opts.registry.has(r.kind)) throw new Error(`step ${step.id} returned an undo record of kind ${r.kind}, which has no registered undo`);
    return r;
  }

  private progress(step: Step, phase: Phase): void {
    this.opts.onProgress?.(step.id, phase, step.describe);
  }

  private async rollBack(journal: Journal, guard: InterruptGuard, failure?: { cause: unknown; where: string }): Promise<never> {
    guard.enterRollback();
    const sig = guard.signal ?? 'SIGINT';
    let causeText: string;
    if (guard.interrupted) {
      causeText = failure ? `interrupted by ${sig}; ${failure.where} stopped: ${errorText(failure.cause)}` : `interrupted by ${sig}`;
    } else {
      causeText = `${failure?.where ?? 'a step'} failed: ${errorText(failure?.cause)}`;
    }
    journal.cause = causeText;
    this.log(`${causeText}; rolling back`);
    const outcome = await rollbackEntries(journal, this.opts.journalPath, {
      registry: this.opts.registry,
      undoFor: (entry) => {
        const s = this.byId.get(entry.stepId);
        return s?.undo ? (r) => s.undo!(r) : undefined;
      },
      onUndo: (entry, phase) => this.opts.onProgress?.(entry.stepId, phase, entry.describe),
      log: this.log,
    });
    if (!outcome.failed.length) {
      await removeJournal(this.opts.journalPath).catch((e) => this.log(`warning: cannot remove ${this.opts.journalPath}: ${errorText(e)}`));
    }
    const message = `${causeText}\n${renderOutcome(outcome)}`;
    let hint: string | undefined;
    if (outcome.failed.length) {
      hint = `fix the items that could not be restored by hand (commands above); ${this.opts.journalPath} keeps them and the next run retries their undo first`;
    } else if (guard.interrupted) {
      hint = 'everything was put back; run the command again when you want the change';
    } else if (failure && isToolError(failure.cause) && failure.cause.hint) {
      hint = failure.cause.hint;
    }
    if (guard.interrupted) throw new InterruptedError(sig, message, hint);
    throw new RolledBackError(message, hint, { cause: failure?.cause });
  }
}
