// Processes of a lab: found by the network namespaces they live in, stopped with TERM then KILL, bounded.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

/** The namespace inode behind a netns file (/var/run/netns/X or a Docker sandbox mount). */
export function netnsInode(path: string): number | undefined {
  try { return statSync(path).ino; } catch { return undefined; }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie has exited: only its parent's wait is missing
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

export function cmdline(pid: number): string[] {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean); } catch { return []; }
}

/** Ourselves and our ancestors: a `lab down` run from inside the lab must not kill its own caller chain. */
function selfAndAncestors(): Set<number> {
  const out = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !out.has(pid)) {
    out.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch { break; }
  }
  return out;
}

/** Every process whose network namespace is one of the given inodes. */
export function pidsInNetns(inodes: Set<number>): number[] {
  if (inodes.size === 0) return [];
  const skip = selfAndAncestors();
  const pids: number[] = [];
  for (const ent of readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    const pid = Number(ent);
    if (skip.has(pid)) continue;
    try {
      const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`));
      if (m && inodes.has(Number(m[1]))) pids.push(pid);
    } catch { /* exited meanwhile, or a kernel thread */ }
  }
  return pids;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until none of pids is alive or the bound passes; returns those still alive. */
export async function waitExit(pids: number[], boundMs: number): Promise<number[]> {
  const until = Date.now() + boundMs;
  let alive = pids.filter(isAlive);
  while (alive.length && Date.now() < until) {
    await sleep(100);
    alive = alive.filter(isAlive);
  }
  return alive;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(pid, sig); } catch { /* already gone */ }
}

/** SIGTERM, wait up to boundMs, then SIGKILL what is left and wait for it too. Returns pids killed hard. */
export async function terminate(pids: number[], boundMs: number): Promise<number[]> {
  for (const p of pids) signal(p, 'SIGTERM');
  const left = await waitExit(pids, boundMs);
  for (const p of left) signal(p, 'SIGKILL');
  await waitExit(left, 5000);
  return left;
}
