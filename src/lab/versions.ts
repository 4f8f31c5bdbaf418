// Which dockerd a lab runs: the system one (20.10), a cached Debian build (26 trixie, 28 sid), the lab's Docker 29
// tarball (unpacked by scripts/fetch-docker.sh), or a path.
import { accessSync, constants, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PreconditionError, UsageError } from '../errors';
import { run } from '../util/exec';

export interface DockerdChoice {
  /** "20", "26", "28", "29", "system" (no version asked) or "custom" (--dockerd). */
  docker: string;
  path: string;
  /** Folders to put first on PATH (empty for the system install, which is on PATH already). */
  pathDirs: string[];
  binaryVersion: string;
}

/** Debian suite whose docker.io package provides each lab version (scripts/fetch-docker.sh). */
export const CACHED_SUITES: Record<string, string> = { '26': 'trixie', '28': 'sid' };

export function dockerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_IPV6_CACHE || '/var/cache/docker-ipv6';
}

/** The versions `--docker` takes. */
export const LAB_VERSIONS = ['20', '26', '28', '29'] as const;

/** Where fetch-docker.sh put a version's dockerd (29: bin/ with its own docker-proxy and runc 1.3.6). */
export function cachedDockerd(version: string, env: NodeJS.ProcessEnv = process.env): string {
  if (version === '29') return join(dockerCacheDir(env), 'docker-29', 'bin/dockerd');
  return join(dockerCacheDir(env), `docker-${CACHED_SUITES[version]}`, 'usr/sbin/dockerd');
}

/** "Docker version 26.1.5+dfsg1, build a72d7cd" -> "26.1.5+dfsg1". */
export function parseDockerdVersion(text: string): string | undefined {
  return /Docker version ([^,\s]+)/.exec(text)?.[1];
}

export async function readDockerdVersion(path: string): Promise<string> {
  const { stdout } = await run([path, '--version'], { timeoutMs: 20_000 });
  const v = parseDockerdVersion(stdout);
  if (!v) throw new PreconditionError(`${path} --version printed no version: ${stdout.trim()}`);
  return v;
}

function onPath(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(':').concat('/usr/sbin', '/sbin')) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try { accessSync(p, constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

/** dockerd's helpers (docker-init, docker-proxy) sit beside it or in the sibling bin folder. */
function dirsFor(path: string): string[] {
  const dir = dirname(path);
  const dirs = [dir];
  if (basename(dir) === 'sbin' && existsSync(join(dirname(dir), 'bin'))) dirs.push(join(dirname(dir), 'bin'));
  return dirs;
}

export async function chooseDockerd(opts: { docker?: string; dockerd?: string }, env: NodeJS.ProcessEnv = process.env): Promise<DockerdChoice> {
  if (opts.dockerd && opts.docker) throw new UsageError('give either --docker or --dockerd, not both');
  if (opts.dockerd) {
    if (!existsSync(opts.dockerd)) throw new UsageError(`--dockerd ${opts.dockerd} does not exist`);
    return { docker: 'custom', path: opts.dockerd, pathDirs: dirsFor(opts.dockerd), binaryVersion: await readDockerdVersion(opts.dockerd) };
  }
  const want = opts.docker;
  if (want !== undefined && !(LAB_VERSIONS as readonly string[]).includes(want)) {
    throw new UsageError(`--docker must be ${LAB_VERSIONS.join(', ')}, got "${want}"`, 'or point --dockerd at any dockerd binary');
  }
  if (want === undefined || want === '20') {
    const path = onPath('dockerd', env);
    if (!path) throw new PreconditionError('no dockerd on PATH', 'install it: apt-get install docker.io iptables busybox-static');
    const binaryVersion = await readDockerdVersion(path);
    if (want === '20' && !binaryVersion.startsWith('20.')) {
      throw new PreconditionError(`--docker 20 asked, but ${path} is ${binaryVersion}`, 'install Debian 12\'s docker.io, or use --dockerd PATH');
    }
    return { docker: want ?? 'system', path, pathDirs: [], binaryVersion };
  }
  const path = cachedDockerd(want, env);
  if (!existsSync(path)) {
    throw new PreconditionError(`dockerd ${want}.x is not in the cache (${path} missing)`, `fetch it once: scripts/fetch-docker.sh ${want} (set DOCKER_IPV6_CACHE to use another folder)`);
  }
  const binaryVersion = await readDockerdVersion(path);
  if (!binaryVersion.startsWith(`${want}.`)) {
    throw new PreconditionError(`${path} is ${binaryVersion}, not ${want}.x`, `refresh the cache: remove it and run scripts/fetch-docker.sh ${want}`);
  }
  return { docker: want, path, pathDirs: dirsFor(path), binaryVersion };
}
