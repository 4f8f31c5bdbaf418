import test from 'ava';
import { loadImageCommand, parseProbeReport, probeArgs, PROBE_FORMAT, rootFromLabels } from '../../../src/model/probe';
import { probeHostSide } from '../../../src/observe/remote';
import { ConfigError } from '../../../src/errors';
import { fakeRun } from '../../fakes/run';
import type { DaemonFacts } from '../../../src/observe/facts';

const daemon: DaemonFacts = { reachable: true, version: '28.5.2', labels: [], dataRoot: '/var/lib/docker', firewallDriver: 'nftables' };

test('the probe is asked for the host\'s root, its daemon\'s data root and Docker\'s backend; doctor facts only for doctor', (t) => {
  t.deepEqual(probeArgs({ root: '/', dataRoot: '/var/lib/docker', firewallBackend: 'nftables', doctor: true }),
    ['host-facts', '--host-mount', '/host', '--node-root', '/', '--data-root', '/var/lib/docker', '--firewall-backend', 'nftables', '--doctor']);
  t.deepEqual(probeArgs({ root: '/srv/x', firewallBackend: 'weird', doctor: false }), ['host-facts', '--host-mount', '/host', '--node-root', '/srv/x']);
});

test('a host says where docker-ipv6 keeps its files with a daemon label; anything but an absolute path without ".." means /', (t) => {
  t.is(rootFromLabels(['a=b', 'docker-ipv6.root=/srv/d6']), '/srv/d6');
  t.is(rootFromLabels(['docker-ipv6.root=relative']), '/');
  t.is(rootFromLabels(['docker-ipv6.root=/srv/../etc']), '/');
  t.is(rootFromLabels(undefined), '/');
});

test('a report of another format, or no report, is refused rather than misread', (t) => {
  t.regex((parseProbeReport('not json') as { error: string }).error, /printed no report/);
  t.regex((parseProbeReport(JSON.stringify({ format: 99, side: {}, configFile: '/x' })) as { error: string }).error, /format 99/);
  t.false('error' in parseProbeReport(JSON.stringify({ format: PROBE_FORMAT, side: {}, configFile: '/x', configFrom: 'y', root: '/' })));
});

test('the command that loads the image names the endpoint as the user did', (t) => {
  t.is(loadImageCommand({ host: 'ssh://a', source: 'context prod' }), 'docker --context prod ipv6 image');
  t.is(loadImageCommand({ host: 'tcp://10.0.0.1:2376', source: '--host' }), 'docker -H tcp://10.0.0.1:2376 ipv6 image');
});

test('another host without this build\'s image: its facts are unknown, with the command that loads it, never read here', async (t) => {
  const r = fakeRun();
  t.teardown(() => r.cleanup());
  r.fake.probe.answer = { kind: 'no-image' };
  const out = await probeHostSide(r.ctx, daemon, {});
  t.is(out.source.kind, 'unknown');
  t.regex(out.source.detail ?? '', /the probe image docker-ipv6:\S+ \(this build's\) is not on that host/);
  t.is(out.source.hint, 'load it there: docker -H unix:///var/run/docker.sock ipv6 image');
  t.deepEqual(out.side.host.sysctls, {}, 'no sysctl of this machine');
  t.is(out.side.host.net, undefined);
  t.false(out.side.firewall.available);
});

test('a probe that fails, or a Docker that does not answer, leaves the facts unknown; the reason is shown', async (t) => {
  const r = fakeRun();
  t.teardown(() => r.cleanup());
  r.fake.probe.answer = { kind: 'ran', exitCode: 3, stdout: '', stderr: 'boom\nthe last line' };
  t.regex((await probeHostSide(r.ctx, daemon, {})).source.detail ?? '', /the probe container failed there: boom \| the last line/);
  const down = await probeHostSide(r.ctx, { reachable: false }, {});
  t.is(down.source.kind, 'unknown');
  t.is(r.fake.probe.runs.length, 1, 'no probe through a Docker that does not answer');
});

test('the probe\'s report becomes the host side; a state file that host refuses stops status there as it would here', async (t) => {
  const r = fakeRun();
  t.teardown(() => r.cleanup());
  const side = { daemonConfig: { path: '/etc/docker/daemon.json', exists: false }, host: { uplink: 'eth0', uplinkReason: 'x', sysctls: { 'net.ipv6.conf.all.forwarding': '1' } }, firewall: { available: true, tables: {} } };
  const report = (extra: object) => ({ kind: 'ran' as const, exitCode: 0, stderr: '', stdout: JSON.stringify({ format: PROBE_FORMAT, configFile: '/etc/docker/daemon.json', configFrom: 'dockerd pid 7', root: '/', side: { ...side, ...extra }, extra: { bootUnitEnabled: true }, agent: null }) });
  r.fake.probe.answer = report({});
  const ok = await probeHostSide(r.ctx, daemon, { doctorFacts: true });
  t.is(ok.source.kind, 'probe');
  t.is(ok.side.host.sysctls['net.ipv6.conf.all.forwarding'], '1');
  t.deepEqual(ok.remote?.extra, { bootUnitEnabled: true });
  t.true(r.fake.probe.runs[0].args.includes('--doctor'));
  t.true(r.fake.probe.runs[0].args.includes('nftables'));
  r.fake.probe.answer = report({ stateError: 'state.json: prefix ::/0 is not one enable accepts', stateRefused: true });
  await t.throwsAsync(probeHostSide(r.ctx, daemon, {}), { instanceOf: ConfigError, message: /prefix ::\/0/ });
  const kept = await probeHostSide(r.ctx, daemon, { keepStateError: true });
  t.regex(kept.side.stateError ?? '', /prefix ::\/0/);
});
