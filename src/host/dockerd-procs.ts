// Finds the running dockerd processes and their argv in /proc (the process table adapter).
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { DockerdProcess } from '../daemon/keys';

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
