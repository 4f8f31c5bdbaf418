// Resolves which Docker daemon to talk to, in the order the docker CLI itself uses.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, UsageError } from '../errors';
import type { DockerGlobals } from './argv';
import type { Endpoint, TlsMaterial } from '../model/endpoint';

export const DEFAULT_HOST = 'unix:///var/run/docker.sock';

export function dockerConfigDir(globals: Pick<DockerGlobals, 'config'>, env: NodeJS.ProcessEnv): string {
  return globals.config ?? env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker');
}

export function isLocalHost(host: string): boolean {
  if (host.startsWith('unix://') || host.startsWith('fd://')) return true;
  const m = /^tcp:\/\/\[?([^\]/]+?)\]?(:\d+)?\/?$/.exec(host);
  if (!m) return false;
  return m[1] === 'localhost' || m[1] === '::1' || /^127\./.test(m[1]);
}

function readJson(path: string, what: string): any {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(e as Error).message}`, `fix or remove ${path}`);
  }
}

function tlsFromFlags(g: DockerGlobals, env: NodeJS.ProcessEnv, cfgDir: string): TlsMaterial | undefined {
  const verify = g.tlsVerify || (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '');
  const explicit = g.tlsCaCert || g.tlsCert || g.tlsKey;
  if (!g.tls && !verify && !explicit) return undefined;
  const certDir = env.DOCKER_CERT_PATH || cfgDir;
  const pick = (given: string | undefined, file: string) => {
    if (given) return given;
    const p = join(certDir, file);
    return existsSync(p) ? p : undefined;
  };
  return { ca: pick(g.tlsCaCert, 'ca.pem'), cert: pick(g.tlsCert, 'cert.pem'), key: pick(g.tlsKey, 'key.pem'), verify };
}

/** The context store's directory name for a context: sha256 of its name. */
export function contextDirName(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

function fromContext(name: string, cfgDir: string): Endpoint {
  const id = contextDirName(name);
  const metaPath = join(cfgDir, 'contexts', 'meta', id, 'meta.json');
  if (!existsSync(metaPath)) {
    throw new UsageError(`context "${name}" does not exist (no ${metaPath})`, 'list contexts with: docker context ls');
  }
  const meta = readJson(metaPath, `context "${name}" metadata`);
  const ep = meta?.Endpoints?.docker;
  if (!ep || typeof ep.Host !== 'string') {
    throw new ConfigError(`context "${name}" has no docker endpoint`, `inspect it with: docker context inspect ${name}`);
  }
  const tlsDir = join(cfgDir, 'contexts', 'tls', id, 'docker');
  let tls: TlsMaterial | undefined;
  if (existsSync(tlsDir)) {
    const f = (n: string) => (existsSync(join(tlsDir, n)) ? join(tlsDir, n) : undefined);
    tls = { ca: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem'), verify: !ep.SkipTLSVerify };
  }
  return { host: ep.Host, tls, source: `context ${name}`, local: isLocalHost(ep.Host) };
}

/**
 * Docker CLI order: --context and --host together is an error; --context wins over DOCKER_HOST
 * (as in docker's resolveContextName); then --host, DOCKER_HOST, DOCKER_CONTEXT, the config's
 * currentContext, and the local socket.
 */
export function resolveEndpoint(g: DockerGlobals, env: NodeJS.ProcessEnv = process.env): Endpoint {
  const cfgDir = dockerConfigDir(g, env);
  if (g.context && g.hosts.length > 0) {
    throw new UsageError('conflicting options: either specify --host or --context, not both');
  }
  if (g.hosts.length > 1) throw new UsageError('specify only one -H/--host');
  const direct = (host: string, source: string): Endpoint => ({
    host: normaliseHost(host), tls: tlsFromFlags(g, env, cfgDir), source, local: isLocalHost(normaliseHost(host)),
  });
  if (g.context && g.context !== 'default') return fromContext(g.context, cfgDir);
  if (g.hosts.length === 1) return direct(g.hosts[0], '--host');
  if (!g.context && env.DOCKER_HOST) return direct(env.DOCKER_HOST, 'DOCKER_HOST');
  let name = g.context ?? env.DOCKER_CONTEXT;
  if (!name) {
    const cfgPath = join(cfgDir, 'config.json');
    if (existsSync(cfgPath)) name = readJson(cfgPath, 'docker config')?.currentContext;
  }
  if (name && name !== 'default') return fromContext(name, cfgDir);
  return { host: DEFAULT_HOST, tls: tlsFromFlags(g, env, cfgDir), source: 'default', local: true };
}

/** Docker accepts "/path.sock", ":2375", "host:port"; normalise to a URL form. */
export function normaliseHost(host: string): string {
  if (host.startsWith('/')) return `unix://${host}`;
  if (/^[a-z]+:\/\//.test(host)) return host;
  if (host.startsWith(':')) return `tcp://127.0.0.1${host}`;
  return `tcp://${host}`;
}

/** The context names the docker CLI knows (`docker context ls`): "default" first, then the store's, sorted. */
export function listContexts(g: Pick<DockerGlobals, 'config'>, env: NodeJS.ProcessEnv = process.env): string[] {
  const metaDir = join(dockerConfigDir(g, env), 'contexts', 'meta');
  const names: string[] = [];
  let dirs: string[] = [];
  try { dirs = readdirSync(metaDir); } catch { /* no context store: only the default */ }
  for (const d of dirs) {
    try {
      const name = (JSON.parse(readFileSync(join(metaDir, d, 'meta.json'), 'utf8')) as { Name?: unknown }).Name;
      if (typeof name === 'string' && name !== 'default') names.push(name);
    } catch { /* a broken entry: the docker CLI skips it too */ }
  }
  return ['default', ...names.sort()];
}

/**
 * One named context's endpoint, as `docker --context NAME` resolves it: "default" is the local daemon (or
 * DOCKER_HOST, as the docker CLI's default context is), any other name comes from the context store.
 */
export function contextEndpoint(name: string, g: DockerGlobals, env: NodeJS.ProcessEnv = process.env): Endpoint {
  const cfgDir = dockerConfigDir(g, env);
  if (name !== 'default') return fromContext(name, cfgDir);
  const host = env.DOCKER_HOST ? normaliseHost(env.DOCKER_HOST) : DEFAULT_HOST;
  return { host, tls: tlsFromFlags(g, env, cfgDir), source: 'context default', local: isLocalHost(host) };
}
