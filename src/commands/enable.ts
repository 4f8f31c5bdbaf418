// `docker ipv6 enable` / `disable`: make the host IPv6-ready in one transaction, or undo exactly that.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/program';

export function register(program: Command, makeContext: ContextFactory): void {
  program
    .command('enable')
    .description('make this host serve IPv6 to containers: daemon.json, forwarding, outside path, default bridge (rolls back on failure)')
    .option('--prefix <prefix>', 'auto (a ULA /48, saved for later runs) or the IPv6 prefix to use', 'auto')
    .option('--mode <mode>', 'auto | nat (NAT66) | routed (upstream routes the prefix here) | ndp (part of the on-link prefix)', 'auto')
    .action(async (opts: { prefix: string; mode: string }, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { runEnable } = await import('../enable/run');
      await runEnable(ctx, opts);
    });
  program
    .command('disable')
    .description('undo exactly what enable changed (daemon.json keys, sysctls, our firewall chains, proxy entries)')
    .action(async (_opts, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { runDisable } = await import('../enable/disable');
      await runDisable(ctx);
    });
}
