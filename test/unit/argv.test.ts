import test from 'ava';
import { splitArgv } from '../../src/cli/argv';

test('docker global flags before ipv6 are consumed', (t) => {
  const s = splitArgv(['-H', 'unix:///x.sock', '--debug', 'ipv6', 'status', '--json']);
  t.true(s.viaDocker);
  t.deepEqual(s.docker.hosts, ['unix:///x.sock']);
  t.true(s.docker.debug);
  t.deepEqual(s.args, ['status', '--json']);
});

test('context, config, log level and tls flags, = and attached forms', (t) => {
  const s = splitArgv(['--context=foo', '--config', '/cfg', '-ldebug', '--tlsverify', '--tlscacert=/ca.pem', '--tlscert', '/c.pem', '--tlskey', '/k.pem', 'ipv6', 'doctor']);
  t.is(s.docker.context, 'foo');
  t.is(s.docker.config, '/cfg');
  t.is(s.docker.logLevel, 'debug');
  t.true(s.docker.tlsVerify);
  t.is(s.docker.tlsCaCert, '/ca.pem');
  t.is(s.docker.tlsCert, '/c.pem');
  t.is(s.docker.tlsKey, '/k.pem');
  t.deepEqual(s.args, ['doctor']);
});

test('short context flag and attached -H', (t) => {
  const s = splitArgv(['-c', 'lab', '-Htcp://1.2.3.4:2376', 'ipv6', 'status']);
  t.is(s.docker.context, 'lab');
  t.deepEqual(s.docker.hosts, ['tcp://1.2.3.4:2376']);
  t.deepEqual(s.args, ['status']);
});

test('run directly: everything goes to the plugin parser', (t) => {
  const s = splitArgv(['status', '--json']);
  t.false(s.viaDocker);
  t.deepEqual(s.args, ['status', '--json']);
  const u = splitArgv(['--json', 'status']);
  t.false(u.viaDocker);
  t.deepEqual(u.args, ['--json', 'status']);
});

test('only the first ipv6 token is the plugin name', (t) => {
  const s = splitArgv(['ipv6', 'network', 'create', 'ipv6']);
  t.deepEqual(s.args, ['network', 'create', 'ipv6']);
});

test('help forms reach the plugin parser', (t) => {
  t.deepEqual(splitArgv(['ipv6', '--help']).args, ['--help']);
  t.deepEqual(splitArgv(['ipv6', 'status', '--help']).args, ['status', '--help']);
});

test('a value flag that looks like the plugin name is a value, not the plugin token', (t) => {
  const s = splitArgv(['--context', 'ipv6', 'ipv6', 'status']);
  t.is(s.docker.context, 'ipv6');
  t.deepEqual(s.args, ['status']);
});

test('docker help ipv6 arrives as "help ipv6" and becomes the plugin\'s help', (t) => {
  const s = splitArgv(['help', 'ipv6']);
  t.true(s.viaDocker);
  t.deepEqual(s.args, ['help']);
  t.deepEqual(splitArgv(['help', 'ipv6', 'status']).args, ['help', 'status']);
});
