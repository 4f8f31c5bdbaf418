// The frame of a command that changes the host (enable, disable): a local daemon, root unless it is a dry
// run, the lock around the work (a dry run changes nothing and takes no lock), the run's undo registry, and
// an interrupted earlier run rolled back from its journal before anything is observed.
import type { RunContext } from '../cli/context';
import { withLock, type UndoRegistry } from '../transaction/index';
import { finishInterruptedRun, toolUndoRegistry } from '../transaction/tool-undo';

export async function asHostChange(ctx: RunContext, command: 'enable' | 'disable', body: (registry: UndoRegistry) => Promise<void>): Promise<void> {
  ctx.requireLocalDaemon(`${command} IPv6`);
  const registry = toolUndoRegistry(ctx, (s) => ctx.note(s));
  if (ctx.globals.dryRun) return body(registry);
  ctx.requireRoot(`docker ipv6 ${command}`);
  await withLock(ctx.paths.lockFile, { command, log: (l) => ctx.note(l) }, async () => {
    await finishInterruptedRun(ctx.paths.journalFile, registry, (l) => ctx.note(l));
    await body(registry);
  });
}
