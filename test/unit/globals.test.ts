import test from 'ava';
import { resolveGlobals, splitCommand } from '../../src/cli/globals';
import { validateIfName } from '../../src/model/names';
import { checkPrefixSyntax } from '../../src/setup/prefix';

test('restart command: split without a shell; empty is a usage error, not the default', (t) => {
  t.deepEqual(splitCommand(`sh -c 'echo "a b"' x\\ y`), ['sh', '-c', 'echo "a b"', 'x y']);
  t.deepEqual(resolveGlobals({ restartCommand: 'systemctl restart docker' }, {}).restartCommand, ['systemctl', 'restart', 'docker']);
  t.throws(() => resolveGlobals({ restartCommand: '' }, {}), { message: /--restart-command is empty/ });
  t.throws(() => resolveGlobals({}, { DOCKER_IPV6_RESTART_COMMAND: '  ' }), { message: /--restart-command is empty/ });
  t.throws(() => splitCommand("sh -c 'open"), { message: /unterminated quote/ });
});

test('root, config file and env fallbacks', (t) => {
  const g = resolveGlobals({}, { DOCKER_IPV6_ROOT: '/tmp', DOCKER_IPV6_DOCKERD: '/x/dockerd' });
  t.is(g.root, '/tmp');
  t.is(g.configFile, '/tmp/etc/docker/daemon.json');
  t.is(g.dockerd, '/x/dockerd');
  t.throws(() => resolveGlobals({ root: 'relative' }, {}), { message: /absolute/ });
});

test('interface names are checked before any command sees them', (t) => {
  for (const bad of ['-rf', 'a b', 'x'.repeat(16), 'a/b', '', '..']) t.throws(() => validateIfName(bad), { message: /invalid interface name/ }, bad);
  for (const ok of ['eth0', 'eth0.100', 'enp0s31f6', 'br-0123456789ab', 'wg@1']) t.is(validateIfName(ok), ok);
});

test('prefix syntax is judged before the host is looked at', (t) => {
  t.throws(() => checkPrefixSyntax('garbage'), { message: /is not an IPv6 prefix/ });
  t.throws(() => checkPrefixSyntax('garbage/48'), { message: /is not an IPv6 prefix/ });
  t.throws(() => checkPrefixSyntax('fd00::'), { message: /has no length/ });
  t.throws(() => checkPrefixSyntax('10.0.0.0/8'), { message: /is IPv4/ });
  t.is(checkPrefixSyntax('FD00:1::/48').network, 'fd00:1::');
});
