// Where the native addon carried inside the executable (netlink's .node) is written so the runtime can
// dlopen it: a file named by its sha256 in a folder only root (or, for a non-root run, only that user) can
// write, checked with the same ownership rules as the state folder (trust.ts) and its sha256 checked before
// every load. dlopen needs a real file; a world-writable place (/tmp) would let anyone swap the code root runs.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PreconditionError } from '../errors';
import { replaceFileSync } from './files';
import { assertTrusted, ensureTrustedDir, trustProblem } from './trust';

export const ROOT_ADDON_DIR = '/var/cache/docker-ipv6/addon';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** root: the system cache (0755, files 0644); anyone else: their own cache folder (0700), never a shared one. */
export function addonCacheDir(uid: number, env: NodeJS.ProcessEnv): { dir: string; dirMode: number; fileMode: number } {
  if (uid === 0) return { dir: ROOT_ADDON_DIR, dirMode: 0o755, fileMode: 0o644 };
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : env.HOME ? join(env.HOME, '.cache') : undefined;
  if (!base) throw new PreconditionError('no cache folder for the native addon: HOME is not set', 'set HOME (or XDG_CACHE_HOME) to a folder you own, or run as root');
  return { dir: join(base, 'docker-ipv6', 'addon'), dirMode: 0o700, fileMode: 0o600 };
}

/**
 * trust.ts accepts a sticky world-writable ancestor (/tmp) because root's own state never lives there; the
 * addon cache must not either: a user whose HOME is under /tmp gets an error instead of a cache there.
 */
function assertNotUnderWorldWritable(dir: string): void {
  for (let d = dirname(resolve(dir)); ; d = dirname(d)) {
    const st = lstatSync(d, { throwIfNoEntry: false });
    if (st && st.mode & 0o002) {
      throw new PreconditionError(`refusing to keep the native addon under ${d}: it is writable by everyone`, 'set XDG_CACHE_HOME (or HOME) to a folder only you can write');
    }
    if (d === '/') return;
  }
}

/** `file` when it is a regular, trustworthy file whose sha256 is `want`; undefined otherwise. */
function checkedCopy(file: string, want: string): string | undefined {
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st?.isFile() || trustProblem(file)) return undefined;
  return sha256(readFileSync(file)) === want ? file : undefined;
}

/**
 * The path of a checked copy of `bytes` in the cache: written on first use, and on every use its owner, mode
 * and sha256 are checked (a copy that does not match is replaced). The folder being ours makes the window
 * between this check and the dlopen harmless: only root (or the user) could change the file in it.
 */
export function cachedAddon(bytes: Uint8Array, uid = process.geteuid?.() ?? 0, env: NodeJS.ProcessEnv = process.env, rootDir = ROOT_ADDON_DIR): string {
  // anyone may use root's copy when it is there and checks out: a user without a home (nobody) then needs no cache
  if (uid !== 0) {
    const shared = checkedCopy(join(rootDir, `${sha256(bytes)}.node`), sha256(bytes));
    if (shared) return shared;
  }
  const { dir, dirMode, fileMode } = addonCacheDir(uid, env);
  assertNotUnderWorldWritable(dir);
  try {
    ensureTrustedDir(dir, dirMode, 'the native addon cache folder');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'ENOENT' && code !== 'EROFS') throw e;
    throw new PreconditionError(`cannot make ${dir} for the native addon (${code})`, 'set XDG_CACHE_HOME to a folder you own, or run docker ipv6 doctor once as root (it fills /var/cache/docker-ipv6/addon, which everyone may use)');
  }
  const want = sha256(bytes);
  const file = join(dir, `${want}.node`);
  if (lstatSync(file, { throwIfNoEntry: false })) {
    assertTrusted(file, 'the cached native addon');
    if (checkedCopy(file, want)) return file;
    rmSync(file, { force: true });
  }
  replaceFileSync(file, bytes, fileMode);
  assertTrusted(file, 'the cached native addon');
  if (sha256(readFileSync(file)) !== want) throw new PreconditionError(`${file} does not hold what was written to it`, `remove ${dir} and run again`);
  return file;
}
