// `docker-ipv6 host-facts` (hidden): the probe container's command; `docker ipv6 image`: the image it runs from.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';

export function register(program: Command, makeContext: ContextFactory): void {
  program
    .command('host-facts', { hidden: true })
    .description('inside the probe container: read this host\'s kernel, firewall and docker-ipv6 files and print them as JSON (changes nothing)')
    .requiredOption('--host-mount <dir>', 'where the host\'s root folder is mounted read-only')
    .option('--node-root <dir>', 'docker-ipv6\'s root on the host', '/')
    .option('--data-root <dir>', 'the Docker daemon\'s DockerRootDir, to find its dockerd')
    .option('--firewall-backend <backend>', 'Docker\'s firewall backend as docker info says')
    .option('--doctor', 'also the facts doctor reads')
    .action(async (o: { hostMount: string; nodeRoot: string; dataRoot?: string; firewallBackend?: string; doctor?: boolean }, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { hostFacts } = await import('../fleet/host-facts');
      const fb = o.firewallBackend === 'iptables' || o.firewallBackend === 'nftables' ? o.firewallBackend : undefined;
      ctx.outJson(await hostFacts(ctx, { hostMount: o.hostMount, nodeRoot: o.nodeRoot, dataRoot: o.dataRoot, firewallBackend: fb, doctor: !!o.doctor }));
    });
}
