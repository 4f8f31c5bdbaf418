// Builds the commander program: global options plus each command's light definition.
import { Command, Option } from 'commander';
import type { SplitArgv } from '../cli/argv';
import { resolveGlobals, type RawGlobals } from '../cli/globals';
import { RunContext, type ContextFactory } from '../cli/context';
import { commandModules } from './';


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
    .addOption(new Option('-c, --context <name>', 'Docker context (as docker --context)').hideHelp());
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
    const raw = cmd.optsWithGlobals() as RawGlobals & { host?: string; context?: string; debug?: boolean };
    const docker = { ...split.docker, hosts: raw.host ? [raw.host] : split.docker.hosts };
    if (raw.context) docker.context = raw.context;
    return new RunContext(resolveGlobals({ ...raw, debug: raw.debug || split.docker.debug }, env), docker, env);
  };
  for (const mod of commandModules) mod.register(program, makeContext);
  return program;
}
