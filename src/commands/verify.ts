// `docker ipv6 verify`: probe containers prove IPv6 end to end and report a pass/fail table.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';

export function register(program: Command, makeContext: ContextFactory): void {
  program
    .command('verify')
    .description('prove IPv6 with short-lived probe containers: address, DNS, container to container, egress, published port, host')
    .option('--network <name>', 'network to test (default: a temporary one made like network create)')
    .option('--image <image>', 'probe image with busybox sh, sleep, ping6, nc, nslookup (never pulled)', 'local/busybox:1')
    .option('--target <host-or-addr>', 'egress target (default: the uplink\'s IPv6 gateway)')
    .action(async (opts: { network?: string; image?: string; target?: string }, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { runVerify } = await import('../verify/verify');
      await runVerify(ctx, opts);
    });
}
