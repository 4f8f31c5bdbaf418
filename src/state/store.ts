// The tool's saved state (prefix, mode, what enable changed) in <root>/var/lib/docker-ipv6/state.json.
import { mkdir } from 'node:fs/promises';
import { readTextIfExists, writeFileAtomic } from '../util/fs';
import { dirname } from 'node:path';
import { ConfigError } from '../errors';
import type { DaemonJsonUndo } from '../daemon/edit';

export type Mode = 'nat' | 'routed' | 'ndp';

export interface ToolState {
  version: 1;
  /** The host's IPv6 prefix: a generated ULA /48, or the prefix the user gave. */
  prefix?: string;
  mode?: Mode;
  uplink?: string;
  /** Present while enabled: what enable changed, so disable can put it back exactly. */
  enabled?: {
    at: string;
    /** restoreKeys() input (src/daemon/edit.ts): the previous value of every key we set */
    daemonJson: { path: string; undo: DaemonJsonUndo; fileExisted: boolean };
    sysctls: Record<string, string>;
    sysctlFileWritten: boolean;
    natByUs: boolean;
    filterByUs: boolean;
  };
  /** Routes and NDP proxy entries we installed (the agent keeps them). */
  routes?: string[];
  proxies?: Array<{ address: string; ifname: string }>;
  /** IPv6 subnets handed out to networks from the prefix. */
  allocations?: Record<string, string>;
}

export function emptyState(): ToolState {
  return { version: 1 };
}

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
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, 0o644);
}
