// `docker ipv6 status`: the host snapshot for a person, or as --json.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';

export function register(program: Command, makeContext: ContextFactory): void {
  program
    .command('status')
    .description('show the daemon IPv6 settings, each network and how its IPv6 reaches outside')
    .action(async (_opts, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { runStatus } = await import('../status/status');
      await runStatus(ctx);
    });
}
