// doctor's checks of what keeps our rules in step with Docker: the agent where the mode needs it, and the reconcile
// engine's own diff (a port published after enable is named; nothing here parses a rule).
import test from 'ava';
import { runChecks } from '../../../src/doctor/checks';
import { driftOf } from '../../../src/reconcile/drift';
import { desiredState } from '../../../src/reconcile/desired';
import { planReconcile } from '../../../src/reconcile/diff';
import { ownedFrom } from '../../../src/reconcile/owned';
import { dockerView } from '../../../src/model/docker';
import { parseSave } from '../../../src/model/ip6tables-save';
import type { HostSnapshot } from '../../../src/observe/snapshot';
import type { ExtraFacts, Finding } from '../../../src/doctor/types';
import { FakeFirewall } from '../../fakes/firewall';
import { net } from '../../helpers/snapshot';
import { healthySnap, input } from './fixtures';

const PREFIX = '2001:db8:2::/48';

/** A routed host whose D6-FORWARD the reconcile engine wrote for `ports` of container web (then Docker goes on). */
async function routed(ports: number[]): Promise<HostSnapshot> {
  const s = healthySnap();
  s.daemonConfig.value = { ipv6: true, 'fixed-cidr-v6': '2001:db8:2::/64', ip6tables: false };
  s.state = { version: 1, prefix: PREFIX, mode: 'routed', uplink: 'eth0', enabled: { at: 'x', daemonJson: { path: '/etc/docker/daemon.json', fileExisted: true, undo: { previous: {} } }, sysctls: {}, sysctlFileWritten: true, natByUs: false, filterByUs: true } };
  s.networks = [net({ name: 'bridge', enableIPv6: true, ipv4Subnets: ['172.17.0.0/16'], ipv6Subnets: ['2001:db8:2::/64'] }), net({ name: 'app', bridge: 'br-app', enableIPv6: true, ipv6Subnets: ['2001:db8:2:1::/64'] })];
  s.containers = [{ id: 'c1', name: 'web', state: 'running', networks: [{ network: 'app', ipv6: '2001:db8:2:1::2' }], ports: ports.map((p) => ({ ip: '::', privatePort: p, publicPort: 8000 + p, type: 'tcp' })) }];
  const fw = new FakeFirewall();
  const plan = planReconcile(desiredState(ownedFrom(s.state), dockerView(s.networks, s.containers), s.host.sysctls, s.host.net!.links), { docker: dockerView(s.networks, s.containers), tables: parseSave(await fw.save()), links: s.host.net!.links, addresses: s.host.net!.addresses, routes: [], proxies: [], sysctls: s.host.sysctls, state: s.state });
  await fw.restore(plan.batch!);
  s.firewall = { ...s.firewall, kind: 'ip6tables', tables: parseSave(await fw.save()) };
  s.host.net!.routes.push({ family: 6, dst: PREFIX, table: 254, protocol: 'STATIC', type: 'UNREACHABLE', ifname: 'lo' });
  s.host.sysctls['net.ipv6.conf.eth0.accept_ra'] = '2';
  return s;
}

const only = (all: Finding[], id: string) => all.filter((f) => f.id === id);

test('firewall.in-step: ok as the engine wrote it; a port published after enable fails, named, with docker ipv6 apply', async (t) => {
  const s = await routed([80]);
  t.deepEqual(only(runChecks(input(s)), 'firewall.in-step').map((f) => f.status), ['ok']);
  // Docker publishes 443 too (a container started after enable): our chain still has 80 only
  s.containers[0].ports.push({ ip: '::', privatePort: 443, publicPort: 8443, type: 'tcp' });
  const f = only(runChecks(input(s)), 'firewall.in-step')[0];
  t.is(f.status, 'fail');
  t.regex(f.detail, /published port\(s\) missing from our filter, closed from outside: web 443\/tcp \(/);
  t.is(f.fix, 'docker ipv6 apply');
  t.deepEqual(f.auto, { kind: 'apply' });
  // the engine says why: the same words apply and the agent log
  t.regex(f.detail, /update firewall filter D6-FORWARD: chain D6-INBOUND differs from the networks \(1 rule\(s\) to add/);
});

test('driftOf: nothing when not enabled; the missing ports of exactly the container whose rules are missing', async (t) => {
  const s = await routed([80]);
  const obs = { docker: dockerView(s.networks, s.containers), tables: s.firewall.tables, links: s.host.net!.links, addresses: s.host.net!.addresses, routes: s.host.net!.routes, proxies: [], sysctls: s.host.sysctls, state: s.state };
  t.deepEqual(driftOf(obs)!.missingPorts, []);
  t.is(driftOf({ ...obs, state: { version: 1 } }), undefined);
  const more = [...s.containers, { id: 'c2', name: 'api', state: 'running', networks: [{ network: 'app', ipv6: '2001:db8:2:1::3' }], ports: [{ ip: '::', privatePort: 9000, publicPort: 9000, type: 'tcp' }] }];
  t.deepEqual(driftOf({ ...obs, docker: dockerView(s.networks, more) })!.missingPorts, [{ container: 'api', ports: ['9000/tcp'] }]);
});

test('firewall.agent: fails where the mode needs it and it does not run, with the command for this host', async (t) => {
  const s = await routed([80]);
  const noSystemd: ExtraFacts = { agent: { running: false }, services: { systemd: false, units: [] }, agentCommand: 'nohup docker ipv6 agent >>/var/lib/docker-ipv6/agent.log 2>&1 &' };
  const f = only(runChecks(input(s, noSystemd)), 'firewall.agent')[0];
  t.is(f.status, 'fail');
  t.regex(f.detail, /not running \(routed mode\): ports published and networks created from now on stay closed from outside until docker ipv6 apply runs\. No systemd/);
  t.is(f.fix, noSystemd.agentCommand!);
  t.is(only(runChecks(input(s, { ...noSystemd, agent: { running: true, pid: 7 } })), 'firewall.agent')[0].status, 'ok');
  // systemd with the unit installed: its own command; not installed: enable puts it in place
  const unit = { name: 'docker-ipv6-agent.service', path: '/usr/lib/systemd/system/docker-ipv6-agent.service', enabled: false, active: false };
  t.is(only(runChecks(input(s, { agent: { running: false }, services: { systemd: true, units: [unit] } })), 'firewall.agent')[0].fix, 'systemctl enable --now docker-ipv6-agent.service');
  t.regex(only(runChecks(input(s, { agent: { running: false }, services: { systemd: true, units: [] } })), 'firewall.agent')[0].fix, /^docker ipv6 enable/);
  t.is(only(runChecks(input(s, { services: { systemd: true, units: [{ ...unit, active: true }] } })), 'firewall.agent')[0].status, 'ok');
  // nat with Docker's own NAT needs no agent
  t.deepEqual(only(runChecks(input(healthySnap(), noSystemd)), 'firewall.agent'), []);
});

test('ports.userland-proxy in routed mode does not tell the operator to switch to NAT', async (t) => {
  const s = await routed([80]);
  const f = only(runChecks(input(s)), 'ports.userland-proxy')[0];
  t.is(f.status, 'ok');
  t.notRegex(`${f.detail} ${f.fix}`, /docker ipv6 enable/);
});

test('doctor --fix never restarts dockerd with a default bridge on the host\'s or router\'s prefix', async (t) => {
  const { fakeRun } = await import('../../fakes/run');
  const { planFixes } = await import('../../../src/doctor/fix');
  const r = fakeRun();
  t.teardown(r.cleanup);
  const text = '{"ipv6": true, "fixed-cidr-v6": "2001:db8:1::/64", "ip6tables": true}';
  const snap = { ...r.snap, daemonConfig: { ...r.snap.daemonConfig, text, value: JSON.parse(text) } };
  const f = { id: 'daemon.experimental', layer: 'daemon' as const, status: 'fail' as const, detail: '', fix: '', auto: { kind: 'daemon-keys' as const, set: { experimental: true } } };
  const plan = planFixes(r.ctx, snap, [f]);
  t.deepEqual(plan.steps, []);
  t.regex(plan.errors.join(' '), /not restarting dockerd: "fixed-cidr-v6": "2001:db8:1::\/64" holds the host's own address 2001:db8:1::2/);
});
