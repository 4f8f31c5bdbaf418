// `docker-ipv6 host-facts` (hidden): the probe container's command; `docker ipv6 image`: the image it runs from.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';

export function register(program: Command, makeContext: ContextFactory): void {
  registerImage(program, makeContext);
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

export function registerImage(program: Command, makeContext: ContextFactory): void {
  program
    .command('image')
    .description('make this build\'s image (the executable and the firewall tools it calls; for the probe and the Swarm agent) and load it into the Docker host, with no registry')
    .option('--all-contexts', 'load it into every Docker context (also: --context A --context B)')
    .option('-o, --output <file>', 'write the image as a tarball for docker import instead')
    .action(async (o: { allContexts?: boolean; output?: string }, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { runImage } = await import('../image/image');
      const { isFleet, fleetTargets } = await import('../fleet/fleet');
      const targets = isFleet(ctx, !!o.allContexts) && !o.output
        ? fleetTargets(ctx, !!o.allContexts).map((t) => ({ name: t.name, run: t.endpoint ? ctx.forEndpoint(t.endpoint) : undefined, error: t.error?.message }))
        : undefined;
      process.exitCode = await runImage(ctx, { output: o.output, targets });
    });
}
