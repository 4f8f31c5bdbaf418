// Built-in undo kinds: files (daemon.json, our sysctl.d file) and sysctl values, with helpers that capture them.
//
// Capture before changing (Step.prepare), undo by kind (UndoRegistry):
//   prepare: () => captureFile(daemonJsonPath, { backupTo: `${stateDir}/daemon.json.bak` })
//   prepare: () => captureSysctl(store, 'net.ipv6.conf.all.forwarding')
//   registry: newUndoRegistry({ sysctl: store }).registerUndo('restart', ...)
// A file record keeps the previous bytes (utf8 text), mode and owner; restoring writes through a
// symlink to its target (the link stays), atomically. The tool's other kinds (restart, ip6tables, proxy,
// route, reconcile) are in tool-undo.ts and act through the host adapters.
import { chown, lstat, readFile, realpath, stat, unlink } from 'node:fs/promises';
import type { SysctlStore } from '../host/interfaces';
import { writeFileAtomic } from '../host/files';
import { UndoRegistry, type FileUndo, type SysctlUndo } from './registry';

export interface CaptureFileOptions {
  /** Also copy the current file here, so a person can restore it with one `cp`. */
  backupTo?: string;
}

/** The undo record for a file about to be written (symlinks resolved to their target). */
export async function captureFile(path: string, opts: CaptureFileOptions = {}): Promise<FileUndo> {
  let target = path;
  try {
    target = await realpath(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let text: string;
  let st;
  try {
    st = await stat(target);
    text = await readFile(target, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'file', path: target, absent: true };
    throw e;
  }
  const rec: FileUndo = { kind: 'file', path: target, absent: false, previousText: text, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  if (opts.backupTo) {
    await writeFileAtomic(opts.backupTo, text, 0o600);
    rec.backup = opts.backupTo;
  }
  return rec;
}

export { writeFileAtomic };

async function undoFile(r: FileUndo): Promise<void> {
  if (r.absent) {
    try {
      await unlink(r.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return;
  }
  let target = r.path;
  const l = await lstat(target).catch(() => undefined);
  if (l?.isSymbolicLink()) target = await realpath(target);
  const owner = typeof r.uid === 'number' && typeof r.gid === 'number' ? { uid: r.uid, gid: r.gid } : undefined;
  // the change never landed (a write refused on a read-only or full disk): rewriting the same bytes
  // would only fail the same way and leave a journal behind for nothing
  if (await unchanged(target, r, owner)) return;
  await writeFileAtomic(target, r.previousText ?? '', r.mode ?? 0o644, owner);
  if (owner) await chown(target, owner.uid, owner.gid).catch(() => {});
}

async function unchanged(target: string, r: FileUndo, owner?: { uid: number; gid: number }): Promise<boolean> {
  try {
    const st = await stat(target);
    if ((st.mode & 0o7777) !== (r.mode ?? 0o644)) return false;
    if (owner && (st.uid !== owner.uid || st.gid !== owner.gid)) return false;
    return (await readFile(target, 'utf8')) === (r.previousText ?? '');
  } catch {
    return false;
  }
}

export const fileUndo = {
  undo: undoFile,
  describe: (r: FileUndo) => (r.absent ? `removed ${r.path} (it did not exist before)` : `restored ${r.path}`),
  manualFix: (r: FileUndo): string[] => {
    if (r.absent) return [`rm -f ${r.path}`];
    if (typeof r.backup === 'string') return [`cp ${r.backup} ${r.path}`];
    return [`write back the previousText of the record for ${r.path} in the journal`];
  },
};

export async function captureSysctl(store: SysctlStore, key: string): Promise<SysctlUndo> {
  return { kind: 'sysctl', key, previous: (await store.read(key)) ?? null };
}

export function sysctlUndo(store: SysctlStore) {
  return {
    async undo(r: SysctlUndo): Promise<void> {
      if (r.previous === null) return; // the key did not exist: nothing of ours to put back
      if ((await store.read(r.key)) === r.previous) return;
      await store.write(r.key, r.previous);
    },
    describe: (r: SysctlUndo) => (r.previous === null ? `left ${r.key} (it did not exist before)` : `restored ${r.key} = ${r.previous}`),
    manualFix: (r: SysctlUndo): string[] => (r.previous === null ? [] : [`sysctl -w ${r.key}=${r.previous}`]),
  };
}

/** A registry with the built-in kinds; add the adapters' kinds with registerUndo. */
export function newUndoRegistry(deps: { sysctl?: SysctlStore } = {}): UndoRegistry {
  const reg = new UndoRegistry().registerUndo<FileUndo>('file', fileUndo);
  if (deps.sysctl) reg.registerUndo<SysctlUndo>('sysctl', sysctlUndo(deps.sysctl));
  return reg;
}
