// `lab exec`, `lab upstream`, `lab restart` and `lab status`: working with a lab that is up.
import { existsSync } from 'node:fs';
import type { RunContext } from '../cli/context';
import { PreconditionError, UsageError } from '../errors';
import { daemonVersion, ping } from './api';
import { knownNetworks, readyDeadlineMs, runningDockerd, startDockerd, stopBoundMs, stopDockerd } from './daemon';
import { labExecEnv } from './env';
import { labDir, listLabNames, readRecord, requireRecord, writeRecord, type LabRecord } from './record';
import { runAttached } from './spawn';
import { inNetns, netnsExists } from './topology';

function requireCmd(cmd: string[], verb: string): void {
  if (cmd.length === 0) throw new UsageError(`lab ${verb} needs a command`, `example: docker ipv6 lab ${verb} NAME -- ip -br addr`);
}

/** Run cmd in the lab's Docker host namespace with the tool and docker pointed at the lab. */
export async function labExec(ctx: RunContext, name: string, cmd: string[]): Promise<number> {
  requireCmd(cmd, 'exec');
  const rec = requireRecord(name);
  if (!netnsExists(rec.namespaces.host)) throw new PreconditionError(`lab ${name} has no host namespace`, `rebuild it: docker ipv6 lab down ${name} && docker ipv6 lab up ${name}`);
  const argv = inNetns(rec.namespaces.host, cmd);
  if (ctx.globals.verbose) ctx.note(`+ ${argv.join(' ')}`);
  return runAttached(argv, labExecEnv(rec));
}

/** Run cmd in the upstream router namespace: tests play the ISP with it. */
export async function labUpstream(ctx: RunContext, name: string, cmd: string[]): Promise<number> {
  requireCmd(cmd, 'upstream');
  const rec = requireRecord(name);
  const argv = inNetns(rec.namespaces.upstream, cmd);
  if (ctx.globals.verbose) ctx.note(`+ ${argv.join(' ')}`);
  return runAttached(argv, process.env);
}

/** Like `systemctl restart docker`: stop (bounded), start with the same args and current daemon.json. */
export async function labRestart(ctx: RunContext, name: string): Promise<void> {
  ctx.requireRoot('lab restart');
  const rec = requireRecord(name);
  const networks = await knownNetworks(rec);
  const deadline = readyDeadlineMs(networks);
  if (runningDockerd(rec) !== undefined) {
    ctx.note(`lab ${name}: stopping dockerd`);
    await stopDockerd(rec, stopBoundMs(networks));
  }
  ctx.note(`lab ${name}: starting dockerd (${networks} networks, up to ${Math.round(deadline / 1000)} s)`);
  const started = await startDockerd(rec, deadline, (m) => ctx.note(m));
  rec.dockerd.pid = started.pid;
  rec.dockerd.version = started.version;
  rec.dockerd.apiVersion = started.apiVersion;
  await writeRecord(rec);
}

export interface LabStatus {
  name: string;
  dir: string;
  state: 'running' | 'stopped' | 'incomplete';
  docker?: string;
  dockerd?: { path: string; pid?: number; alive: boolean; responding: boolean; version?: string; binaryVersion: string; socket: string };
  namespaces: Array<{ name: string; role: 'upstream' | 'host'; present: boolean }>;
}

async function statusOf(name: string): Promise<LabStatus> {
  const dir = labDir(name);
  let rec: LabRecord | undefined;
  try { rec = readRecord(dir); } catch { rec = undefined; }
  if (!rec) {
    return { name, dir, state: 'incomplete', namespaces: [
      { name: `${name}-up`, role: 'upstream', present: netnsExists(`${name}-up`) },
      { name: `${name}-host`, role: 'host', present: netnsExists(`${name}-host`) }] };
  }
  const pid = runningDockerd(rec);
  const responding = pid !== undefined && await ping(rec.dockerd.socket, 2000);
  let version = rec.dockerd.version;
  if (responding) { try { version = (await daemonVersion(rec.dockerd.socket)).version; } catch { /* keep the recorded one */ } }
  const namespaces = [
    { name: rec.namespaces.upstream, role: 'upstream' as const, present: netnsExists(rec.namespaces.upstream) },
    { name: rec.namespaces.host, role: 'host' as const, present: netnsExists(rec.namespaces.host) },
  ];
  const complete = namespaces.every((n) => n.present);
  return {
    name, dir, docker: rec.docker,
    state: !complete ? 'incomplete' : responding ? 'running' : 'stopped',
    dockerd: { path: rec.dockerd.path, pid, alive: pid !== undefined, responding, version, binaryVersion: rec.dockerd.binaryVersion, socket: rec.dockerd.socket },
    namespaces,
  };
}

export async function labStatus(ctx: RunContext, name?: string): Promise<void> {
  const names = name ? [name] : listLabNames();
  if (name && !existsSync(labDir(name)) && !netnsExists(`${name}-up`) && !netnsExists(`${name}-host`)) {
    throw new UsageError(`no lab named "${name}"`, 'list labs with: docker ipv6 lab status');
  }
  const labs = await Promise.all(names.map(statusOf));
  if (ctx.globals.json) { ctx.outJson({ labs }); return; }
  if (labs.length === 0) { ctx.out('no labs'); return; }
  const rows = labs.map((l) => [l.name, l.state, l.dockerd?.version ?? l.dockerd?.binaryVersion ?? '-', l.dockerd?.pid ? String(l.dockerd.pid) : '-',
    l.namespaces.map((n) => `${n.name}${n.present ? '' : '(missing)'}`).join(' ')]);
  const head = ['NAME', 'STATE', 'DOCKER', 'PID', 'NAMESPACES'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) ctx.out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  '));
}
