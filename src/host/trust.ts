// Whether root may act on a folder or file: owned by root (or by the user running the tool) and not writable
// by group or others, under folders only such an owner can change (OpenSSH's secure-path rule, as for
// authorized_keys). The state folder, its state file, lock and journal, and the lab folders go through here:
// what they hold decides which routes root installs, which files it rewrites and which program it runs.
//
// Synchronous on purpose: a few lstat calls (microseconds each), and the agent's fast path takes its lock
// with synchronous calls (transaction/lock.ts).
import { chmodSync, lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { PreconditionError } from '../errors';
import { readTextIfExists } from './files';

export interface TrustProblem {
  /** The folder, file or link that is not trustworthy (may be an ancestor of the path asked about). */
  path: string;
  uid: number;
  mode: number;
  why: string;
}

/**
 * The folder of the state, lock and journal is made 0755: only root writes in it, and `status` run by a member
 * of the docker group can still read the state; what is private in it (the journal, daemon.json backups)
 * is 0600 file by file.
 */
export const STATE_DIR_MODE = 0o755;

const S_ISVTX = 0o1000;
const MAX_LINKS = 40;

/** Owners whose files root may believe: root, and the user the tool runs as (a non-root run trusts itself, no one else). */
function trustedOwners(): Set<number> {
  return new Set([0, process.geteuid?.() ?? 0]);
}

/** undefined when missing, without throwing (a thrown ENOENT costs more than the lstat itself). */
function lstatOrUndefined(path: string): Stats | undefined {
  return lstatSync(path, { throwIfNoEntry: false });
}

const problem = (path: string, st: Stats, why: string): TrustProblem => ({ path, uid: st.uid, mode: st.mode & 0o7777, why });

/**
 * Why `path` (a folder or file) is not trustworthy, or undefined. Walks from / to the path, following
 * symlinks: every folder on the way must belong to a trusted owner and be writable by group/others only
 * with the sticky bit (a root-owned /tmp is fine); every link must belong to a trusted owner; the path
 * itself must belong to a trusted owner and not be writable by group or others, sticky or not.
 * A path that does not exist yet is judged by what exists of it (the rest is created by us).
 */
export function trustProblem(path: string): TrustProblem | undefined {
  const owners = trustedOwners();
  const root = lstatSync('/');
  if (!owners.has(root.uid) || ((root.mode & 0o022) && !(root.mode & S_ISVTX))) return problem('/', root, 'the root folder is writable by others');
  let todo = resolve(path).split('/').filter(Boolean);
  let cur = '/';
  let links = 0;
  while (todo.length) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') { cur = dirname(cur); continue; }
    const next = join(cur, part);
    const st = lstatOrUndefined(next);
    if (!st) return undefined;
    if (!owners.has(st.uid)) return problem(next, st, `it belongs to uid ${st.uid}, not root`);
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return problem(next, st, 'too many symbolic links');
      const target = readlinkSync(next);
      if (isAbsolute(target)) cur = '/';
      todo = [...target.split('/').filter(Boolean), ...todo];
      continue;
    }
    const last = todo.length === 0;
    if (last && st.mode & 0o022) return problem(next, st, 'it is writable by group or others');
    if (!last && st.mode & 0o022 && !(st.mode & S_ISVTX)) return problem(next, st, 'it is writable by group or others without the sticky bit, so they can replace what is in it');
    cur = next;
  }
  return undefined;
}

/** The error for a problem found while checking `what` (e.g. "the state folder") at `path`. */
export function untrustedError(what: string, path: string, p: TrustProblem): PreconditionError {
  const mode = p.mode.toString(8).padStart(4, '0');
  const of = p.path === resolve(path) ? '' : ` (on the way to ${path})`;
  const fix = p.why.startsWith('too many') ? `fix the links at ${p.path}` : `chown root:root ${p.path} && chmod go-w ${p.path}`;
  return new PreconditionError(
    `refusing to trust ${what} ${path}: ${p.path}${of} is owned by uid ${p.uid} with mode ${mode}; ${p.why}`,
    `${fix} (check nobody else put something there), then run again`,
  );
}

/** Throws a PreconditionError (exit 3) unless `path` is trustworthy (see trustProblem); `what` names it for people. */
export function assertTrusted(path: string, what: string): void {
  const p = trustProblem(path);
  if (p) throw untrustedError(what, path, p);
}

/**
 * Makes `dir` (and missing parents, 0755) with `mode` regardless of umask, then checks it: the folder the
 * tool keeps its files in is ours and trustworthy, or the run stops before writing anything into it.
 */
export function ensureTrustedDir(dir: string, mode: number, what: string): void {
  assertTrusted(dir, what);
  const missing: string[] = [];
  for (let d = resolve(dir); !lstatOrUndefined(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: d === missing[missing.length - 1] ? mode : 0o755 });
    } catch (e) {
      // made meanwhile by someone else: the check below judges it
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      continue;
    }
    chmodSync(d, d === missing[missing.length - 1] ? mode : 0o755);
  }
  assertTrusted(dir, what);
}

/**
 * The parsed JSON of a file only root could have written (undefined when it does not exist); `unreadable`
 * makes the error for text that does not parse. The state and the journal are read this way.
 */
export async function readTrustedJson(path: string, what: string, unreadable: (message: string) => Error): Promise<unknown> {
  assertTrusted(path, what);
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw unreadable((e as Error).message);
  }
}
