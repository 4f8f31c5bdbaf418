// One enable/disable/apply at a time: an exclusive lock file in the state folder, with stale-lock takeover.
//
//   const lock = await acquireLock(ctx.paths.lockFile, { command: 'enable', log: (l) => ctx.note(l) });
//   try { ... } finally { await lock.release(); }          // or: await withLock(path, opts, fn)
// The lock file holds JSON {pid, startTime, command, at, token}. It is created exclusively and
// never seen half-written: the content goes to a temp file first, which is then link(2)ed to the
// lock path (link fails with EEXIST when the lock exists, like an O_EXCL create). A lock whose pid
// is gone, or whose pid now belongs to a process with another start time (pid reuse; field 22 of
// /proc/<pid>/stat), is stale and taken over with a note. Two processes taking over the same
// stale lock are serialised by a short-lived `<lock>.takeover` file created with O_EXCL.
// release() removes the lock only while it is still ours.
import { randomBytes } from 'node:crypto';
import { link, open, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { PreconditionError } from '../errors';
import { assertTrusted, ensureTrustedDir, STATE_DIR_MODE } from '../host/trust';

export interface LockOwner {
  pid: number;
  /** Process start time in clock ticks since boot (null where /proc is missing). */
  startTime: string | null;
  command: string;
  at: string;
  token: string;
}

export interface LockOptions {
  /** What we are, shown to whoever finds the lock held: 'enable', 'disable', 'apply', 'agent'. */
  command: string;
  /** Wait up to this long for a live holder to finish (default 0: fail at once). */
  waitMs?: number;
  pollMs?: number;
  log?: (line: string) => void;
  /** called synchronously the moment the lock is ours, before acquireLock's promise settles */
  onAcquired?: () => void;
}

export interface Lock {
  readonly path: string;
  readonly owner: LockOwner;
  release(): Promise<void>;
}

/** A takeover guard older than this belongs to a process that died while taking over. */
const TAKEOVER_STALE_MS = 10_000;

/** Start time of a process (field 22 of /proc/<pid>/stat), or undefined when it does not exist. */
export function processStartTime(pid: number | 'self', procRoot = '/proc'): string | undefined {
  try {
    const text = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may itself contain spaces and ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return fields[22 - 3];
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why a holder is stale, or undefined when it is alive. */
export function staleReason(owner: LockOwner): string | undefined {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return 'it names no valid pid';
  if (!pidAlive(owner.pid)) return `pid ${owner.pid} is no longer running`;
  const now = processStartTime(owner.pid);
  if (owner.startTime !== null && now !== undefined && now !== owner.startTime) {
    return `pid ${owner.pid} now belongs to another process (pid reused)`;
  }
  return undefined;
}

async function readOwner(path: string): Promise<LockOwner | 'absent' | 'corrupt'> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as LockOwner;
    return typeof v?.pid === 'number' && typeof v?.token === 'string' ? v : 'corrupt';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : 'corrupt';
  }
}

async function tryCreate(path: string, owner: LockOwner, onAcquired?: () => void): Promise<boolean> {
  const tmp = `${dirname(path)}/.${basename(path)}.${owner.pid}.${owner.token}`;
  await writeFile(tmp, `${JSON.stringify(owner)}\n`, { mode: 0o644, flag: 'wx' }); // O_EXCL: never through a planted name
  try {
    await link(tmp, path);
    onAcquired?.();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/** Remove the lock if it still is the stale one we looked at; serialised with other takers-over (exported for tests). */
export async function takeOver(path: string, seen: LockOwner | 'corrupt', why: string, log: (l: string) => void): Promise<void> {
  const guard = `${path}.takeover`;
  let fh;
  try {
    fh = await open(guard, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const age = await stat(guard).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > TAKEOVER_STALE_MS) await unlink(guard).catch(() => {});
    return; // someone else is taking over; the caller retries
  }
  try {
    const now = await readOwner(path);
    const same = now === 'corrupt' ? seen === 'corrupt' : now !== 'absent' && seen !== 'corrupt' && now.token === seen.token;
    if (!same) return;
    await unlink(path);
    const who = seen === 'corrupt' ? 'an unreadable lock' : `a stale lock of docker ipv6 ${seen.command} (pid ${seen.pid}, since ${seen.at})`;
    log(`note: took over ${who} at ${path}: ${why}`);
  } finally {
    await fh.close();
    await unlink(guard).catch(() => {});
  }
}

export async function acquireLock(path: string, opts: LockOptions): Promise<Lock> {
  const log = opts.log ?? (() => {});
  const owner: LockOwner = {
    pid: process.pid, startTime: processStartTime('self') ?? null, command: opts.command,
    at: new Date().toISOString(), token: randomBytes(8).toString('hex'),
  };
  // whoever may write the lock's folder could hold every run off or hand us a lock: only root's folder will do
  ensureTrustedDir(dirname(path), STATE_DIR_MODE, 'the state folder');
  assertTrusted(path, 'the lock');
  const deadline = Date.now() + (opts.waitMs ?? 0);
  let waitingNoted = false;
  for (;;) {
    if (await tryCreate(path, owner, opts.onAcquired)) return makeLock(path, owner, log);
    const holder = await readOwner(path);
    if (holder === 'absent') continue; // released between our link and our read
    const why = holder === 'corrupt' ? 'its content is unreadable' : staleReason(holder);
    if (why) {
      await takeOver(path, holder, why, log);
      await sleep(5);
      continue;
    }
    const live = holder as LockOwner;
    if (Date.now() >= deadline) {
      throw new PreconditionError(
        `another docker ipv6 ${live.command} is running (pid ${live.pid}, since ${live.at})`,
        `wait for it to finish and run this again; if pid ${live.pid} is not docker ipv6, remove ${path}`,
      );
    }
    if (!waitingNoted) log(`waiting for docker ipv6 ${live.command} (pid ${live.pid}) to finish...`);
    waitingNoted = true;
    await sleep(Math.min(opts.pollMs ?? 100, Math.max(1, deadline - Date.now())));
  }
}

function makeLock(path: string, owner: LockOwner, log: (l: string) => void): Lock {
  let released = false;
  return {
    path,
    owner,
    async release() {
      if (released) return;
      released = true;
      const now = await readOwner(path);
      if (now !== 'absent' && now !== 'corrupt' && now.token === owner.token) await unlink(path);
      else log(`note: ${path} is no longer ours (taken over or removed); left as it is`);
    },
  };
}

let selfStart: string | undefined;

/**
 * withLock(path, { command, waitMs: 0 }, fn) for the agent's fast path: the same file and protocol, the
 * free case taken and released with synchronous calls (microseconds each) instead of five trips through
 * libuv's thread pool, which measured 10-30 ms while the host was busy tearing a container down. A held,
 * stale or unreadable lock, or a missing folder, goes the usual way (error, takeover, mkdir).
 */
export async function withLockNow<T>(path: string, command: string, fn: (lock: Lock) => Promise<T>): Promise<T> {
  selfStart ??= processStartTime('self'); // constant for the process; read again only while /proc did not answer
  const owner: LockOwner = { pid: process.pid, startTime: selfStart ?? null, command, at: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const tmp = `${dirname(path)}/.${basename(path)}.${owner.pid}.${owner.token}`;
  assertTrusted(path, 'the lock'); // a few lstat calls; a missing folder is made (and checked) by withLock below
  let mine = false;
  try {
    writeFileSync(tmp, `${JSON.stringify(owner)}\n`, { mode: 0o644, flag: 'wx' });
    try { linkSync(tmp, path); mine = true; } finally { try { unlinkSync(tmp); } catch { /* gone */ } }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOENT') throw e;
  }
  if (!mine) return withLock(path, { command, waitMs: 0 }, fn);
  let released = false;
  const lock: Lock = {
    path, owner,
    async release() {
      if (released) return;
      released = true;
      let now: LockOwner | undefined;
      try { now = JSON.parse(readFileSync(path, 'utf8')) as LockOwner; } catch { /* removed or unreadable: not ours */ }
      if (now?.token !== owner.token) return; // taken over or removed meanwhile: left as it is, as release() does
      try { unlinkSync(path); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
    },
  };
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}

export async function withLock<T>(path: string, opts: LockOptions, fn: (lock: Lock) => Promise<T>): Promise<T> {
  const lock = await acquireLock(path, opts);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
