// The global options every command accepts (a public interface: scripts and units use these names).
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../errors';
import { splitCommand } from '../util/command';

export { joinCommand, splitCommand } from '../util/command';
import { validateIfName } from '../model/names';

export interface GlobalOptions {
  configFile: string;
  root: string;
  restartCommand: string[];
  dockerd: string;
  uplink?: string;
  json: boolean;
  dryRun: boolean;
  yes: boolean;
  verbose: boolean;
  debug: boolean;
}

/** Raw option values as commander hands them over (undefined when not given). */
export interface RawGlobals {
  configFile?: string;
  root?: string;
  restartCommand?: string;
  dockerd?: string;
  uplink?: string;
  json?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  verbose?: boolean;
  debug?: boolean;
}

export function defaultRestartCommand(): string[] {
  let pid1 = '';
  try { pid1 = readFileSync('/proc/1/comm', 'utf8').trim(); } catch { /* no procfs: fall through */ }
  if (pid1 === 'systemd') return ['systemctl', 'restart', 'docker.service'];
  return ['service', 'docker', 'restart'];
}

export function underRoot(root: string, absPath: string): string {
  return root === '/' ? absPath : join(root, absPath);
}

export function resolveGlobals(raw: RawGlobals, env: NodeJS.ProcessEnv = process.env): GlobalOptions {
  const root = raw.root ?? env.DOCKER_IPV6_ROOT ?? '/';
  if (!root.startsWith('/')) throw new UsageError(`--root must be an absolute path, got "${root}"`);
  if (root !== '/' && !existsSync(root)) throw new UsageError(`--root ${root} does not exist`);
  const configFile = raw.configFile ?? env.DOCKER_IPV6_CONFIG_FILE ?? underRoot(root, '/etc/docker/daemon.json');
  const restart = raw.restartCommand ?? env.DOCKER_IPV6_RESTART_COMMAND;
  // an empty --restart-command is a mistake, not a request for the default
  const restartCommand = restart !== undefined ? splitCommand(restart) : defaultRestartCommand();
  if (restartCommand.length === 0) throw new UsageError('--restart-command is empty');
  const uplink = raw.uplink ?? env.DOCKER_IPV6_UPLINK;
  if (uplink !== undefined) validateIfName(uplink);
  return {
    configFile,
    root,
    restartCommand,
    dockerd: raw.dockerd ?? env.DOCKER_IPV6_DOCKERD ?? 'dockerd',
    uplink,
    json: !!raw.json,
    dryRun: !!raw.dryRun,
    yes: !!raw.yes,
    verbose: !!raw.verbose,
    debug: !!raw.debug,
  };
}
