// `docker ipv6 recover [--abandon]`: finish the rollback an interrupted run left in its journal, or drop the journal.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';

export function register(program: Command, makeContext: ContextFactory): void {
  program
    .command('recover')
    .description('roll back what an interrupted enable, disable or doctor --fix left (as they do first), keeping what others changed since; --dry-run shows it')
    .option('--abandon', 'remove the journal without undoing anything, after listing what each change leaves as it is')
    .option('--rebuild-state', 'write a lost state file again from what enable left in daemon.json (routed, ndp and nat modes; npt with --outside-prefix)')
    .option('--prefix <P>', 'with --rebuild-state: the prefix, where the keys fit several (Docker before 27)')
    .option('--outside-prefix <P>', 'with --rebuild-state on an npt host: the outside prefix the inside one was translated to')
    .action(async (opts: { abandon?: boolean; rebuildState?: boolean; prefix?: string; outsidePrefix?: string }, cmd: Command) => {
      const ctx = makeContext(cmd);
      if (opts.rebuildState) {
        const { runRebuildState } = await import('../recover/rebuild-run');
        await runRebuildState(ctx, { prefix: opts.prefix, outsidePrefix: opts.outsidePrefix });
        return;
      }
      const { runRecover } = await import('../recover/recover');
      await runRecover(ctx, { abandon: !!opts.abandon });
    });
}
