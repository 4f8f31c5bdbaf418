// Finds the running dockerd processes and their argv in /proc (the process table adapter).
import { promises as fsp } from 'node:fs';
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { flagValues, type DockerdProcess } from '../daemon/keys';
import type { Endpoint } from '../model/endpoint';

/** dockerd's argv from /proc/<pid>/cmdline. */
export async function readDockerdArgv(pid: number, procRoot = '/proc'): Promise<string[]> {
  const raw = await fsp.readFile(path.join(procRoot, String(pid), 'cmdline'), 'utf8');
  const parts = raw.split('\0');
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

async function commOf(pid: number, procRoot: string): Promise<string | null> {
  try { return (await fsp.readFile(path.join(procRoot, String(pid), 'comm'), 'utf8')).trim(); } catch { return null; }
}

/** Running dockerd processes: the pid in `pidfile` when it names a live dockerd, else every process named dockerd. */
export async function findDockerdProcesses(opts: { pidfile?: string; procRoot?: string } = {}): Promise<DockerdProcess[]> {
  const procRoot = opts.procRoot ?? '/proc';
  if (opts.pidfile) {
    try {
      const pid = Number((await fsp.readFile(opts.pidfile, 'utf8')).trim());
      if (Number.isInteger(pid) && pid > 0 && (await commOf(pid, procRoot)) === 'dockerd') {
        return [{ pid, argv: await readDockerdArgv(pid, procRoot) }];
      }
    } catch { /* no pidfile: scan */ }
  }
  // every comm read at once: one await per process made this scan the slowest part of a snapshot
  const pids = (await fsp.readdir(procRoot)).filter((n) => /^\d+$/.test(n)).map(Number);
  const comms = await Promise.all(pids.map((pid) => commOf(pid, procRoot)));
  const out: DockerdProcess[] = [];
  for (const [i, pid] of pids.entries()) {
    if (comms[i] !== 'dockerd') continue;
    try { out.push({ pid, argv: await readDockerdArgv(pid, procRoot) }); } catch { /* exited meanwhile */ }
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** The unix sockets a dockerd listens on: its -H/--host flags, else Docker's default; fd:// is the docker.socket unit's. */
export function socketsOf(argv: readonly string[]): string[] {
  const hosts = flagValues(argv, 'host', 'H');
  const all = hosts.length ? hosts : ['unix:///var/run/docker.sock'];
  return all.flatMap((h) => (h.startsWith('unix://') ? [h.slice(7)] : h.startsWith('fd://') ? ['/run/docker.sock'] : []));
}

function real(p: string): string {
  try { return realpathSync(p); } catch { return path.resolve(p); }
}

/**
 * Whether the dockerd serving a unix-socket endpoint runs in this network namespace: a lab's dockerd (in its own
 * namespace) answers on a socket of this machine, and reading our kernel for it would describe the wrong host.
 * undefined when /proc does not tell (no such dockerd seen, or its namespace is not ours to read).
 */
export async function dockerdInOurNetns(ep: Endpoint, procRoot = '/proc'): Promise<boolean | undefined> {
  if (!ep.host.startsWith('unix://')) return undefined;
  const want = real(ep.host.slice(7));
  const serving = (await findDockerdProcesses({ procRoot })).filter((p) => socketsOf(p.argv).some((s) => real(s) === want));
  if (serving.length === 0) return undefined;
  const ns = async (pid: number | 'self') => fsp.readlink(path.join(procRoot, String(pid), 'ns/net')).catch(() => undefined);
  const [ours, ...theirs] = await Promise.all([ns('self'), ...serving.map((p) => ns(p.pid))]);
  if (!ours || theirs.some((t) => !t)) return undefined;
  return theirs.some((t) => t === ours);
}
