// `docker ipv6 lab`: isolated lab hosts (network namespaces + a real dockerd) for trying and testing.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';

interface UpOpts { docker?: string; dockerd?: string; daemonJson?: string; firewallBackend?: string; keep?: boolean; join?: string; swarm?: boolean }

export function register(program: Command, makeContext: ContextFactory): void {
  const lab = program.command('lab').description('build and remove isolated lab hosts with a real dockerd');

  lab.command('up [name]')
    .description('create a lab: upstream router + Docker host namespaces, a dockerd and the local/busybox:1 image; prints its name')
    .option('--docker <version>', 'dockerd version: 20 (system), 26, 28 or 29 (from scripts/fetch-docker.sh)')
    .option('--firewall-backend <backend>', 'Docker 29+: iptables (Docker\'s default) or nftables, written into daemon.json')
    // --dockerd is a global option (the binary for version and validation); here it also picks the lab's daemon
    .option('--daemon-json <json>', 'daemon.json content (default: default-address-pools for 100+ networks)')
    .option('--keep', 'keep a lab that failed to come up, for inspection')
    .option('--join <lab>', 'a second host on that lab\'s upstream link (2001:db8:1::3, 192.0.2.3, ...), not a new upstream')
    .option('--swarm', 'with --join: that lab becomes a Swarm manager (once) and this host joins as a worker')
    .action(async (name: string | undefined, _o: UpOpts, cmd: Command) => {
      const ctx = makeContext(cmd);
      const o = cmd.optsWithGlobals() as UpOpts;
      const { labUp } = await import('../lab/up');
      const rec = await labUp(ctx, { name, docker: o.docker, dockerd: o.dockerd, daemonJson: o.daemonJson, firewallBackend: o.firewallBackend, keep: o.keep, join: o.join, swarm: o.swarm });
      if (ctx.globals.json) ctx.outJson(rec);
      else {
        ctx.note(`lab ${rec.name}: up, dockerd ${rec.dockerd.version} in namespace ${rec.namespaces.host}; try: docker ipv6 lab exec ${rec.name} -- docker ipv6 status`);
        ctx.out(rec.name);
      }
    });

  lab.command('down <name>')
    .description('stop every process of the lab and remove its namespaces, mounts and folder')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { labDown } = await import('../lab/down');
      await labDown(ctx, name);
    });

  lab.command('exec <name> [cmd...]')
    .description('run a command in the lab host (after --) with DOCKER_HOST and the tool pointed at the lab')
    .action(async (name: string, argv: string[], _o: unknown, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { labExec } = await import('../lab/ops');
      process.exitCode = await labExec(ctx, name, argv);
    });

  lab.command('upstream <name> [cmd...]')
    .description('run a command (after --) in the lab\'s upstream router namespace')
    .action(async (name: string, argv: string[], _o: unknown, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { labUpstream } = await import('../lab/ops');
      process.exitCode = await labUpstream(ctx, name, argv);
    });

  lab.command('restart <name>')
    .description('restart the lab\'s dockerd like systemctl restart docker (non-zero when it does not come up)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { labRestart } = await import('../lab/ops');
      await labRestart(ctx, name);
    });

  lab.command('status [name]')
    .description('list labs: state, dockerd version and pid, namespaces (--json for programs)')
    .action(async (name: string | undefined, _o: unknown, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { labStatus } = await import('../lab/ops');
      await labStatus(ctx, name);
    });
}
