// doctor's egress checks: the chosen NAT66 source (gone from the host; which NAT rule decides first for each network,
// on either firewall backend), Docker's host_ipv6 naming a gone address, and MTUs above the uplink's.
import test from 'ava';
import { runChecks } from '../../../src/doctor/checks';
import { natDecider, recreateCommand } from '../../../src/doctor/checks-egress';
import type { Finding } from '../../../src/doctor/types';
import { HOST_IPV6_OPTION, MTU_OPTION, NAT_SOURCE_LABEL } from '../../../src/model/docker';
import type { HostSnapshot } from '../../../src/observe/snapshot';
import { net } from '../../helpers/snapshot';
import { APP6, BRIDGE6, healthySnap, input } from './fixtures';

const SRC = '2001:db8:1::99';
const TAG = '-m comment --comment docker-ipv6';
const JUMP = `-A POSTROUTING ${TAG} -j D6-NAT`;
const DOCKER_BRIDGE = `-A POSTROUTING -s ${BRIDGE6} ! -o docker0 -j MASQUERADE`;
const DOCKER_APP = `-A POSTROUTING -s ${APP6} ! -o br-app -j MASQUERADE`;
const ours = (subnet: string, br: string) => `-A D6-NAT -s ${subnet} ! -o ${br} ${TAG} -j SNAT --to-source ${SRC}`;

/** The healthy host, enabled with a chosen source that is on eth0, our chain as reconcile leaves it. */
function sourced(postrouting: string[]): HostSnapshot {
  const s = healthySnap();
  s.state = { ...s.state!, natSource: SRC, enabled: { at: 'x', daemonJson: { path: '/etc/docker/daemon.json', undo: { previous: {} }, fileExisted: true }, sysctls: {}, sysctlFileWritten: true, natByUs: false, filterByUs: false } };
  s.host.net!.addresses.push({ ifindex: 2, ifname: 'eth0', family: 6, address: SRC, prefixlen: 64, scope: 0, flags: ['permanent'] });
  s.firewall.tables.nat = { chains: { POSTROUTING: 'ACCEPT', 'D6-NAT': '-' }, rules: [...postrouting, ours(BRIDGE6, 'docker0'), ours(APP6, 'br-app')] };
  return s;
}
const of = (f: Finding[], id: string) => f.filter((x) => x.id === id);

test('our jump first: every network of the prefix leaves with the chosen source', (t) => {
  const f = of(runChecks(input(sourced([JUMP, DOCKER_BRIDGE, DOCKER_APP]))), 'outside.nat-source');
  t.deepEqual(f.map((x) => [x.status, x.detail]), [['ok', `container egress leaves with ${SRC} (2 network(s): bridge, app)`]]);
});

test('Docker\'s masquerade above our jump (after a dockerd restart): warn per network, docker ipv6 apply fixes, --fix runs the nat step', (t) => {
  const f = of(runChecks(input(sourced([DOCKER_BRIDGE, JUMP, DOCKER_APP]))), 'outside.nat-source');
  t.is(f.length, 1);
  t.is(f[0].status, 'warn');
  t.is(f[0].subject, 'bridge');
  t.regex(f[0].detail, /network "bridge" \(fd11:2233:4455::\/64\) leaves with the kernel's choice \(a masquerade decides first\), not the chosen 2001:db8:1::99/);
  t.is(f[0].fix, 'docker ipv6 apply');
  t.deepEqual(f[0].auto, { kind: 'enable-steps', ids: ['firewall-nat'] });
});

test('the source gone from the host: fail, with another address to choose or the command that puts it back', (t) => {
  const s = sourced([JUMP]);
  s.host.net!.addresses = s.host.net!.addresses.filter((a) => a.address !== SRC);
  const f = of(runChecks(input(s)), 'outside.nat-source');
  t.is(f.length, 1);
  t.is(f[0].status, 'fail');
  t.regex(f[0].detail, /the chosen NAT66 source 2001:db8:1::99 is no longer an address of this host/);
  t.is(f[0].fix, `docker ipv6 enable --nat-source 2001:db8:1::2 (or put ${SRC} back on eth0, e.g. ip -6 addr add ${SRC}/64 dev eth0)`);
});

test('nothing chosen, or not in nat mode: no finding at all', (t) => {
  t.deepEqual(of(runChecks(input(healthySnap())), 'outside.nat-source'), []);
});

test('which rule decides: ip6tables in POSTROUTING order, our nftables chain before Docker\'s table', (t) => {
  const s = sourced([DOCKER_BRIDGE, JUMP]);
  t.is(natDecider(s, BRIDGE6), 'masquerade');
  t.is(natDecider(s, APP6), SRC);
  t.is(natDecider(s, 'fd00:77::/64'), undefined);
  const docker = sourced([`-A POSTROUTING -s ${APP6} ! -o br-app -j SNAT --to-source 2001:db8:1::2`, JUMP]);
  t.is(natDecider(docker, APP6), '2001:db8:1::2');
  const nft = sourced([JUMP]);
  nft.firewall = { ...nft.firewall, kind: 'nftables', dockerMasq: [{ source: BRIDGE6, bridge: 'docker0' }, { source: 'fd00:77::/64', bridge: 'br-x', to: '2001:db8:1::2' }] };
  t.is(natDecider(nft, BRIDGE6), SRC, 'our postrouting chain runs at srcnat - 1');
  t.is(natDecider(nft, 'fd00:77::/64'), '2001:db8:1::2');
});

test('Docker\'s own host_ipv6 naming an address the host lost: fail with the command that re-creates the network', (t) => {
  const s = healthySnap();
  s.networks = [...s.networks.filter((n) => n.name !== 'app'), net({ name: 'app', enableIPv6: true, ipv4Subnets: ['10.128.0.0/24'], ipv6Subnets: [APP6], options: { [HOST_IPV6_OPTION]: '2001:db8:1::77', [MTU_OPTION]: '1420' }, labels: { [NAT_SOURCE_LABEL]: '2001:db8:1::77' }, containers: 1 })];
  s.firewall.tables.nat!.rules = [`-A POSTROUTING -s ${BRIDGE6} ! -o docker0 -j MASQUERADE`, `-A POSTROUTING -s ${APP6} ! -o br-app -j SNAT --to-source 2001:db8:1::77`];
  const f = of(runChecks(input(s)), 'outside.nat-source');
  t.is(f.length, 1);
  t.is(f[0].status, 'fail');
  t.regex(f[0].detail, /network "app" has Docker SNAT its IPv6 egress to 2001:db8:1::77/);
  t.is(f[0].fix, `docker network rm app && docker ipv6 network create --subnet 10.128.0.0/24 --subnet ${APP6} --opt ${MTU_OPTION}=1420 --opt ${HOST_IPV6_OPTION}=2001:db8:1::2 app (disconnect its 1 container(s) first: docker network disconnect app NAME)`);
  // Docker 24 ignores the option: nothing to report
  s.daemon.version = '24.0.7';
  t.deepEqual(of(runChecks(input(s)), 'outside.nat-source'), []);
});

function mtuSnap(uplink: number, enabled: boolean): HostSnapshot {
  const s = healthySnap();
  s.host.net!.links = [{ index: 1, name: 'lo', up: true, mtu: 65536 }, { index: 2, name: 'eth0', up: true, mtu: uplink }, { index: 5, name: 'docker0', up: true, mtu: 1500 }, { index: 6, name: 'br-app', up: true, mtu: 1420 }, { index: 7, name: 'veth1', up: true, mtu: 1500, master: 6 }];
  s.networks = s.networks.map((n) => (n.name === 'app' ? { ...n, options: { [MTU_OPTION]: '1420' } } : n));
  const en = { at: 'x', daemonJson: { path: '/etc/docker/daemon.json', undo: { previous: {} }, fileExisted: true }, sysctls: {}, sysctlFileWritten: true, natByUs: false, filterByUs: false };
  s.state = enabled ? { ...s.state!, enabled: en } : { version: 1 };
  return s;
}

test('MTU: the default bridge above the uplink\'s: enable fixes it on an enabled host, doctor --fix sets "mtu" otherwise', (t) => {
  const on = of(runChecks(input(mtuSnap(1420, true))), 'networks.mtu');
  t.deepEqual(on.map((f) => [f.status, f.subject, f.fix]), [['warn', 'bridge', 'docker ipv6 enable (sets "mtu": 1420 in /etc/docker/daemon.json and restarts dockerd)']]);
  t.regex(on[0].detail, /the default bridge gives containers MTU 1500, above the uplink eth0's 1420: big packets from its containers then need an ICMPv6 Packet Too Big/);
  t.deepEqual(on[0].auto, { kind: 'enable' });
  const off = of(runChecks(input(mtuSnap(1420, false))), 'networks.mtu');
  t.deepEqual(off[0].auto, { kind: 'daemon-keys', set: { mtu: 1420 } });
  t.is(off[0].fix, 'docker ipv6 doctor --fix (sets "mtu": 1420 in /etc/docker/daemon.json and restarts dockerd)');
});

test('MTU: a user network above the uplink\'s is re-created with the option; a container interface left high is restarted', (t) => {
  const s = mtuSnap(1400, true);
  s.daemonConfig.value = { ...s.daemonConfig.value, mtu: 1400 };
  const f = runChecks(input(s));
  t.deepEqual(of(f, 'networks.mtu').map((x) => [x.subject, x.fix]), [['app', `docker network rm app && docker ipv6 network create --subnet 10.128.0.0/24 --subnet ${APP6} --opt ${MTU_OPTION}=1400 app (disconnect its 1 container(s) first: docker network disconnect app NAME)`]]);
  const s2 = mtuSnap(1420, true);
  s2.daemonConfig.value = { ...s2.daemonConfig.value, mtu: 1420 };
  const c = of(runChecks(input(s2)), 'containers.mtu');
  t.deepEqual(c.map((x) => [x.status, x.subject, x.fix]), [['warn', 'app', 'docker restart $(docker ps -q --filter network=app)']]);
  t.regex(c[0].detail, /1 container interface\(s\) on network "app" have MTU 1500, above the uplink eth0's 1420/);
  const fine = mtuSnap(1500, true);
  fine.host.net!.links = fine.host.net!.links.filter((l) => l.name !== 'veth1');
  t.deepEqual(of(runChecks(input(fine)), 'networks.mtu').map((x) => x.status), ['ok']);
});

test('a re-create command keeps options, quotes what a shell would split, and says when containers must leave first', (t) => {
  const n = net({ name: 'odd', ipv6Subnets: ['fd00:1::/64'], options: { 'com.example.note': 'a b\'c' }, internal: true });
  t.is(recreateCommand(n, { [MTU_OPTION]: '1280' }), `docker network rm odd && docker ipv6 network create --subnet fd00:1::/64 --internal --opt 'com.example.note=a b'\\''c' --opt ${MTU_OPTION}=1280 odd`);
});
