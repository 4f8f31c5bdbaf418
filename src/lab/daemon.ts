// The lab's dockerd: started in the host namespace with its own dirs, waited for, stopped, restarted.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { ToolError } from '../errors';
import { daemonVersion, networkCount, ping } from './api';
import { cmdline, isAlive, terminate, waitExit } from './procs';
import type { LabRecord } from './record';
import { spawnDetached, stripPluginEnv } from './spawn';
import { inNetns } from './topology';

export function dockerdArgs(d: Pick<LabRecord['dockerd'], 'configFile' | 'dataRoot' | 'execRoot' | 'pidFile' | 'socket'>): string[] {
  return ['--config-file', d.configFile, '--data-root', d.dataRoot, '--exec-root', d.execRoot, '--pidfile', d.pidFile, '-H', `unix://${d.socket}`];
}

/**
 * PATH inside a lab: the dockerd's own folders first, then the caller's PATH without node_modules/.bin folders
 * (npm scripts put them first, and ava brings @vercel/nft's "nft" there: Docker 29's nftables backend runs `nft`).
 */
export function labPath(rec: LabRecord, base: string = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): string {
  return [...rec.dockerd.pathDirs, withoutNodeModules(base)].filter(Boolean).join(':');
}

/** A PATH without its node_modules folders (npm's .bin first in scripts, with an "nft" that is not nftables). */
export function withoutNodeModules(path: string): string {
  return path.split(':').filter((d) => d && !/(^|\/)node_modules(\/|$)/.test(d)).join(':');
}

/** The pid of this lab's dockerd if it runs: from the pidfile or the record, checked by its cmdline. */
export function runningDockerd(rec: LabRecord): number | undefined {
  const candidates: number[] = [];
  try { candidates.push(Number(readFileSync(rec.dockerd.pidFile, 'utf8').trim())); } catch { /* no pidfile */ }
  if (rec.dockerd.pid) candidates.push(rec.dockerd.pid);
  return candidates.find((pid) => pid > 0 && isAlive(pid) && cmdline(pid).includes(rec.dockerd.pidFile));
}

function logSize(file: string): number {
  try { return statSync(file).size; } catch { return 0; }
}

/** The last lines dockerd logged since offset: what a person needs when it did not come up. */
export function logTail(file: string, offset = 0, lines = 10): string {
  try {
    const text = readFileSync(file, 'utf8').slice(offset);
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Restart deadline: measured ~1.5 s with a few networks and ~27 s with 103, so scale with the count. Longer than
 * the tool's own restart wait (host/dockerd.ts, 60 s + 0.5 s a network), as systemd's start timeout is: the tool's
 * deadline is the one a test judges, not the lab's (at 30 s, a CI run with six dockerds on two cores once hit it).
 */
export function readyDeadlineMs(networks: number): number {
  return 90_000 + networks * 500;
}

/** How long a stop may take before SIGKILL: dockerd stops its containers first (10 s each by default, in parallel). */
export function stopBoundMs(networks: number): number {
  return 22_500 + networks * 125;
}

export interface StartResult { pid: number; version: string; apiVersion: string }

/** Start dockerd and wait for /_ping; on failure stop what was started and throw with the log tail. */
export async function startDockerd(rec: LabRecord, deadlineMs: number, progress?: (msg: string) => void): Promise<StartResult> {
  // a pidfile left by a killed daemon makes dockerd refuse to start ("pid file found")
  if (existsSync(rec.dockerd.pidFile) && runningDockerd(rec) === undefined) rmSync(rec.dockerd.pidFile, { force: true });
  const offset = logSize(rec.dockerd.log);
  // its own UTS namespace too: the host is named after the lab (docker info, Swarm's node hostname), as hosts differ
  const argv = inNetns(rec.namespaces.host, ['unshare', '--uts', '--', 'sh', '-c', 'hostname "$0" && exec "$@"', rec.name, rec.dockerd.path, ...rec.dockerd.args]);
  const pid = spawnDetached(argv, stripPluginEnv({ ...process.env, PATH: labPath(rec) }), rec.dockerd.log);
  const started = Date.now();
  let nextNote = started + 5000;
  for (;;) {
    if (await ping(rec.dockerd.socket, 1000)) break;
    const elapsed = Date.now() - started;
    if (!isAlive(pid) || elapsed > deadlineMs) {
      const why = isAlive(pid) ? `did not answer /_ping within ${Math.round(deadlineMs / 1000)} s` : 'exited';
      await terminate([pid], 10_000);
      throw new ToolError('command', `dockerd of lab ${rec.name} ${why}; its last log lines (${rec.dockerd.log}):\n${logTail(rec.dockerd.log, offset)}`,
        `fix ${rec.dockerd.configFile} (or the lab's dockerd), then: docker ipv6 lab restart ${rec.name}`);
    }
    if (progress && Date.now() >= nextNote) { progress(`waiting for dockerd (${Math.round(elapsed / 1000)} s)...`); nextNote += 5000; }
    await new Promise((r) => setTimeout(r, 150));
  }
  const v = await daemonVersion(rec.dockerd.socket);
  return { pid, ...v };
}

/** SIGTERM and wait for the exit (dockerd waits for its containers), SIGKILL after the bound. */
export async function stopDockerd(rec: LabRecord, boundMs: number): Promise<boolean> {
  const pid = runningDockerd(rec);
  if (pid === undefined) return false;
  const hard = await terminate([pid], boundMs);
  if (hard.length === 0) await waitExit([pid], 1000);
  rmSync(rec.dockerd.pidFile, { force: true });
  return true;
}

/** Networks the daemon has, to size deadlines; a fixed guess when it does not answer. */
export async function knownNetworks(rec: LabRecord): Promise<number> {
  try { return await networkCount(rec.dockerd.socket, 3000); } catch { return 20; }
}
