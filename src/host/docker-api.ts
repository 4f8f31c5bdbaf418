// The Docker API adapter: a dockerode client for an endpoint, loaded only by commands that need it.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type Dockerode from 'dockerode';
import { describeDockerError } from '../model/endpoint';
import type { Endpoint } from '../model/endpoint';

export type DockerClient = Dockerode;

/**
 * No keep-alive: Node (19+) pools HTTP connections by default, and a pooled connection to a dockerd that has
 * restarted since (enable and disable restart it) fails the next request with "socket hang up" (seen under load).
 * A connection over the unix socket costs well under a millisecond.
 */
function freshConnections(https: boolean): Dockerode.DockerOptions {
  return { agent: https ? new HttpsAgent({ keepAlive: false }) : new HttpAgent({ keepAlive: false }) } as Dockerode.DockerOptions;
}

export function dockerOptions(ep: Endpoint, timeoutMs?: number): Dockerode.DockerOptions {
  const timeout: Dockerode.DockerOptions = timeoutMs ? { timeout: timeoutMs } : {};
  // ssh: docker-modem makes its own agent (one ssh session per request)
  const base: Dockerode.DockerOptions = ep.host.startsWith('ssh://') ? timeout : { ...timeout, ...freshConnections(!!ep.tls && !ep.host.startsWith('unix://')) };
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
