// Built-in undo kinds: files (daemon.json, our sysctl.d file) and sysctl values, with helpers that capture them.
//
// Capture before changing (Step.prepare), undo by kind (UndoRegistry):
//   prepare: () => captureFile(daemonJsonPath, { backupTo: `${stateDir}/daemon.json.bak`, writes: after })
//   prepare: () => captureSysctl(store, 'net.ipv6.conf.all.forwarding', '1')
//   registry: newUndoRegistry({ sysctl: store }).registerUndo('restart', ...)
// A file record keeps the previous bytes (utf8 text), mode and owner, and the sha256 of the bytes the step
// writes; restoring writes through a symlink to its target (the link stays), atomically. Undo puts a file
// back only while it holds our bytes or the previous ones (a kill between the journal write and the file
// write leaves the previous ones): anything else is someone else's edit after ours, which stays; the
// version the rollback would have written is saved beside it as <file>.docker-ipv6-rollback (a name no
// reader of /etc/docker or /etc/sysctl.d picks up), and undo returns {kept} saying so. Sysctls likewise.
// The tool's other kinds (restart, ip6tables, proxy, route, reconcile) are in tool-undo.ts.
import { createHash } from 'node:crypto';
import { chown, lstat, readFile, realpath, stat, unlink } from 'node:fs/promises';
import type { SysctlStore } from '../host/interfaces';
import { writeFileAtomic } from '../host/files';
import { UndoRegistry, type FileUndo, type SysctlUndo, type UndoResult } from './registry';
import { checkFileRecord, checkSysctlRecord, type RecordScope } from './record-check';

/** Beside a kept file: what the rollback would have written there. */
export const ROLLBACK_SUFFIX = '.docker-ipv6-rollback';

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface CaptureFileOptions {
  /** Also copy the current file here, so a person can restore it with one `cp`. */
  backupTo?: string;
  /** The text the step will write (null: it removes the file); its sha256 goes in the record. */
  writes?: string | null;
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
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'file', path: target, absent: true, ...wrote(opts) };
    throw e;
  }
  const rec: FileUndo = { kind: 'file', path: target, absent: false, previousText: text, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, ...wrote(opts) };
  if (opts.backupTo) {
    await writeFileAtomic(opts.backupTo, text, 0o600);
    rec.backup = opts.backupTo;
  }
  return rec;
}

function wrote(opts: CaptureFileOptions): Pick<FileUndo, 'wroteSha256'> {
  if (opts.writes === undefined) return {};
  return { wroteSha256: opts.writes === null ? null : sha256(Buffer.from(opts.writes, 'utf8')) };
}

export { writeFileAtomic };

async function bytesIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Someone else's edit: the file holds neither the previous bytes nor ours. Records without a hash
 * (journals of older versions) cannot tell, and restore as they always did.
 */
async function foreignEdit(target: string, r: FileUndo): Promise<Buffer | 'absent' | undefined> {
  if (r.wroteSha256 === undefined) return undefined;
  const now = await bytesIfExists(target);
  if (now === undefined) return r.wroteSha256 === null || r.absent ? undefined : 'absent';
  if (!r.absent && now.equals(Buffer.from(r.previousText ?? '', 'utf8'))) return undefined;
  if (r.wroteSha256 !== null && sha256(now) === r.wroteSha256) return undefined;
  return now;
}

async function keep(target: string, r: FileUndo, now: Buffer | 'absent'): Promise<UndoResult> {
  const state = now === 'absent' ? 'removed' : 'changed';
  if (r.absent) return { kept: `kept ${target} as it is now: it was ${state} after docker-ipv6 wrote it (before the interrupted run it did not exist)` };
  const beside = `${target}${ROLLBACK_SUFFIX}`;
  await writeFileAtomic(beside, r.previousText ?? '', 0o600);
  return { kept: `kept ${target} as it is now: it was ${state} after docker-ipv6 wrote it; the version the rollback would have restored is in ${beside}` };
}

async function undoFile(r: FileUndo): Promise<void | UndoResult> {
  let target = r.path;
  const l = await lstat(target).catch(() => undefined);
  if (l?.isSymbolicLink()) target = await realpath(target);
  const foreign = await foreignEdit(target, r);
  if (foreign) return keep(target, r, foreign);
  if (r.absent) {
    try {
      await unlink(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return;
  }
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
  check: (r: FileUndo) => checkFileRecord(r),
  leave: (r: FileUndo) => `${r.path} keeps its current content${typeof r.backup === 'string' ? ` (the version before the interrupted run: ${r.backup})` : ''}`,
  describe: (r: FileUndo) => (r.absent ? `removed ${r.path} (it did not exist before)` : `restored ${r.path}`),
  manualFix: (r: FileUndo): string[] => {
    if (r.absent) return [`rm -f ${r.path}`];
    if (typeof r.backup === 'string') return [`cp ${r.backup} ${r.path}`];
    return [`write back the previousText of the record for ${r.path} in the journal`];
  },
};

/** The record for a sysctl the step is about to set to `value`. */
export async function captureSysctl(store: SysctlStore, key: string, value?: string): Promise<SysctlUndo> {
  return { kind: 'sysctl', key, previous: (await store.read(key)) ?? null, ...(value === undefined ? {} : { value }) };
}

export function sysctlUndo(store: SysctlStore) {
  return {
    async undo(r: SysctlUndo): Promise<void | UndoResult> {
      if (r.previous === null) return; // the key did not exist: nothing of ours to put back
      const now = await store.read(r.key);
      if (now === r.previous) return;
      // someone set it after us: their value stays (records without `value` come from older journals)
      if (r.value !== undefined && now !== r.value) {
        return { kept: `kept sysctl ${r.key} = ${now ?? '(gone)'}: it was changed after docker-ipv6 set ${r.value}; the rollback would have set ${r.previous}` };
      }
      await store.write(r.key, r.previous);
    },
    check: (r: SysctlUndo) => checkSysctlRecord(r),
    async leave(r: SysctlUndo): Promise<string> {
      return `sysctl ${r.key} keeps its value ${(await store.read(r.key).catch(() => undefined)) ?? '(gone)'}${r.previous === null ? '' : ` (it was ${r.previous} before the interrupted run)`}`;
    },
    describe: (r: SysctlUndo) => (r.previous === null ? `left ${r.key} (it did not exist before)` : `restored ${r.key} = ${r.previous}`),
    manualFix: (r: SysctlUndo): string[] => (r.previous === null ? [] : [`sysctl -w ${r.key}=${r.previous}`]),
  };
}

/**
 * A registry with the built-in kinds; add the adapters' kinds with registerUndo. With a scope, records
 * read back from a journal may name only the scope's files and sysctl keys.
 */
export function newUndoRegistry(deps: { sysctl?: SysctlStore; scope?: RecordScope } = {}): UndoRegistry {
  const scope = deps.scope;
  const reg = new UndoRegistry().registerUndo<FileUndo>('file', { ...fileUndo, check: (r) => checkFileRecord(r, scope) });
  if (deps.sysctl) {
    const s = sysctlUndo(deps.sysctl);
    reg.registerUndo<SysctlUndo>('sysctl', { ...s, check: (r) => checkSysctlRecord(r, scope) });
  }
  return reg;
}
