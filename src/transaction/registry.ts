// Undo records (plain JSON saying how to put one change back) and the registry that performs them by kind.
//
// A step's apply() returns an UndoRecord; the transaction journals it. Undo is done by the handler
// registered for the record's `kind`, not by a closure, so a later process that finds the journal
// of a killed run can finish the rollback with nothing but the JSON. Rules for handlers:
// - idempotent: recovery may repeat an undo that was in flight when a process died;
// - tolerant of a change that was only partly made (records can be journaled before apply, see
//   Step.prepare);
// - put back only what is still ours: a file or value someone changed after we wrote it is kept, and
//   undo returns {kept} saying so (records carry what we wrote: wroteSha256, value);
// - throw a ToolError (or any Error) when the thing cannot be restored: the rollback goes on with
//   the other records and the failure is reported with `manualFix` commands.

/** A JSON value: what a record may hold (it is written to the journal and read back). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** How to undo one change. `kind` picks the registered handler; the other fields are its data. */
export interface UndoRecord {
  kind: string;
  [field: string]: Json | undefined;
}

/** A file we wrote: put back `previousText` (and mode), or remove the file when it was absent. */
export interface FileUndo extends UndoRecord {
  kind: 'file';
  path: string;
  absent: boolean;
  previousText?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  /** A copy of the previous file, for restoring by hand. */
  backup?: string;
  /**
   * sha256 (hex) of the bytes the step writes; null when the step removes the file. Undo restores only
   * a file that holds these bytes (or the previous ones): anything else is someone else's edit, kept.
   * Absent in records of older journals: those restore unconditionally, as before.
   */
  wroteSha256?: string | null;
}

/** A sysctl we set: write `previous` back (absent when the key did not exist: nothing to do). */
export interface SysctlUndo extends UndoRecord {
  kind: 'sysctl';
  key: string;
  previous: string | null;
  /** The value the step sets: undo writes `previous` back only while the key still holds it. */
  value?: string;
}

/** What an undo did when it left something as it found it (someone else changed it after us). */
export interface UndoResult {
  /** One line for the report, e.g. "kept /etc/docker/daemon.json as it is now: ...". */
  kept: string;
}

export interface UndoHandler<R extends UndoRecord = UndoRecord> {
  /** Put the change back; returns {kept} when it left a change someone else made instead. */
  undo(record: R): Promise<void | UndoResult>;
  /**
   * Whether a record read back from a journal is one this tool writes (fields, paths, keys); returns
   * what is wrong, or undefined. Recovery checks every record before it undoes any.
   */
  check?(record: R): string | undefined | Promise<string | undefined>;
  /** One line for `recover --abandon`: what stays as it is when this record is not undone. */
  leave?(record: R): string | Promise<string>;
  /** One line for the report, e.g. "restored /etc/docker/daemon.json". */
  describe?(record: R): string;
  /** Commands a person can run when undo failed, e.g. ["sysctl -w net.ipv6.conf.all.forwarding=0"]. */
  manualFix?(record: R): string[];
}

export class UndoRegistry {
  private readonly handlers = new Map<string, UndoHandler>();

  /** Register the handler for one kind. A kind is registered once: a second registration is a bug. */
  registerUndo<R extends UndoRecord>(kind: R['kind'], handler: UndoHandler<R> | ((record: R) => Promise<void | UndoResult>)): this {
    if (this.handlers.has(kind)) throw new Error(`undo kind ${kind} is already registered`);
    const h = typeof handler === 'function' ? { undo: handler } : handler;
    this.handlers.set(kind, h as unknown as UndoHandler);
    return this;
  }

  has(kind: string): boolean {
    return this.handlers.has(kind);
  }

  async undo(record: UndoRecord): Promise<void | UndoResult> {
    const h = this.handlers.get(record.kind);
    if (!h) throw new Error(`no undo handler registered for kind ${record.kind}`);
    return h.undo(record);
  }

  /** What is wrong with a record read from a journal (unknown kind, or its handler's check), or undefined. */
  async check(record: unknown): Promise<string | undefined> {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return 'a record that is not an object';
    const kind = (record as UndoRecord).kind;
    if (typeof kind !== 'string') return 'a record without a kind';
    const h = this.handlers.get(kind);
    if (!h) return `a record of unknown kind ${JSON.stringify(kind)}`;
    return (await h.check?.(record as UndoRecord)) ?? undefined;
  }

  /** What stays as it is when the record is abandoned (not undone). */
  async leave(record: UndoRecord, fallback: string): Promise<string> {
    const h = this.handlers.get(record.kind);
    return (await h?.leave?.(record)) ?? `not undone: ${fallback}`;
  }

  describe(record: UndoRecord, fallback: string): string {
    const h = this.handlers.get(record.kind);
    return h?.describe?.(record) ?? `undid: ${fallback}`;
  }

  manualFix(record: UndoRecord): string[] {
    const h = this.handlers.get(record.kind);
    return h?.manualFix?.(record) ?? [];
  }
}

/** Records must survive the journal unchanged: reject what JSON would drop or alter. */
export function checkRecord(record: unknown, stepId: string): UndoRecord {
  if (typeof record !== 'object' || record === null || Array.isArray(record) || typeof (record as UndoRecord).kind !== 'string') {
    throw new Error(`step ${stepId} returned an undo record without a string kind`);
  }
  const text = JSON.stringify(record);
  if (!isDeepEqualJson(JSON.parse(text), record)) {
    throw new Error(`step ${stepId} returned an undo record that is not plain JSON: ${text}`);
  }
  return JSON.parse(text) as UndoRecord;
}

function isDeepEqualJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof b === 'number') return Number.isFinite(b) && a === b;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (!Array.isArray(b) && Object.getPrototypeOf(b) !== Object.prototype) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return kb.every((k) => isDeepEqualJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
