import test from 'ava';
import { createServer } from 'node:net';
import { sshArgv, targetOf, EndpointAgent } from '../../../src/host/docker-transport';
import { dockerClient } from '../../../src/host/docker-api';
import { UsageError } from '../../../src/errors';

const ep = (host: string, tls?: { verify: boolean }) => ({ host, source: '--host', local: false, tls });

test('ssh:// runs what the docker CLI runs: ssh -o ConnectTimeout=30 -T [-l user] [-p port] -- host docker system dial-stdio', (t) => {
  t.deepEqual(sshArgv('ssh://root@docker1.example'), ['ssh', '-o', 'ConnectTimeout=30', '-T', '-l', 'root', '--', 'docker1.example', 'docker', 'system', 'dial-stdio']);
  t.deepEqual(sshArgv('ssh://docker1.example:2222'), ['ssh', '-o', 'ConnectTimeout=30', '-T', '-p', '2222', '--', 'docker1.example', 'docker', 'system', 'dial-stdio']);
  t.deepEqual(sshArgv('ssh://me@[2001:db8::5]:22').slice(-5), ['--', '2001:db8::5', 'docker', 'system', 'dial-stdio']);
});

test('ssh:// with a path, a password or no host is refused with the form it takes', (t) => {
  for (const bad of ['ssh://host/var/run/docker.sock', 'ssh://u:secret@host', 'ssh://', 'ssh:host']) {
    const e = t.throws(() => sshArgv(bad), { instanceOf: UsageError });
    t.truthy(e?.hint, bad);
  }
  // an option smuggled in as a host name stays after "--", where ssh reads it as the host
  t.deepEqual(sshArgv('ssh://-oProxyCommand=x').slice(4, 6), ['--', '-oProxyCommand=x']);
});

test('tcp:// endpoints: host, port (2375 plain, 2376 TLS by default), IPv6 literals; other schemes refused', (t) => {
  t.like(targetOf(ep('tcp://10.0.0.1:2375')), { kind: 'tcp', host: '10.0.0.1', port: 2375 });
  t.like(targetOf(ep('tcp://docker.example')), { kind: 'tcp', host: 'docker.example', port: 2375 });
  t.like(targetOf(ep('tcp://[2001:db8::1]')), { kind: 'tcp', host: '2001:db8::1', port: 2375 });
  t.like(targetOf(ep('tcp://docker.example', { verify: true })), { kind: 'tcp', port: 2376 });
  t.throws(() => targetOf(ep('npipe:////./pipe/docker_engine')), { instanceOf: UsageError });
  t.throws(() => targetOf(ep('tcp://host:port')), { instanceOf: UsageError });
});

test('a tcp:// endpoint is spoken to through our agent: the request arrives, and Node prints no url.parse deprecation (DEP0169)', async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => warnings.push(`${w.code}: ${w.message}`);
  process.on('warning', onWarning);
  t.teardown(() => { process.off('warning', onWarning); });
  const seen: string[] = [];
  const srv = createServer((c) => c.once('data', (d) => { seen.push(d.toString().split('\r\n')[0]); c.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK'); }));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => { srv.close(); });
  const port = (srv.address() as { port: number }).port;
  const client = await dockerClient({ host: `tcp://127.0.0.1:${port}`, source: 'test', local: true }, 5000);
  t.is(String(await client.ping()), 'OK');
  await new Promise((r) => setImmediate(r));
  t.deepEqual(seen, ['GET /_ping HTTP/1.1']);
  t.deepEqual(warnings.filter((w) => /DEP0169|url\.parse/.test(w)), []);
});

test('ssh through a program that is not there says so, with the code describeDockerError maps', async (t) => {
  const agent = new EndpointAgent({ kind: 'ssh', argv: ['/nonexistent/ssh', '--', 'h', 'docker', 'system', 'dial-stdio'] });
  const sock = agent.createConnection();
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => sock.on('error', resolve));
  t.is(err.code, 'ENOSSH');
  t.regex(err.message, /is not installed/);
});
