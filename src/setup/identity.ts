// The stable host identity a generated ULA is derived from: machine-id and the uplink's MAC.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RunContext } from '../cli/context';
import { underRoot } from '../cli/globals';
import type { HostSnapshot } from '../observe/snapshot';
import { ulaDraws } from '../model/ula';

export function hostIdentity(root: string, snap: Pick<HostSnapshot, 'host'>): string {
  let machineId = '';
  try { machineId = readFileSync(underRoot(root, '/etc/machine-id'), 'utf8').trim(); } catch { /* none: the hostname stands in */ }
  const mac = snap.host.net?.links.find((l) => l.name === snap.host.uplink)?.mac ?? '';
  return `${machineId || hostname()}/${mac}`;
}

export function hostUlaDraws(ctx: RunContext, snap: Pick<HostSnapshot, 'host'>): Uint8Array[] {
  return ulaDraws(hostIdentity(ctx.globals.root, snap));
}
