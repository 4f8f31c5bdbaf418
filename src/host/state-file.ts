// The state file adapter: <root>/var/lib/docker-ipv6/state.json, read only from a trusted folder and only
// when its content is a state the tool could have written, and written atomically.
import { dirname } from 'node:path';
import { ConfigError } from '../errors';
import { stateProblem } from '../model/state-check';
import { renderStateText, type ToolState } from '../model/state';
import { replaceFile } from './files';
import { assertTrusted, ensureTrustedDir, readTrustedJson, STATE_DIR_MODE } from './trust';

const BAD_STATE_HINT = 'docker ipv6 wrote no such value: restore the file from a backup or correct that field; nothing was changed (without it docker ipv6 cannot undo enable; docker ipv6 recover --rebuild-state writes it again from daemon.json in routed, ndp and nat modes, npt with --outside-prefix P)';

export async function readState(path: string): Promise<ToolState | undefined> {
  const v = await readTrustedJson(path, 'the state file', (m) => new ConfigError(`state file ${path} is unreadable: ${m}`, 'restore it from a backup; in routed, ndp and nat modes (npt with --outside-prefix P) docker ipv6 recover --rebuild-state writes it again from daemon.json (the unreadable file is kept beside it)'));
  if (v === undefined) return undefined;
  const p = stateProblem(v);
  if (p) throw new ConfigError(`state file ${path} is not valid: ${p.field} ${p.why}`, BAD_STATE_HINT);
  return v as ToolState;
}

/** Atomic: temp file in the same (trusted) folder, fsync, rename. */
export async function writeState(path: string, state: ToolState): Promise<void> {
  ensureTrustedDir(dirname(path), STATE_DIR_MODE, 'the state folder');
  assertTrusted(path, 'the state file');
  await replaceFile(path, renderStateText(state), { mode: 0o644 });
}
