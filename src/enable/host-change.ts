// The frame of a command that changes the host (enable, disable): a local daemon, root unless it is a dry
// run, and the lock around the work (a dry run changes nothing and takes no lock).
import type { RunContext } from '../cli/context';
import { withLock } from '../transaction/index';

export async function asHostChange(ctx: RunContext, command: 'enable' | 'disable', body: () => Promise<void>): Promise<void> {
  ctx.requireLocalDaemon(`${command} IPv6`);
  if (ctx.globals.dryRun) return body();
  ctx.requireRoot(`docker ipv6 ${command}`);
  await withLock(ctx.paths.lockFile, { command, log: (l) => ctx.note(l) }, body);
}
