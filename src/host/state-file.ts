// The state file adapter: <root>/var/lib/docker-ipv6/state.json read and written atomically.
import { mkdir } from 'node:fs/promises';
import { readTextIfExists, writeFileAtomic } from './files';
import { dirname } from 'node:path';
import { ConfigError } from '../errors';
import { renderStateText, type ToolState } from '../model/state';

export async function readState(path: string): Promise<ToolState | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text);
    if (v?.version !== 1) throw new Error(`unknown state version ${v?.version}`);
    return v as ToolState;
  } catch (e) {
    throw new ConfigError(`state file ${path} is unreadable: ${(e as Error).message}`, `inspect it, or move it away and run docker ipv6 enable again`);
  }
}

/** Atomic: temp file in the same folder, fsync, rename. */
export async function writeState(path: string, state: ToolState): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await writeFileAtomic(path, renderStateText(state), 0o644);
}
