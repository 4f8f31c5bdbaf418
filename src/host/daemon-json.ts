// The daemon.json file adapter: read with an identity, atomic write that refuses if someone changed it, backup.
// Writes go through the tool's one atomic replace (files.ts), which re-checks the target here between
// fsync and rename (its beforeRename hook).
import { createHash } from 'node:crypto';
import { constants as C, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { parseDaemonJson, type ParsedDaemonJson } from '../daemon/parse';
import { replaceFile, syncDir } from './files';

export interface FileIdentity {
  exists: boolean;
  dev?: number;
  ino?: number;
  /** mtime in nanoseconds, as a decimal string (JSON-safe). */
  mtimeNs?: string;
  size?: number;
  /** sha256 of the content; '' when the file does not exist. */
  sha256: string;
}

export interface DaemonConfigRead extends ParsedDaemonJson {
  /** The file actually read (symlinks resolved). */
  target: string;
  identity: FileIdentity;
  /** The file did not exist: it reads as an empty config, and a restore deletes it again. */
  missing: boolean;
}

export interface StoreOptions {
  dockerVersion?: string;
  /** Test seam: runs after the temp file is written and synced, right before the last check and rename. */
  beforeCommit?: () => void | Promise<void>;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function ioError(e: unknown, what: string, file: string): ConfigError {
  const err = e as NodeJS.ErrnoException;
  const hints: Record<string, string> = {
    EROFS: `${path.dirname(file)} is on a read-only filesystem; remount it read-write (mount -o remount,rw ...) and run again`,
    ENOSPC: `the filesystem holding ${file} is full; free some space (df -h ${path.dirname(file)}) and run again`,
    EDQUOT: `the disk quota for ${file} is exhausted; free some space and run again`,
    EACCES: 'run as root (sudo docker ipv6 ...)',
    EPERM: `check for an immutable attribute (lsattr ${file}) or run as root`,
    EISDIR: `${file} is a directory; point --config-file at daemon.json`,
    ELOOP: `${file} is a symlink loop; fix the link`,
  };
  return new ConfigError(`cannot ${what} ${file}: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' ').trim(), hints[err.code ?? ''] ?? 'check the file and its directory, then run again', { cause: e });
}

/** Reads daemon.json, writes it atomically, and refuses to overwrite changes made by someone else. */
export class DaemonConfigStore {
  constructor(readonly path: string, readonly opts: StoreOptions = {}) {}

  /** The file a write really changes: the final target of a chain of symlinks (which may not exist yet). */
  async resolveTarget(): Promise<string> {
    let p = path.resolve(this.path);
    for (let hops = 0; hops < 40; hops++) {
      let st;
      try { st = await fsp.lstat(p); } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return p;
        throw ioError(e, 'inspect', p);
      }
      if (!st.isSymbolicLink()) return p;
      p = path.resolve(path.dirname(p), await fsp.readlink(p));
    }
    throw ioError(Object.assign(new Error('too many symbolic links'), { code: 'ELOOP' }), 'resolve', this.path);
  }

  private async snapshot(target: string): Promise<{ bytes: Buffer | null; identity: FileIdentity }> {
    let fh;
    try { fh = await fsp.open(target, C.O_RDONLY); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { bytes: null, identity: { exists: false, sha256: '' } };
      throw ioError(e, 'read', target);
    }
    try {
      const st = await fh.stat({ bigint: true });
      if (st.isDirectory()) throw ioError(Object.assign(new Error('is a directory'), { code: 'EISDIR' }), 'read', target);
      const bytes = await fh.readFile();
      return { bytes, identity: { exists: true, dev: Number(st.dev), ino: Number(st.ino), mtimeNs: st.mtimeNs.toString(), size: bytes.length, sha256: sha256(bytes) } };
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw ioError(e, 'read', target);
    } finally { await fh.close(); }
  }

  /** Reads the raw text (UTF-8 checked) without parsing it. */
  async readRaw(): Promise<{ text: string; identity: FileIdentity; target: string; missing: boolean }> {
    const target = await this.resolveTarget();
    const { bytes, identity } = await this.snapshot(target);
    if (!bytes) return { text: '', identity, target, missing: true };
    if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
      throw new ConfigError(`${this.path} is UTF-16 encoded; docker ipv6 edits UTF-8 only`, `convert it: iconv -f UTF-16 -t UTF-8 ${this.path} > /tmp/daemon.json && mv /tmp/daemon.json ${this.path}`);
    }
    let text: string;
    try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch {
      const at = firstInvalidUtf8(bytes);
      throw new ConfigError(`${this.path}: failed to decode configuration JSON at offset ${at} (not valid UTF-8)`, 'save the file as UTF-8');
    }
    return { text, identity, target, missing: false };
  }

  /** Reads and parses strictly; a missing file is an empty config. Throws ConfigError on a malformed file. */
  async read(): Promise<DaemonConfigRead> {
    const raw = await this.readRaw();
    if (raw.missing) {
      const parsed = parseDaemonJson('', this.path);
      return { ...parsed, warnings: [], target: raw.target, identity: raw.identity, missing: true };
    }
    const parsed = parseDaemonJson(raw.text, this.path, { dockerVersion: this.opts.dockerVersion });
    return { ...parsed, target: raw.target, identity: raw.identity, missing: false };
  }

  private async assertUnchanged(target: string, expected: FileIdentity): Promise<void> {
    const { identity } = await this.snapshot(target);
    if (identity.exists !== expected.exists || identity.sha256 !== expected.sha256) {
      const how = !identity.exists ? 'was deleted' : !expected.exists ? 'was created' : 'was changed';
      throw new ConfigError(`${this.path} ${how} by someone else since it was read; nothing was written`, 'look at the file, then run the command again');
    }
  }

  /**
   * Replaces the file with `text` atomically (temp file in the same directory, fsync, rename), keeping
   * mode and owner and the symlink (its target is written). Refuses when the file differs from `expected`.
   * On failure the original is intact and no temp file is left.
   */
  async write(text: string, expected: FileIdentity): Promise<FileIdentity> {
    const target = await this.resolveTarget();
    await this.assertUnchanged(target, expected);
    const dir = path.dirname(target);
    let mode = 0o644;
    let owner: { uid: number; gid: number } | undefined;
    if (expected.exists) {
      const st = await fsp.stat(target).catch((e) => { throw ioError(e, 'inspect', target); });
      mode = st.mode & 0o7777;
      owner = { uid: st.uid, gid: st.gid };
    } else {
      await ensureDir(dir);
    }
    try {
      await replaceFile(target, Buffer.from(text, 'utf8'), {
        mode,
        // a new file is ours; an existing one keeps its owner
        owner: owner ?? { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 },
        beforeRename: async () => {
          await this.opts.beforeCommit?.();
          await this.assertUnchanged(target, expected);
        },
      });
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw ioError(e, 'write', target);
    }
    return (await this.snapshot(target)).identity;
  }

  /** Deletes the file (to restore "there was no daemon.json"), refusing if it differs from `expected`. */
  async remove(expected: FileIdentity): Promise<void> {
    const target = await this.resolveTarget();
    await this.assertUnchanged(target, expected);
    if (!expected.exists) return;
    await fsp.unlink(target).catch((e) => { throw ioError(e, 'remove', target); });
    await syncDir(path.dirname(target));
  }

  /** Copies the current file into `dir` (created 0700) as `name`; null path when there is no file. */
  async backup(dir: string, name = `daemon.json.${new Date().toISOString().replace(/[:.]/g, '-')}.bak`): Promise<{ path: string | null; identity: FileIdentity }> {
    const target = await this.resolveTarget();
    const { bytes, identity } = await this.snapshot(target);
    if (!bytes) return { path: null, identity };
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 }).catch((e) => { throw ioError(e, 'create', dir); });
    const dest = path.join(dir, name);
    try {
      await replaceFile(dest, bytes, { mode: 0o600, owner: { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 } });
    } catch (e) {
      throw ioError(e, 'back up to', dest);
    }
    return { path: dest, identity };
  }
}

/** Creates a missing directory chain with mode 0755 (e.g. /etc/docker), regardless of umask. */
async function ensureDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    try { await fsp.stat(d); break; } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, 'inspect', d);
      missing.unshift(d);
      if (path.dirname(d) === d) break;
    }
  }
  for (const d of missing) {
    await fsp.mkdir(d, { mode: 0o755 }).catch((e) => { if (e.code !== 'EEXIST') throw ioError(e, 'create', d); });
    await fsp.chmod(d, 0o755).catch((e) => { throw ioError(e, 'chmod', d); });
  }
}

function firstInvalidUtf8(b: Buffer): number {
  for (let i = 0; i < b.length; i++) {
    try { new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, i + 1), { stream: true }); } catch { return i; }
  }
  return b.length;
}
