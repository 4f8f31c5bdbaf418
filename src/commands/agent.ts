// `docker ipv6 apply` and `docker ipv6 agent`: keep rules, routes and NDP proxy entries applied.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';

export function register(program: Command, makeContext: ContextFactory): void {
  program
    .command('apply')
    .description('one idempotent reconcile of our firewall chains, routes, NDP proxy entries and sysctls (used at boot)')
    .option('--wait-docker <duration>', 'wait this long for Docker to answer (e.g. 60s)', '0')
    .option('--plan <id>', 'apply only the plan --dry-run showed with this id; refuse if the host changed since')
    .option('--boot', 'before Docker starts (docker-ipv6-boot.service): the closed filter and route from the saved state, then forwarding')
    .action(async (opts: { waitDocker: string; plan?: string; boot?: boolean }, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { parseDuration } = await import('../cli/duration');
      const { runApply } = await import('../apply/apply');
      await runApply(ctx, { waitDockerMs: parseDuration(opts.waitDocker, '--wait-docker'), plan: opts.plan, boot: !!opts.boot });
    });
  const agent = program
    .command('agent')
    .description('keep docker-ipv6 applied: reconcile on Docker events, SIGHUP and a periodic tick until SIGTERM')
    .option('--interval <duration>', 'periodic reconcile', '30s')
    .option('--debounce <duration>', 'collect events this long before a reconcile', '50ms')
    .option('--cleanup', 'on stop, remove runtime state: our chains, proxy entries and routes')
    .action(async (opts: { interval: string; debounce: string; cleanup?: boolean }, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { parseDuration } = await import('../cli/duration');
      const { runAgent } = await import('../agent/agent');
      const intervalMs = parseDuration(opts.interval, '--interval');
      if (intervalMs < 100) {
        const { UsageError } = await import('../errors');
        throw new UsageError(`--interval ${opts.interval} is too short`, 'use 100ms or more (30s is the default)');
      }
      await runAgent(ctx, { intervalMs, debounceMs: parseDuration(opts.debounce, '--debounce'), cleanup: !!opts.cleanup });
    });
  const service = agent.command('service').description('the agent on every node of a Swarm, as a global service (on a manager)');
  for (const action of ['create', 'update', 'rm'] as const) {
    const c = service.command(action).description({
      create: 'create the global service: one agent per node, from that node\'s own state (needs the image on each node: docker ipv6 image)',
      update: 'update the service to this build\'s image and the options given',
      rm: 'remove the service only (the agents stop; what they kept on each node stays)',
    }[action]).option('--name <name>', 'the service\'s name', 'docker-ipv6-agent');
    if (action !== 'rm') {
      c.option('--image <ref>', 'the image (default: this build\'s, as docker ipv6 image loads it)')
        .option('--node-root <dir>', 'docker-ipv6\'s root on each node; Swarm templates allowed', '/')
        .option('--docker-socket <path>', 'the Docker socket on each node; Swarm templates allowed', '/var/run/docker.sock');
    }
    c.action(async (o: { name: string; image?: string; nodeRoot?: string; dockerSocket?: string; interval?: string }, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { parseDuration } = await import('../cli/duration');
      // `agent` itself has --interval: commander hands the value to it, wherever it stands
      const interval = (cmd.optsWithGlobals() as { interval?: string }).interval ?? '30s';
      parseDuration(interval, '--interval');
      const { runAgentService } = await import('../agent/service');
      await runAgentService(ctx, action, { name: o.name, image: o.image, nodeRoot: o.nodeRoot ?? '/', dockerSocket: o.dockerSocket ?? '/var/run/docker.sock', interval });
    });
  }
}
