// The agent as a Swarm global service, as data (pure): the service spec `docker ipv6 agent service create` sends.
// Each node runs the agent from that node's own state, in its host network, with only what the agent needs.
import { UsageError } from '../errors';

export const SERVICE_NAME = 'docker-ipv6-agent';
export const SERVICE_LABEL = 'com.docker-ipv6.agent';

export interface AgentServiceOptions {
  name: string;
  image: string;
  /** docker-ipv6's root on each node (Swarm templates allowed, e.g. {{.Node.Hostname}}) */
  nodeRoot: string;
  /** the Docker socket on each node (Swarm templates allowed) */
  dockerSocket: string;
  /** the host network's id on the manager (Swarm's "host" network) */
  hostNetworkId: string;
  interval: string;
}

/** A path with Swarm's node templates in it, checked as far as it can be before a node fills it in. */
function nodePath(p: string, what: string): string {
  if (!p.startsWith('/') || p.split('/').includes('..') || /[\s,]/.test(p)) {
    throw new UsageError(`${what} must be an absolute path without "..", spaces or commas, got "${p}"`, 'e.g. /var/run/docker.sock, or with a Swarm template: /srv/{{.Node.Hostname}}/docker.sock');
  }
  return p.replace(/\/+$/, '') || '/';
}

/**
 * Mounts, each for a reason: the node's Docker socket (events, networks, containers); the node's /var/lib under its
 * docker-ipv6 root, read-write (its state folder, lock and status file live in var/lib/docker-ipv6; /var/lib exists on
 * every node, so a node that was never enabled still starts the task, which then waits); the node's /proc/sys (the
 * container's own is read-only, and the agent raises forwarding and proxy_ndp in the host's namespace); tmpfs /run
 * and /tmp for the xtables lock and temp files of a read-only image. Capabilities: NET_ADMIN (firewall, routes, NDP
 * proxies, net sysctls) and NET_RAW (legacy ip6tables), nothing else.
 */
export function agentServiceSpec(o: AgentServiceOptions): Record<string, unknown> {
  const root = nodePath(o.nodeRoot, '--node-root');
  const varLib = root === '/' ? '/var/lib' : `${root}/var/lib`;
  return {
    Name: o.name,
    Labels: { [SERVICE_LABEL]: '1', 'com.docker-ipv6.image': o.image },
    TaskTemplate: {
      ContainerSpec: {
        Image: o.image,
        Args: ['agent', '--interval', o.interval],
        Env: ['DOCKER_IPV6_ROOT=/host', 'DOCKER_IPV6_PROC_SYS=/host/proc/sys', 'HOME=/root'],
        ReadOnly: true,
        Mounts: [
          { Type: 'bind', Source: nodePath(o.dockerSocket, '--docker-socket'), Target: '/var/run/docker.sock' },
          { Type: 'bind', Source: varLib, Target: '/host/var/lib' },
          { Type: 'bind', Source: '/proc/sys', Target: '/host/proc/sys' },
          { Type: 'tmpfs', Target: '/run' },
          { Type: 'tmpfs', Target: '/tmp' },
        ],
        CapabilityDrop: ['ALL'],
        CapabilityAdd: ['CAP_NET_ADMIN', 'CAP_NET_RAW'],
        // the agent finishes its pass on SIGTERM (it never cleans up here: removing the service removes nothing else)
        StopGracePeriod: 15_000_000_000,
      },
      RestartPolicy: { Condition: 'on-failure', Delay: 5_000_000_000 },
      Networks: [{ Target: o.hostNetworkId }],
      Placement: { Constraints: ['node.platform.os == linux'] },
    },
    Mode: { Global: {} },
  };
}
