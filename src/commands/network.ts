// `docker ipv6 network create|ls|upgrade`: dual-stack bridge networks with conflict-free subnets.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command, makeContext: ContextFactory): void {
  const net = program.command('network').description('dual-stack networks: create with free subnets, list, upgrade IPv4-only ones');
  net
    .command('create')
    .description('create a bridge network with IPv6 and IPv4 subnets (or IPv6 only) that overlap nothing on this host')
    .argument('<name>', 'network name')
    .option('--subnet <cidr>', 'IPv4 and/or IPv6 subnet (default: allocated); repeat for both', collect)
    .option('--gateway <addr>', 'gateway for the subnet of its family; repeatable', collect)
    .option('--ip-range <cidr>', 'allocate container addresses from this part of the subnet; repeatable', collect)
    .option('--internal', 'no access to outside')
    .option('--attachable', 'let standalone containers attach')
    .option('--label <key=value>', 'network label; repeatable', collect)
    .option('-o, --opt <key=value>', 'bridge driver option; repeatable', collect)
    .option('--ipv6-only', 'no IPv4 at all (Docker 28+; Docker\'s own flag is --ipv4=false)')
    .option('--compose', 'print the Compose networks: block for the allocation instead of creating the network')
    .action(async (name: string, opts: Record<string, unknown>, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { runNetworkCreate } = await import('../network/create');
      await runNetworkCreate(ctx, name, opts);
    });
  net
    .command('ls')
    .description('list networks with their IPv4 and IPv6 subnets and IPv6 status')
    .action(async (_opts, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { runNetworkLs } = await import('../network/ls');
      await runNetworkLs(ctx);
    });
  net
    .command('upgrade')
    .description('re-create an IPv4-only network with IPv6 and reconnect its containers (asks first; --yes)')
    .argument('<name>', 'network name')
    .action(async (name: string, _opts, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { runNetworkUpgrade } = await import('../network/upgrade');
      await runNetworkUpgrade(ctx, name);
    });
}
