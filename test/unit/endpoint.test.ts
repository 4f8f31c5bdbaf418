import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextDirName, isLocalHost, normaliseHost, resolveEndpoint } from '../../src/cli/endpoint';
import type { DockerGlobals } from '../../src/cli/argv';

const g = (over: Partial<DockerGlobals> = {}): DockerGlobals => ({ hosts: [], debug: false, tls: false, tlsVerify: false, ...over });

function makeConfig(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dipv6-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const addCtx = (name: string, host: string, tls?: boolean, skip = false) => {
    const id = contextDirName(name);
    mkdirSync(join(dir, 'contexts/meta', id), { recursive: true });
    writeFileSync(join(dir, 'contexts/meta', id, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: skip } } }));
    if (tls) {
      const td = join(dir, 'contexts/tls', id, 'docker');
      mkdirSync(td, { recursive: true });
      for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(td, f), `fake ${f}`);
    }
  };
  addCtx('lab', 'unix:///run/lab.sock');
  addCtx('remote', 'tcp://203.0.113.7:2376', true);
  addCtx('loose', 'tcp://127.0.0.1:2376', true, true);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ currentContext: 'lab' }));
  return dir;
}

test('the context store directory is sha256 of the name', (t) => {
  t.is(contextDirName('default'), '37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f');
});

test('-H wins over everything but is exclusive with --context', (t) => {
  const cfg = makeConfig(t);
  const ep = resolveEndpoint(g({ hosts: ['unix:///x.sock'], config: cfg }), { DOCKER_HOST: 'tcp://1.2.3.4:2375' });
  t.is(ep.host, 'unix:///x.sock');
  t.is(ep.source, '--host');
  t.true(ep.local);
  t.throws(() => resolveEndpoint(g({ hosts: ['unix:///x.sock'], context: 'lab', config: cfg }), {}), { message: /either specify --host or --context/ });
});

test('DOCKER_HOST beats DOCKER_CONTEXT and currentContext', (t) => {
  const cfg = makeConfig(t);
  const ep = resolveEndpoint(g({ config: cfg }), { DOCKER_HOST: 'tcp://198.51.100.1:2375', DOCKER_CONTEXT: 'remote' });
  t.is(ep.host, 'tcp://198.51.100.1:2375');
  t.is(ep.source, 'DOCKER_HOST');
  t.false(ep.local);
});

test('--context beats DOCKER_HOST (docker resolveContextName)', (t) => {
  const cfg = makeConfig(t);
  const ep = resolveEndpoint(g({ context: 'lab', config: cfg }), { DOCKER_HOST: 'tcp://198.51.100.1:2375' });
  t.is(ep.host, 'unix:///run/lab.sock');
  t.is(ep.source, 'context lab');
});

test('DOCKER_CONTEXT, then currentContext from $DOCKER_CONFIG/config.json, then the local socket', (t) => {
  const cfg = makeConfig(t);
  const viaEnv = resolveEndpoint(g(), { DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'remote' });
  t.is(viaEnv.host, 'tcp://203.0.113.7:2376');
  t.false(viaEnv.local);
  t.truthy(viaEnv.tls?.ca?.endsWith('ca.pem'));
  t.true(viaEnv.tls?.verify);
  const viaCfg = resolveEndpoint(g(), { DOCKER_CONFIG: cfg });
  t.is(viaCfg.host, 'unix:///run/lab.sock');
  const dflt = resolveEndpoint(g(), { DOCKER_CONFIG: join(cfg, 'nothing-here') });
  t.is(dflt.host, 'unix:///var/run/docker.sock');
  t.is(dflt.source, 'default');
});

test('context TLS with SkipTLSVerify and the explicit default context', (t) => {
  const cfg = makeConfig(t);
  const ep = resolveEndpoint(g({ context: 'loose', config: cfg }), {});
  t.false(ep.tls!.verify);
  t.true(ep.local);
  const d = resolveEndpoint(g({ context: 'default', config: cfg }), { DOCKER_HOST: 'unix:///other.sock' });
  t.is(d.host, 'unix:///var/run/docker.sock');
});

test('an unknown context is a usage error naming it', (t) => {
  const cfg = makeConfig(t);
  t.throws(() => resolveEndpoint(g({ context: 'nope', config: cfg }), {}), { message: /context "nope" does not exist/ });
});

test('TLS flags and DOCKER_CERT_PATH for a tcp host', (t) => {
  const cfg = makeConfig(t);
  const certs = join(cfg, 'certs');
  mkdirSync(certs);
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(certs, f), 'x');
  const ep = resolveEndpoint(g({ config: cfg }), { DOCKER_HOST: 'tcp://10.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs });
  t.deepEqual(ep.tls, { ca: join(certs, 'ca.pem'), cert: join(certs, 'cert.pem'), key: join(certs, 'key.pem'), verify: true });
});

test('host normalisation and locality', (t) => {
  t.is(normaliseHost('/run/d.sock'), 'unix:///run/d.sock');
  t.is(normaliseHost(':2375'), 'tcp://127.0.0.1:2375');
  t.is(normaliseHost('10.0.0.1:2375'), 'tcp://10.0.0.1:2375');
  t.true(isLocalHost('tcp://[::1]:2375'));
  t.true(isLocalHost('tcp://localhost:2375'));
  t.false(isLocalHost('ssh://me@server'));
  t.false(isLocalHost('tcp://192.0.2.1:2375'));
});
