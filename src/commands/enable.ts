// `docker ipv6 enable` / `disable`: make the host IPv6-ready in one transaction, or undo exactly that.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';

const RESTART_TIMEOUT = '--restart-timeout <duration>';
const RESTART_TIMEOUT_HELP = 'how long the restart may take (the restart command and dockerd answering again, together) before everything is rolled back (e.g. 90s; default: 60 s + 0.5 s per network)';

async function restartTimeout(text: string | undefined): Promise<number | undefined> {
  if (text === undefined) return undefined;
  const { parseDuration } = await import('../cli/duration');
  const ms = parseDuration(text, '--restart-timeout');
  if (ms < 1000) {
    const { UsageError } = await import('../errors');
    throw new UsageError(`--restart-timeout ${text} is too short`, 'use 1s or more (dockerd needs a few seconds to start)');
  }
  return ms;
}

export function register(program: Command, makeContext: ContextFactory): void {
  program
    .command('enable')
    .description('make this host serve IPv6 to containers: daemon.json, forwarding, outside path, default bridge (rolls back on failure)')
    .option('--prefix <prefix>', 'auto (default: a ULA /48, saved for later runs) or the IPv6 prefix to use')
    .option('--mode <mode>', 'auto | nat (NAT66) | routed (upstream routes the prefix here) | ndp (part of the on-link prefix)', 'auto')
    .option(RESTART_TIMEOUT, RESTART_TIMEOUT_HELP)
    .option('--plan <id>', 'run only the plan --dry-run showed with this id; refuse if the host changed since')
    .action(async (opts: { prefix?: string; mode: string; restartTimeout?: string; plan?: string }, cmd: Command) => {
      const ctx = makeContext(cmd);
      const restartTimeoutMs = await restartTimeout(opts.restartTimeout);
      const { runEnable } = await import('../enable/enable');
      await runEnable(ctx, { prefix: opts.prefix, mode: opts.mode, restartTimeoutMs, plan: opts.plan });
    });
  program
    .command('disable')
    .description('undo exactly what enable changed (daemon.json keys, sysctls, our firewall chains, proxy entries, units it started)')
    .option(RESTART_TIMEOUT, RESTART_TIMEOUT_HELP)
    .option('--drop-bad-keys', 'when the daemon.json from before enable would stop dockerd or cut the host off: restore it without the keys that do')
    .option('--exact', 'restore the daemon.json from before enable byte for byte even when the checks say it would stop dockerd or cut the host off (a restart that fails either way is still rolled back)')
    .action(async (opts: { restartTimeout?: string; dropBadKeys?: boolean; exact?: boolean }, cmd: Command) => {
      const ctx = makeContext(cmd);
      const restartTimeoutMs = await restartTimeout(opts.restartTimeout);
      const { runDisable } = await import('../enable/disable');
      await runDisable(ctx, { restartTimeoutMs, dropBadKeys: !!opts.dropBadKeys, exact: !!opts.exact });
    });
}
