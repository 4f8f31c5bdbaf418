// The Docker API adapter: a dockerode client for an endpoint, loaded only by commands that need it.
import { Agent as HttpAgent } from 'node:http';
import type Dockerode from 'dockerode';
import { describeDockerError } from '../model/endpoint';
import type { Endpoint } from '../model/endpoint';
import { EndpointAgent, targetOf } from './docker-transport';

export type DockerClient = Dockerode;

export function dockerOptions(ep: Endpoint, timeoutMs?: number): Dockerode.DockerOptions {
  const base: Dockerode.DockerOptions = timeoutMs ? { timeout: timeoutMs } : {};
  // No keep-alive (EndpointAgent has none either): Node (19+) pools HTTP connections by default, and a pooled
  // connection to a dockerd that has restarted since (enable and disable restart it) fails the next request with
  // "socket hang up" (seen under load). A connection over the unix socket costs well under a millisecond.
  if (ep.host.startsWith('unix://')) return { ...base, socketPath: ep.host.slice('unix://'.length), agent: new HttpAgent({ keepAlive: false }) } as Dockerode.DockerOptions;
  // tcp:// and ssh:// through our agent: docker-modem stays on its socket path (no url.parse), the agent connects
  return { ...base, socketPath: ep.host, agent: new EndpointAgent(targetOf(ep)) } as Dockerode.DockerOptions;
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
