// A journal read back, checked before recovery acts on it: its own fields, then every record by its kind.
//
// Only content is checked here (what the journal says); who owns the journal file and its folder is
// checked where they are opened. Any problem makes recovery refuse with a ConfigError (exit 5) that
// names the journal and what is wrong, before anything is undone.
import { ConfigError } from '../errors';
import { ENTRY_STATES, type Journal } from './journal';
import { plainText } from './record-check';
import type { UndoRegistry } from './registry';

/** What is wrong with the journal, or undefined when every field and record is one this tool writes. */
export async function journalProblem(j: Journal, registry: UndoRegistry): Promise<string | undefined> {
  if (!plainText(j.command, 64)) return `the command ${JSON.stringify(j.command)}`;
  if (!Number.isInteger(j.pid) || j.pid <= 0) return `the pid ${JSON.stringify(j.pid)}`;
  if (!plainText(j.startedAt, 64)) return 'the start time';
  if (j.processStart !== undefined && j.processStart !== null && !plainText(j.processStart, 64)) return 'the process start time';
  if (j.cause !== undefined && !plainText(j.cause)) return 'the cause';
  for (const [i, e] of j.entries.entries()) {
    const where = `entry ${i + 1}`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return `${where} is not an object`;
    if (!plainText(e.stepId, 256) || !plainText(e.describe)) return `${where} has no plain step id and description`;
    if (!ENTRY_STATES.includes(e.state)) return `${where} (${e.stepId}) has state ${JSON.stringify(e.state)}`;
    if (e.error !== undefined && !plainText(e.error)) return `${where} (${e.stepId}) has an unusable error text`;
    if (e.kept !== undefined && !plainText(e.kept)) return `${where} (${e.stepId}) has an unusable note`;
    const extra = Object.keys(e).filter((k) => !['stepId', 'describe', 'state', 'record', 'error', 'kept'].includes(k));
    if (extra.length) return `${where} (${e.stepId}) has field(s) ${extra.join(', ')}`;
    if (e.record === undefined) continue;
    const p = await registry.check(e.record);
    if (p) return `${where} (${e.stepId}) holds ${p}`;
  }
  return undefined;
}

/** Refuse a journal that holds anything this tool does not write: nothing is undone. */
export async function assertJournalSound(path: string, j: Journal, registry: UndoRegistry): Promise<void> {
  const p = await journalProblem(j, registry);
  if (!p) return;
  throw new ConfigError(
    `the transaction journal ${path} is not one docker-ipv6 wrote for this host: ${p}; nothing was undone or changed`,
    `inspect ${path}; if it came from a run with another --config-file or --root, run docker ipv6 recover with those; otherwise undo what it lists by hand and run docker ipv6 recover --abandon (it undoes nothing)`,
  );
}
