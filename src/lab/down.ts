// `lab down`: every process in the lab's namespaces (dockerd first), every mount under its folder,
// its namespaces and the folder itself. Works on half-built labs and when nothing is left (idempotent).
import { existsSync, rmSync } from 'node:fs';
import type { RunContext } from '../cli/context';
import { CommandError } from '../errors';
import { knownNetworks, runningDockerd, stopBoundMs, stopDockerd } from './daemon';
import { mountsUnder, unmountUnder } from './mounts';
import { netnsInode, pidsInNetns, terminate } from './procs';
import { labDir, namespacesFor, readRecord, type LabRecord } from './record';
import { deleteNamespace, netnsExists, netnsPath } from './topology';

function inodes(paths: string[]): Set<number> {
  return new Set(paths.map(netnsInode).filter((i): i is number => i !== undefined));
}

/** Docker's sandbox netns files under the lab's exec-root: one per container network namespace. */
function containerNetns(dir: string): string[] {
  return mountsUnder(dir).filter((m) => m.fsType === 'nsfs').map((m) => m.mountPoint);
}

export async function labDown(ctx: RunContext, name: string, opts: { quiet?: boolean } = {}): Promise<boolean> {
  ctx.requireRoot('lab down');
  const dir = labDir(name);
  // a damaged lab.json must not stop the removal: the names are derived, the rest is found
  let rec: LabRecord | undefined;
  try { rec = readRecord(dir); } catch { rec = undefined; }
  // a lab that joined another's upstream link owns only its host namespace (its link goes with it)
  const ns = rec ? (rec.joined ? [rec.namespaces.host] : [rec.namespaces.upstream, rec.namespaces.host]) : Object.values(namespacesFor(name));
  const present = existsSync(dir) || ns.some(netnsExists);
  if (!present) {
    if (!opts.quiet) ctx.note(`lab ${name}: nothing to remove`);
    return false;
  }
  // containers' own processes go first and hard: nothing of a lab being removed needs a graceful
  // stop, and dockerd otherwise waits ~10 s per container that ignores SIGTERM (a PID 1 sleep)
  const inContainers = pidsInNetns(inodes(containerNetns(dir)));
  if (inContainers.length) await terminate(inContainers, 0);
  if (rec && runningDockerd(rec) !== undefined) {
    // dockerd stops its containers on SIGTERM: give it time in proportion to what it runs
    await stopDockerd(rec, stopBoundMs(await knownNetworks(rec)));
  }
  const left = pidsInNetns(inodes(ns.map(netnsPath).concat(containerNetns(dir))));
  if (left.length) await terminate(left, 2000);
  const stuck = await unmountUnder(dir);
  for (const n of ns) await deleteNamespace(n);
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    throw new CommandError(['rm', '-rf', dir], null, (e as Error).message, undefined,
      stuck.length ? `still mounted: ${stuck.join(', ')}` : `check with: grep ${dir} /proc/self/mountinfo`);
  }
  if (!opts.quiet) ctx.note(`lab ${name}: removed`);
  return true;
}
