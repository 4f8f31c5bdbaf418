// `docker ipv6 status`: the host snapshot for a person, or as --json; several hosts with repeated --context or --all-contexts.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';

export function register(program: Command, makeContext: ContextFactory): void {
  program
    .command('status')
    .description('show the daemon IPv6 settings, each network and how its IPv6 reaches outside (several hosts: --context A --context B, or --all-contexts)')
    .option('--all-contexts', 'every Docker context (docker context ls), one row each')
    .option('--details', 'with several hosts: each host\'s full status after the table')
    .addHelpText('after', '\nSeveral hosts: exit status of the worst host (0 every host answered, 3 one did not, ...).')
    .action(async (opts: { allContexts?: boolean; details?: boolean }, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { isFleet } = await import('../fleet/fleet');
      if (isFleet(ctx, !!opts.allContexts)) {
        const { runFleetStatus } = await import('../fleet/read-out');
        process.exitCode = await runFleetStatus(ctx, { all: !!opts.allContexts, details: !!opts.details });
        return;
      }
      const { runStatus } = await import('../status/status');
      await runStatus(ctx);
    });
}
