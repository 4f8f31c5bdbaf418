// Builds the commander program: global options plus each command's light definition.
import { Command, Option } from 'commander';
import type { SplitArgv } from '../cli/argv';
import { resolveGlobals, type RawGlobals } from '../cli/globals';
import { RunContext, type ContextFactory } from '../cli/context';
import { commandModules } from './';
import { UsageError } from '../errors';

/** The commands that read several Docker hosts in one run (repeated --context, --all-contexts). */
const FLEET_COMMANDS = ['status', 'doctor', 'image'];


export function addGlobalOptions(cmd: Command): Command {
  return cmd
    .option('--config-file <path>', 'daemon.json to read and edit (default: <root>/etc/docker/daemon.json)')
    .option('--root <dir>', 'prefix for every file the tool reads or writes outside /proc (env DOCKER_IPV6_ROOT)')
    .option('--restart-command <cmd>', 'how to restart dockerd (default: systemctl restart docker.service, or service docker restart)')
    .option('--dockerd <path>', 'dockerd binary used for version and validation (default: from PATH)')
    .option('--uplink <iface>', 'the uplink interface (default: the interface of the IPv6, else IPv4, default route)')
    .option('--json', 'machine-readable output')
    .option('--dry-run', 'print what would change and change nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('-v, --verbose', 'echo every host command that is run')
    .addOption(new Option('--debug', 'show stack traces on errors'))
    .addOption(new Option('-H, --host <url>', 'Docker daemon socket (as docker -H)').hideHelp())
    .addOption(new Option('-c, --context <name>', 'Docker context (as docker --context); status, doctor and image take it more than once, one host each')
      .argParser((v: string, prev: string[] = []) => [...prev, v]));
}

export function buildProgram(split: SplitArgv, env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command(split.viaDocker ? 'docker ipv6' : 'docker-ipv6');
  program
    .description('Make this Docker host serve IPv6: daemon, forwarding, outside path, networks, diagnosis.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true });
  addGlobalOptions(program);

  const makeContext: ContextFactory = (cmd) => {
    const raw = cmd.optsWithGlobals() as RawGlobals & { host?: string; context?: string[]; debug?: boolean };
    const docker = { ...split.docker, hosts: raw.host ? [raw.host] : split.docker.hosts };
    const contexts = raw.context ?? [];
    if (contexts.length > 1 && !FLEET_COMMANDS.includes(cmd.name())) {
      throw new UsageError(`docker ipv6 ${cmd.name()} works on one Docker host: give --context once`, `${FLEET_COMMANDS.join(', ')} read several hosts (--context A --context B, or --all-contexts)`);
    }
    if (contexts.length === 1) docker.context = contexts[0];
    const ctx = new RunContext(resolveGlobals({ ...raw, debug: raw.debug || split.docker.debug }, env), docker, env);
    ctx.contexts = contexts;
    return ctx;
  };
  for (const mod of commandModules) mod.register(program, makeContext);
  return program;
}
