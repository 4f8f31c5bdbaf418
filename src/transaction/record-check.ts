// What a journal read back may hold: the shape of each built-in record kind and the whole journal's fields.
//
// A journal is read by root and drives file writes, sysctl writes and a dockerd restart, so recovery
// treats it as input: every field of every record is checked against what this tool writes before
// any undo runs (journal-check.ts); a check returns what is wrong, in words, or undefined.
import { stat } from 'node:fs/promises';
import type { FileUndo, SysctlUndo, UndoRecord } from './registry';

/** Where the tool's file records may point, and which sysctls its records may name. */
export interface RecordScope {
  /** Whether a file record may name this path (the daemon.json in use, our sysctl.d file, the state file). */
  filePath(path: string): Promise<boolean>;
  /** The folder backups live in (file records' `backup`). */
  stateDir: string;
  /** Whether a sysctl record may name this key. */
  sysctlKey(key: string): boolean;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A string a terminal shows as it is (journal text is printed by recovery and --abandon). */
export function plainText(v: unknown, max = 4096): v is string {
  return typeof v === 'string' && v.length <= max && !CONTROL.test(v);
}

function isUint(v: unknown, max = 2 ** 31): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

/** Fields a record of this kind never has (a restart command in a file record, say). */
export function extraFields(r: UndoRecord, allowed: readonly string[]): string | undefined {
  const extra = Object.keys(r).filter((k) => k !== 'kind' && !allowed.includes(k));
  return extra.length ? `a ${r.kind} record with field(s) ${extra.join(', ')} that docker-ipv6 never writes there` : undefined;
}

export async function checkFileRecord(r: FileUndo, scope?: RecordScope): Promise<string | undefined> {
  const extra = extraFields(r, ['path', 'absent', 'previousText', 'mode', 'uid', 'gid', 'backup', 'wroteSha256']);
  if (extra) return extra;
  if (!plainText(r.path) || !r.path.startsWith('/')) return `a file record without an absolute path: ${JSON.stringify(r.path)}`;
  if (typeof r.absent !== 'boolean') return `the file record for ${r.path} has no absent flag`;
  if (!r.absent && typeof r.previousText !== 'string') return `the file record for ${r.path} has no previous text`;
  if (r.previousText !== undefined && (typeof r.previousText !== 'string' || r.previousText.length > 4 * 1024 * 1024)) return `the file record for ${r.path} has an unusable previous text`;
  // our files are plain rw files: no setuid, setgid or sticky bit is ever put back
  if (r.mode !== undefined && (!isUint(r.mode) || (r.mode & ~0o777) !== 0)) return `the file record for ${r.path} has mode ${String(r.mode)}`;
  if ((r.uid !== undefined && !isUint(r.uid)) || (r.gid !== undefined && !isUint(r.gid))) return `the file record for ${r.path} has an unusable owner`;
  if (r.wroteSha256 !== undefined && r.wroteSha256 !== null && !(typeof r.wroteSha256 === 'string' && /^[0-9a-f]{64}$/.test(r.wroteSha256))) return `the file record for ${r.path} has an unusable wroteSha256`;
  if (!scope) return undefined;
  if (!(await scope.filePath(r.path))) return `a file record for ${r.path}, a file docker-ipv6 does not write (only the daemon.json in use, its sysctl.d file and its state file)`;
  if (r.backup !== undefined && (!plainText(r.backup) || !r.backup.startsWith(`${scope.stateDir}/`) || r.backup.slice(scope.stateDir.length + 1).includes('/'))) {
    return `the file record for ${r.path} names a backup outside ${scope.stateDir}: ${JSON.stringify(r.backup)}`;
  }
  // an undo puts the owner back: only root or the file's present owner, never a new one
  const st = await stat(r.path).catch(() => undefined);
  for (const [what, id, now] of [['owner', r.uid, st?.uid], ['group', r.gid, st?.gid]] as const) {
    if (id !== undefined && id !== 0 && id !== now) return `the file record for ${r.path} would give it to ${what} ${id}`;
  }
  return undefined;
}

export function checkSysctlRecord(r: SysctlUndo, scope?: RecordScope): string | undefined {
  const extra = extraFields(r, ['key', 'previous', 'value']);
  if (extra) return extra;
  if (!plainText(r.key, 128)) return 'a sysctl record without a key';
  const value = (v: unknown) => typeof v === 'string' && /^-?[0-9]{1,10}$/.test(v);
  if (r.previous !== null && !value(r.previous)) return `the sysctl record for ${r.key} has previous value ${JSON.stringify(r.previous)}`;
  if (r.value !== undefined && !value(r.value)) return `the sysctl record for ${r.key} has value ${JSON.stringify(r.value)}`;
  if (scope && !scope.sysctlKey(r.key)) return `a sysctl record for ${r.key}, a key docker-ipv6 never sets`;
  return undefined;
}
