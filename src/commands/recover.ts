// `docker ipv6 recover [--abandon]`: finish the rollback an interrupted run left in its journal, or drop the journal.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';

export function register(program: Command, makeContext: ContextFactory): void {
  program
    .command('recover')
    .description('roll back what an interrupted enable, disable or doctor --fix left (as they do first), keeping what others changed since; --dry-run shows it')
    .option('--abandon', 'remove the journal without undoing anything, after listing what each change leaves as it is')
    .action(async (opts: { abandon?: boolean }, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { runRecover } = await import('../recover/recover');
      await runRecover(ctx, { abandon: !!opts.abandon });
    });
}
