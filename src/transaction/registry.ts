// Undo records (plain JSON saying how to put one change back) and the registry that performs them by kind.
//
// A step's apply() returns an UndoRecord; the transaction journals it. Undo is done by the handler
// registered for the record's `kind`, not by a closure, so a later process that finds the journal
// of a killed run can finish the rollback with nothing but the JSON. Rules for handlers:
// - idempotent: recovery may repeat an undo that was in flight when a process died;
// - tolerant of a change that was only partly made (records can be journaled before apply, see
//   Step.prepare);
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
}

/** A sysctl we set: write `previous` back (absent when the key did not exist: nothing to do). */
export interface SysctlUndo extends UndoRecord {
  kind: 'sysctl';
  key: string;
  previous: string | null;
}

export interface UndoHandler<R extends UndoRecord = UndoRecord> {
  /** Put the change back. */
  undo(record: R): Promise<void>;
  /** One line for the report, e.g. "restored /etc/docker/daemon.json". */
  describe?(record: R): string;
  /** Commands a person can run when undo failed, e.g. ["sysctl -w net.ipv6.conf.all.forwarding=0"]. */
  manualFix?(record: R): string[];
}

export class UndoRegistry {
  private readonly handlers = new Map<string, UndoHandler>();

  /** Register the handler for one kind. A kind is registered once: a second registration is a bug. */
  registerUndo<R extends UndoRecord>(kind: R['kind'], handler: UndoHandler<R> | ((record: R) => Promise<void>)): this {
    if (this.handlers.has(kind)) throw new Error(`undo kind ${kind} is already registered`);
    const h = typeof handler === 'function' ? { undo: handler } : handler;
    this.handlers.set(kind, h as unknown as UndoHandler);
    return this;
  }

  has(kind: string): boolean {
    return this.handlers.has(kind);
  }

  async undo(record: UndoRecord): Promise<void> {
    const h = this.handlers.get(record.kind);
    if (!h) throw new Error(`no undo handler registered for kind ${record.kind}`);
    await h.undo(record);
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
