// File helpers: read-if-present, and the one atomic replace every file the tool writes goes through
// (state, journal, undo records, daemon.json, lab records, install manifest and units, lint --fix).
//
// The temp file sits beside the target (rename is atomic only within a filesystem) under a random name,
// created with O_CREAT|O_EXCL|O_NOFOLLOW: whoever can guess or plant a name in the folder (a symlink to
// /etc/shadow, a file they keep open) makes the create fail instead of having root write through it.
import { randomBytes } from 'node:crypto';
import { closeSync, constants as C, fsyncSync, openSync, promises as fsp, renameSync, unlinkSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The file's text, or undefined when it does not exist (other errors are thrown). */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export interface ReplaceOptions {
  /** Mode of the new file; default: the mode of the file it replaces, else 0644. */
  mode?: number;
  /** Owner of the new file; default: the owner of the file it replaces (a new file is ours). */
  owner?: { uid: number; gid: number };
  /** Runs after the temp file is written and synced, right before the rename (daemon.json re-checks its target here). */
  beforeRename?: () => void | Promise<void>;
  /** Test seam: the randomness of the temp name. */
  random?: (bytes: number) => Buffer;
}

/** How many fresh names are tried when a temp name is taken (never, unless someone planted it or the random source repeats). */
const NAME_ATTEMPTS = 3;
const CREATE_FLAGS = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW;

/** The temp names a write of `path` uses: `.NAME.docker-ipv6-<16 hex>.tmp` in the same folder. */
export function tempNameFor(path: string, random: (bytes: number) => Buffer = randomBytes): string {
  return join(dirname(path), `.${basename(path)}.docker-ipv6-${random(8).toString('hex')}.tmp`);
}

/**
 * Replaces `path` atomically: a fresh temp file (see the header), owner and mode set, fsync, rename, fsync
 * of the folder. The file is old or new, never torn; on any failure the temp file is removed and the
 * original is untouched. A symlink at `path` is replaced, not followed: callers that write through a
 * link resolve it first (daemon.json, the file undo, lint --fix).
 */
export async function replaceFile(path: string, data: string | Uint8Array, opts: ReplaceOptions = {}): Promise<void> {
  let { mode, owner } = opts;
  if (mode === undefined || owner === undefined) {
    const st = await fsp.lstat(path).catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return undefined; throw e; });
    if (st?.isFile()) {
      mode ??= st.mode & 0o7777;
      owner ??= { uid: st.uid, gid: st.gid };
    }
  }
  const { fh, tmp } = await createTemp(path, opts.random ?? randomBytes);
  try {
    try {
      await fh.writeFile(data);
      // chown before chmod: chown clears the setuid/setgid bits a mode may carry
      if (owner && (owner.uid !== process.geteuid?.() || owner.gid !== process.getegid?.())) await fh.chown(owner.uid, owner.gid).catch(keepOursUnlessRoot);
      await fh.chmod(mode ?? 0o644);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await opts.beforeRename?.();
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(dirname(path));
}

/** Not root: a file we may write but not give away stays ours (as write-file-atomic did); root's chown failing is an error. */
function keepOursUnlessRoot(e: NodeJS.ErrnoException): void {
  if (process.geteuid?.() === 0 || (e.code !== 'EPERM' && e.code !== 'EINVAL')) throw e;
}

async function createTemp(path: string, random: (bytes: number) => Buffer): Promise<{ fh: FileHandle; tmp: string }> {
  for (let attempt = 1; ; attempt++) {
    const tmp = tempNameFor(path, random);
    try {
      // 0600 until the content and owner are in place
      return { fh: await fsp.open(tmp, CREATE_FLAGS, 0o600), tmp };
    } catch (e) {
      // EEXIST: the name is taken (a planted file or link); ELOOP: O_NOFOLLOW met a link. Never ours to remove.
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'EEXIST' && code !== 'ELOOP') || attempt >= NAME_ATTEMPTS) throw e;
    }
  }
}

/**
 * replaceFile for a caller that must stay synchronous (the native addon is written inside a require, before its
 * dlopen): the same temp names and create flags, fsync, rename, and the temp file removed on failure. The file is
 * ours with `mode`; the folder is synced best effort.
 */
export function replaceFileSync(path: string, data: Uint8Array, mode: number, random: (bytes: number) => Buffer = randomBytes): void {
  let fd: number | undefined;
  let tmp = '';
  for (let attempt = 1; fd === undefined; attempt++) {
    tmp = tempNameFor(path, random);
    try { fd = openSync(tmp, CREATE_FLAGS, mode); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'EEXIST' && code !== 'ELOOP') || attempt >= NAME_ATTEMPTS) throw e;
    }
  }
  try {
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
  try {
    const dir = openSync(dirname(path), C.O_RDONLY | C.O_DIRECTORY);
    try { fsyncSync(dir); } finally { closeSync(dir); }
  } catch { /* best effort, as syncDir */ }
}

/** Writes `text` atomically with `mode`, owned by `owner` (default: us, whoever owned the file replaced). */
export async function writeFileAtomic(path: string, text: string, mode: number, owner?: { uid: number; gid: number }): Promise<void> {
  await replaceFile(path, text, { mode, owner: owner ?? { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 } });
}

/** Makes a rename or unlink in `dir` durable; some filesystems refuse fsync on a folder, which is not an error here. */
export async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await fsp.open(dir, C.O_RDONLY | C.O_DIRECTORY);
    await fh.sync();
  } catch {
    /* best effort */
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
