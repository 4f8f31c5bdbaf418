import test from 'ava';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerdInOurNetns, socketsOf } from '../../../src/host/dockerd-procs';
import { flagValues } from '../../../src/daemon/keys';
import { hostAddresses } from '../../../src/lab/record';
import { pickDockerd } from '../../../src/fleet/host-facts';
import { runChecks, UNKNOWN_HOST_CHECKS } from '../../../src/doctor/checks';
import { snapshot } from '../../helpers/snapshot';
import { UsageError } from '../../../src/errors';

test('a dockerd listens where its -H flags say, Docker\'s default without them; fd:// is the docker.socket unit\'s', (t) => {
  t.deepEqual(flagValues(['dockerd', '-H', 'unix:///a.sock', '--host=tcp://0.0.0.0:2375', '-Hunix:///b.sock'], 'host', 'H'), ['unix:///a.sock', 'tcp://0.0.0.0:2375', 'unix:///b.sock']);
  t.deepEqual(socketsOf(['dockerd']), ['/var/run/docker.sock']);
  t.deepEqual(socketsOf(['dockerd', '-H', 'fd://']), ['/run/docker.sock']);
  t.deepEqual(socketsOf(['dockerd', '-H', 'tcp://0.0.0.0:2375']), []);
});

/** A /proc with one dockerd whose network namespace link is `ns` (ours is read from the real /proc/self). */
function fakeProc(t: { teardown(fn: () => void): void }, socket: string, ns: string): string {
  const proc = mkdtempSync(join(tmpdir(), 'd6-proc-'));
  t.teardown(() => rmSync(proc, { recursive: true, force: true }));
  mkdirSync(join(proc, '4242/ns'), { recursive: true });
  writeFileSync(join(proc, '4242/comm'), 'dockerd\n');
  writeFileSync(join(proc, '4242/cmdline'), ['dockerd', '-H', `unix://${socket}`, ''].join('\0'));
  symlinkSync(ns, join(proc, '4242/ns/net'));
  mkdirSync(join(proc, 'self/ns'), { recursive: true });
  symlinkSync(readlinkSync('/proc/self/ns/net'), join(proc, 'self/ns/net'));
  return proc;
}

test('a unix socket served by a dockerd in another network namespace is another host (a lab seen from outside)', async (t) => {
  const ep = { host: 'unix:///run/labs/x/docker.sock', source: '--host', local: true };
  t.false(await dockerdInOurNetns(ep, fakeProc(t, '/run/labs/x/docker.sock', 'net:[1]')));
  t.true(await dockerdInOurNetns(ep, fakeProc(t, '/run/labs/x/docker.sock', readlinkSync('/proc/self/ns/net'))));
  t.is(await dockerdInOurNetns(ep, fakeProc(t, '/run/other.sock', 'net:[1]')), undefined, 'no dockerd serves it: /proc does not tell');
  t.is(await dockerdInOurNetns({ ...ep, host: 'tcp://127.0.0.1:2375' }, fakeProc(t, '/x', 'net:[1]')), undefined);
});

test('the probe picks the dockerd the reader asked about by its data root (several run on a lab machine)', (t) => {
  const a = { pid: 1, argv: ['dockerd', '--data-root', '/run/labs/a/data', '--config-file', '/run/labs/a/daemon.json'] };
  const b = { pid: 2, argv: ['dockerd', '--data-root', '/run/labs/b/data'] };
  const sys = { pid: 3, argv: ['dockerd', '-H', 'fd://'] };
  t.is(pickDockerd([a, b, sys], '/run/labs/b/data'), b);
  t.is(pickDockerd([a, b, sys], '/var/lib/docker'), sys);
  t.is(pickDockerd([a, b], '/elsewhere'), undefined);
  t.is(pickDockerd([sys], undefined), sys);
});

test('lab hosts on one upstream link get the next addresses of its prefixes', (t) => {
  t.like(hostAddresses(0), { host6: '2001:db8:1::2', host4: '192.0.2.2', upstream6: '2001:db8:1::1' });
  t.like(hostAddresses(1), { host6: '2001:db8:1::3', host4: '192.0.2.3' });
  t.like(hostAddresses(14), { host6: '2001:db8:1::10', host4: '192.0.2.16' });
  t.throws(() => hostAddresses(201), { instanceOf: UsageError });
});

test('doctor on a host whose own facts are unknown judges only what Docker answered, and says what makes the rest readable', (t) => {
  const snap = { ...snapshot(), hostSource: { kind: 'unknown' as const, detail: 'the probe image docker-ipv6:x is not on that host', hint: 'load it there: docker --context b ipv6 image' } };
  const f = runChecks({ snap, extra: {}, restartCommand: 'x' }, UNKNOWN_HOST_CHECKS);
  t.deepEqual(f.map((x) => `${x.id}:${x.status}`), ['daemon.reachable:ok', 'host.facts:warn']);
  t.is(f[1].fix, 'load it there: docker --context b ipv6 image');
});
