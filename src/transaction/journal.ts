// The transaction journal on disk: which steps ran, their undo records and the status, written atomically.
//
// Format (version 1), at ctx.paths.journalFile:
//   { version: 1, command, pid, startedAt, status: 'running' | 'rolling-back' | 'done',
//     entries: [{ stepId, describe, state, record?, error? }] }
// An entry is added when a step starts (state 'applying'); its record is filled in when prepare()
// or apply() returns one. Rollback and recovery mark entries 'undone' (or 'undo-failed') one at a
// time, so a process killed during a rollback leaves a journal the next run finishes without
// repeating finished undos; an undo that left someone else's change in place marks its entry 'kept'.
// A journal read back is checked before recovery acts on it (journal-check.ts), and only from a folder
// and file no one but root could have written (host/trust.ts). Every write is temp file + fsync + rename + fsync of the folder.
import { open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../host/files';
import { assertTrusted, ensureTrustedDir, readTrustedJson, STATE_DIR_MODE } from '../host/trust';
import { ConfigError } from '../errors';
import type { UndoRecord } from './registry';

export type JournalStatus = 'running' | 'rolling-back' | 'done';
export type EntryState = 'applying' | 'applied' | 'undone' | 'kept' | 'undo-failed';
export const ENTRY_STATES: readonly EntryState[] = ['applying', 'applied', 'undone', 'kept', 'undo-failed'];

export interface JournalEntry {
  stepId: string;
  describe: string;
  state: EntryState;
  record?: UndoRecord;
  /** Why the undo failed (kept so a person reading the journal sees it). */
  error?: string;
  /** What the undo left as it found it (state 'kept'). */
  kept?: string;
}

export interface Journal {
  version: 1;
  command: string;
  pid: number;
  /** The process's start time (see lock.ts), so recovery can tell a live owner from a reused pid. */
  processStart?: string | null;
  startedAt: string;
  status: JournalStatus;
  /** Why the rollback started, once it has. */
  cause?: string;
  entries: JournalEntry[];
}

export async function readJournal(path: string): Promise<Journal | undefined> {
  // what a journal holds is undone as root: only one that nobody else could have written is read
  const j = await readTrustedJson(path, 'the transaction journal', (m) => unreadable(path, m)) as Journal | undefined;
  if (j === undefined) return undefined;
  if (j?.version !== 1) throw unreadable(path, `unknown journal version ${String(j?.version)}`);
  if (!['running', 'rolling-back', 'done'].includes(j.status)) throw unreadable(path, `unknown status ${String(j.status)}`);
  if (!Array.isArray(j.entries)) throw unreadable(path, 'no entries list');
  return j;
}

function unreadable(path: string, why: string): ConfigError {
  return new ConfigError(
    `the transaction journal ${path} is unreadable (${why}), so an interrupted change cannot be undone automatically`,
    `inspect it and undo its entries by hand, then remove ${path}`,
  );
}

/** Atomic replace: a crash leaves either the old or the new journal, never a torn one. */
export async function writeJournal(path: string, journal: Journal): Promise<void> {
  const dir = dirname(path);
  ensureTrustedDir(dir, STATE_DIR_MODE, 'the state folder');
  assertTrusted(path, 'the transaction journal');
  await writeFileAtomic(path, `${JSON.stringify(journal, null, 2)}\n`, 0o600);
  await syncDir(dir);
}

export async function removeJournal(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await syncDir(dirname(path));
}

/** Make the rename or unlink itself durable. Some file systems refuse fsync on a folder: that is fine. */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    /* best effort */
  } finally {
    await fh?.close();
  }
}
