// The Docker API adapter: a dockerode client for an endpoint, loaded only by commands that need it.
import { readFileSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { PreconditionError } from '../errors';
import type { Endpoint } from '../model/endpoint';

export type DockerClient = Dockerode;

export function dockerOptions(ep: Endpoint, timeoutMs?: number): Dockerode.DockerOptions {
  const base: Dockerode.DockerOptions = timeoutMs ? { timeout: timeoutMs } : {};
  if (ep.host.startsWith('unix://')) return { ...base, socketPath: ep.host.slice('unix://'.length) };
  const u = new URL(ep.host.replace(/^tcp:/, ep.tls ? 'https:' : 'http:'));
  if (ep.host.startsWith('ssh://')) {
    return { ...base, protocol: 'ssh', host: u.hostname, port: u.port ? Number(u.port) : 22, username: u.username || undefined } as Dockerode.DockerOptions;
  }
  const opts: Dockerode.DockerOptions = {
    ...base,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : ep.tls ? 2376 : 2375,
    protocol: ep.tls ? 'https' : 'http',
  };
  if (ep.tls) {
    if (ep.tls.ca) opts.ca = readFileSync(ep.tls.ca);
    if (ep.tls.cert) opts.cert = readFileSync(ep.tls.cert);
    if (ep.tls.key) opts.key = readFileSync(ep.tls.key);
  }
  return opts;
}

/** A client for the endpoint; does not contact the daemon. */
export async function dockerClient(ep: Endpoint, timeoutMs?: number): Promise<DockerClient> {
  const { default: Docker } = await import('dockerode');
  return new Docker(dockerOptions(ep, timeoutMs));
}

/** Why the daemon cannot be reached, in words a person can act on. */
export function describeDockerError(ep: Endpoint, e: unknown): PreconditionError {
  const err = e as NodeJS.ErrnoException;
  const where = `${ep.host} (from ${ep.source})`;
  switch (err?.code) {
    case 'ENOENT':
      return new PreconditionError(`Docker is not running: no socket at ${where}`, 'start it: systemctl start docker (or check -H / DOCKER_HOST)');
    case 'EACCES':
      return new PreconditionError(`permission denied on the Docker socket ${where}`, 'run as root or as a member of the docker group');
    case 'ECONNREFUSED':
      return new PreconditionError(`Docker refused the connection at ${where}: the daemon is down`, 'start it: systemctl start docker; see journalctl -u docker');
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return new PreconditionError(`Docker did not answer at ${where} in time`, 'check the daemon: journalctl -u docker');
    default:
      return new PreconditionError(`cannot reach Docker at ${where}: ${err?.message ?? String(e)}`, 'check that dockerd runs: docker version');
  }
}

/** A client that has answered /_ping, or a PreconditionError saying why not. */
export async function connectDocker(ep: Endpoint, opts: { timeoutMs?: number } = {}): Promise<DockerClient> {
  const client = await dockerClient(ep, opts.timeoutMs ?? 10_000);
  try {
    await client.ping();
  } catch (e) {
    throw describeDockerError(ep, e);
  }
  return client;
}
