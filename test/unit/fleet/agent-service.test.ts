import test from 'ava';
import { agentServiceSpec } from '../../../src/model/agent-service';
import { UsageError } from '../../../src/errors';

const base = { name: 'docker-ipv6-agent', image: 'docker-ipv6:0.1.0-abc', nodeRoot: '/', dockerSocket: '/var/run/docker.sock', hostNetworkId: 'hostnet', interval: '30s' };

test('the global service: one agent per node, host network, the node\'s socket, /var/lib and /proc/sys, NET_ADMIN and NET_RAW only, read-only image', (t) => {
  const s = agentServiceSpec(base) as any;
  t.deepEqual(s.Mode, { Global: {} });
  t.deepEqual(s.TaskTemplate.Networks, [{ Target: 'hostnet' }]);
  const c = s.TaskTemplate.ContainerSpec;
  t.deepEqual(c.Args, ['agent', '--interval', '30s']);
  t.true(c.ReadOnly);
  t.deepEqual(c.CapabilityDrop, ['ALL']);
  t.deepEqual(c.CapabilityAdd, ['CAP_NET_ADMIN', 'CAP_NET_RAW']);
  t.deepEqual(c.Mounts.map((m: { Type: string; Source?: string; Target: string }) => `${m.Type} ${m.Source ?? '-'} ${m.Target}`), [
    'bind /var/run/docker.sock /var/run/docker.sock', 'bind /var/lib /host/var/lib', 'bind /proc/sys /host/proc/sys', 'tmpfs - /run', 'tmpfs - /tmp',
  ]);
  t.true(c.Env.includes('DOCKER_IPV6_ROOT=/host'));
  t.true(c.Env.includes('DOCKER_IPV6_PROC_SYS=/host/proc/sys'));
  t.false(c.Args.includes('--cleanup'), 'removing the service must remove nothing else');
  t.is(s.TaskTemplate.RestartPolicy.Condition, 'on-failure');
});

test('node paths take Swarm templates; a relative path, "..", a space or a comma (mount syntax) is refused', (t) => {
  const s = agentServiceSpec({ ...base, nodeRoot: '/srv/labs/{{.Node.Hostname}}/root/', dockerSocket: '/srv/labs/{{.Node.Hostname}}/docker.sock' }) as any;
  t.is(s.TaskTemplate.ContainerSpec.Mounts[0].Source, '/srv/labs/{{.Node.Hostname}}/docker.sock');
  t.is(s.TaskTemplate.ContainerSpec.Mounts[1].Source, '/srv/labs/{{.Node.Hostname}}/root/var/lib');
  for (const bad of ['var/run/docker.sock', '/a/../etc', '/a b', '/a,b']) t.throws(() => agentServiceSpec({ ...base, dockerSocket: bad }), { instanceOf: UsageError });
});
