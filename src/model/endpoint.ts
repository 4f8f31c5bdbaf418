// Which Docker daemon a run talks to, as data (resolved in cli/endpoint.ts), and why it cannot be reached.
import { PreconditionError } from '../errors';

export interface TlsMaterial {
  ca?: string; // paths
  cert?: string;
  key?: string;
  verify: boolean;
}

export interface Endpoint {
  /** unix:///path, tcp://host:port, ssh://user@host, npipe://... */
  host: string;
  tls?: TlsMaterial;
  /** Where the endpoint came from: "--host", "DOCKER_HOST", "context foo", "default". */
  source: string;
  /** True when the daemon runs on this machine (a unix socket, or tcp to loopback). */
  local: boolean;
}

/** Why the daemon cannot be reached, in words a person can act on. */
export function describeDockerError(ep: Endpoint, e: unknown): PreconditionError {
  const err = e as NodeJS.ErrnoException;
  const where = `${ep.host} (from ${ep.source})`;
  switch (err?.code) {
    case 'ENOENT':
      // not "systemctl start docker": when daemon.json keeps dockerd from starting that fails again; doctor names the cause
      return new PreconditionError(`Docker is not running: no socket at ${where}`, 'docker ipv6 doctor says why it is down and what starts it (or check -H / DOCKER_HOST)');
    case 'EACCES':
      return new PreconditionError(`permission denied on the Docker socket ${where}`, 'run as root or as a member of the docker group');
    case 'ECONNREFUSED':
      return new PreconditionError(`Docker refused the connection at ${where}: the daemon is down`, 'on the Docker host, docker ipv6 doctor says why it is down and what starts it (its log: journalctl -u docker)');
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return new PreconditionError(`Docker did not answer at ${where} in time`, 'check the daemon: journalctl -u docker');
    case 'ENOSSH':
      return new PreconditionError(`cannot reach Docker at ${where}: ${err.message}`, 'install the OpenSSH client (apt-get install openssh-client), or use a tcp:// endpoint');
    case 'ESSH':
      // the docker CLI's own ssh transport: ssh must log in without a prompt, and the remote needs a docker CLI
      return new PreconditionError(`cannot reach Docker at ${where}: ${err.message}`, `check that this works without a prompt: ssh ${ep.host.replace(/^ssh:\/\//, '')} docker system dial-stdio </dev/null (a key in ssh-agent or ~/.ssh/config, and a docker CLI on the remote host)`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new PreconditionError(`cannot reach Docker at ${where}: no route to that host`, 'check the address and the network path to the Docker host');
    default:
      return new PreconditionError(`cannot reach Docker at ${where}: ${err?.message ?? String(e)}`, 'check that dockerd runs: docker version');
  }
}
