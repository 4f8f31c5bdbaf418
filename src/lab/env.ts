// The environment `lab exec` gives a command: the tool's globals, DOCKER_HOST and the docker CLI's
// plugin folder pointed at the lab.
import { joinCommand } from '../util/command';
import { existsSync, mkdirSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { labPath } from './daemon';
import { stripPluginEnv } from './spawn';
import { labBase, type LabRecord } from './record';

/** The built plugin executable (dist/docker-ipv6), also when we run from a cli-plugins symlink or from source. */
export function launcherPath(): string {
  const candidates: string[] = [];
  // the single executable is its own launcher (argv[1] may be a bare name found on PATH)
  if (basename(process.execPath) === 'docker-ipv6') candidates.push(realpathSync(process.execPath));
  try {
    const self = realpathSync(process.argv[1] ?? '');
    if (basename(self) === 'docker-ipv6') candidates.push(self);
  } catch { /* argv[1] is not a file */ }
  candidates.push(join(__dirname, 'docker-ipv6'), join(__dirname, '../../dist/docker-ipv6'));
  return candidates.find((p) => existsSync(p)) ?? candidates[candidates.length - 1];
}

export function restartCommand(rec: LabRecord, launcher = launcherPath()): string {
  return joinCommand([launcher, 'lab', 'restart', rec.name]);
}

/**
 * The lab's own DOCKER_CONFIG, holding cli-plugins/docker-ipv6 -> this build, so that
 * `docker ipv6 ...` inside `lab exec` runs the tool that made the lab even when none is installed.
 */
export function labDockerConfig(rec: LabRecord, launcher = launcherPath()): string {
  const dir = join(rec.dir, 'docker-config');
  const link = join(dir, 'cli-plugins', 'docker-ipv6');
  let current: string | undefined;
  try { current = readlinkSync(link); } catch { /* not made yet */ }
  if (current !== launcher && existsSync(rec.dir)) {
    mkdirSync(join(dir, 'cli-plugins'), { recursive: true });
    rmSync(link, { force: true });
    symlinkSync(launcher, link);
  }
  return dir;
}

export function labExecEnv(rec: LabRecord, base: NodeJS.ProcessEnv = process.env, launcher = launcherPath()): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // the lab's socket must win over whatever the caller's shell points at
  for (const k of ['DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_TLS']) delete env[k];
  stripPluginEnv(env);
  return {
    ...env,
    DOCKER_HOST: `unix://${rec.dockerd.socket}`,
    DOCKER_CONFIG: labDockerConfig(rec, launcher),
    DOCKER_IPV6_CONFIG_FILE: rec.dockerd.configFile,
    DOCKER_IPV6_ROOT: rec.toolRoot,
    DOCKER_IPV6_DOCKERD: rec.dockerd.path,
    DOCKER_IPV6_RESTART_COMMAND: restartCommand(rec, launcher),
    DOCKER_IPV6_LAB_BASE: labBase(base),
    DOCKER_IPV6_LAB: rec.name,
    PATH: labPath(rec, base.PATH),
  };
}
