// `lab down`: every process in the lab's namespaces (dockerd first), every mount under its folder,
// its namespaces and the folder itself. Works on half-built labs and when nothing is left (idempotent).
import { existsSync, rmSync } from 'node:fs';
import type { RunContext } from '../cli/context';
import { CommandError } from '../errors';
import { knownNetworks, readyDeadlineMs, runningDockerd, stopDockerd } from './daemon';
import { mountsUnder, unmountUnder } from './mounts';
import { netnsInode, pidsInNetns, terminate } from './procs';
import { labDir, namespacesFor, readRecord } from './record';
import { deleteNamespace, netnsExists, netnsPath } from './topology';

/** The namespaces of the lab and of its containers (Docker's sandbox netns files under exec-root). */
function labNetnsInodes(dir: string, ns: string[]): Set<number> {
  const paths = ns.map(netnsPath).concat(mountsUnder(dir).filter((m) => m.fsType === 'nsfs').map((m) => m.mountPoint));
  return new Set(paths.map(netnsInode).filter((i): i is number => i !== undefined));
}

export async function labDown(ctx: RunContext, name: string, opts: { quiet?: boolean } = {}): Promise<boolean> {
  ctx.requireRoot('lab down');
  const dir = labDir(name);
  const rec = readRecord(dir);
  const ns = rec ? [rec.namespaces.upstream, rec.namespaces.host] : Object.values(namespacesFor(name));
  const present = existsSync(dir) || ns.some(netnsExists);
  if (!present) {
    if (!opts.quiet) ctx.note(`lab ${name}: nothing to remove`);
    return false;
  }
  if (rec && runningDockerd(rec) !== undefined) {
    // dockerd stops its containers on SIGTERM: give it time in proportion to what it runs
    await stopDockerd(rec, 15_000 + readyDeadlineMs(await knownNetworks(rec)) / 4);
  }
  const left = pidsInNetns(labNetnsInodes(dir, ns));
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
