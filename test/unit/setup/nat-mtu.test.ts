// enable --nat-source and the MTU: the addresses one may choose, refusals that list them, a saved source kept,
// dropped or refused, our SNAT in the plan, and the uplink's MTU taken for the default bridge (pure planning).
import test from 'ava';
import { planEnable, type EnableOptions } from '../../../src/setup/plan';
import { natSourceChoices, checkNatSourceSyntax } from '../../../src/setup/nat-source';
import { planText } from '../../../src/enable/plan-text';
import { UsageError } from '../../../src/errors';
import type { AddrInfo } from '../../../src/model/net';
import type { HostSnapshot } from '../../../src/observe/snapshot';
import { net, snapshot } from '../../helpers/snapshot';

const opts = (over: Partial<EnableOptions> = {}): EnableOptions => ({
  prefix: 'auto', mode: 'auto', randomDraws: [Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a])], sysctlConfPath: '/etc/sysctl.d/60-docker-ipv6.conf', ...over,
});
const a6 = (ifname: string, address: string, flags: string[] = ['permanent'], scope = 0): AddrInfo => ({ ifindex: ifname === 'eth0' ? 2 : 9, ifname, family: 6, address, prefixlen: 64, scope, flags });

/** Docker 28; eth0 with two stable addresses and some that must never be offered. */
function host(over: Partial<HostSnapshot> = {}, mtu = 1500): HostSnapshot {
  const base = snapshot();
  return snapshot({
    daemon: { reachable: true, version: '28.5.2', apiVersion: '1.51' },
    host: {
      ...base.host,
      net: {
        ...base.host.net!,
        links: [{ index: 1, name: 'lo', up: true, mtu: 65536 }, { index: 2, name: 'eth0', up: true, mtu }, { index: 9, name: 'docker0', up: true, mtu: 1500 }],
        addresses: [
          ...base.host.net!.addresses,
          a6('eth0', '2001:db8:1::99'),
          a6('eth0', '2001:db8:1::abcd', ['secondary']), // a temporary (privacy) address: it goes away
          a6('eth0', '2001:db8:1::dad', ['tentative']),
          a6('eth0', '2001:db8:1::de', ['deprecated']),
          a6('docker0', 'fd12:3456:789a::1'), // the default bridge's gateway: a container address, not the host's way out
          a6('eth0', 'fe80::99', ['permanent'], 253),
          a6('lo', '::1', ['permanent'], 254),
        ],
      },
    },
    ...over,
  });
}

test('the choices: stable global and ULA addresses outside Docker\'s links and the prefix, the uplink\'s first', (t) => {
  const s = host();
  s.host.net!.addresses.push(a6('wg0', 'fd00:99::1'));
  t.deepEqual(natSourceChoices(s), [
    { address: '2001:db8:1::2', ifname: 'eth0', ula: false },
    { address: '2001:db8:1::99', ifname: 'eth0', ula: false },
    { address: 'fd00:99::1', ifname: 'wg0', ula: true },
  ]);
});

test('an address that is not the host\'s is refused before any change, with the list to choose from', (t) => {
  const e = t.throws(() => planEnable(host(), opts({ natSource: '2001:db8:1::5' })), { instanceOf: UsageError });
  t.is(e.message, '--nat-source 2001:db8:1::5 is not one of this host\'s global IPv6 addresses; choose from: 2001:db8:1::2 (eth0), 2001:db8:1::99 (eth0)');
  t.regex(e.hint!, /^docker ipv6 enable --nat-source 2001:db8:1::2 \(or add the address to an interface first: ip -6 addr add 2001:db8:1::5\/64 dev eth0\)/);
  for (const notOurs of ['2001:db8:1::abcd', '2001:db8:1::dad', '2001:db8:1::de', 'fd12:3456:789a::1', 'fe80::99', '::1']) {
    t.throws(() => planEnable(host(), opts({ natSource: notOurs })), { message: /is not one of this host's global IPv6 addresses/ }, notOurs);
  }
  t.throws(() => checkNatSourceSyntax('2001:db8::/64'), { message: /is not an IPv6 address/ });
  t.throws(() => checkNatSourceSyntax('eth0'), { message: /is not an IPv6 address/ });
  t.notThrows(() => checkNatSourceSyntax('none'));
});

test('nat mode: the source is planned in its canonical form, our SNAT predicted, and said in the plan', (t) => {
  const p = planEnable(host(), opts({ natSource: '2001:DB8:1:0::99' }));
  t.is(p.mode, 'nat');
  t.is(p.natSource, '2001:db8:1::99');
  t.true(p.natStep);
  t.is(p.firewallAfterRestart.nat!.split('\n').find((l) => l.startsWith('-A D6-NAT')), '-A D6-NAT -s fd12:3456:789a::/64 ! -o docker0 -m comment --comment docker-ipv6 -j SNAT --to-source 2001:db8:1::99');
  t.regex(planText(p, []), /^Source {3}container egress leaves with 2001:db8:1::99: docker-ipv6's SNAT rule in chain D6-NAT for the default bridge/m);
  t.is(planEnable(host(), opts()).natSource, undefined, 'none given, none saved: the kernel chooses (Docker\'s masquerade)');
  // our SNAT follows new networks and Docker's re-inserted NAT rule only while the agent runs
  t.true(p.agentNeeded);
  t.false(planEnable(host(), opts()).agentNeeded, 'Docker\'s own NAT alone needs no agent');
});

test('--nat-source outside nat mode is refused; a saved one is dropped there with a note, kept in nat mode, refused when gone', (t) => {
  t.throws(() => planEnable(host(), opts({ prefix: '2001:db8:100::/48', natSource: '2001:db8:1::99' })), { message: /--nat-source works in nat mode only; this enable runs in routed mode/ });
  const saved = host({ state: { version: 1, prefix: 'fd12:3456:789a::/48', natSource: '2001:db8:1::99' } });
  t.is(planEnable(saved, opts()).natSource, '2001:db8:1::99');
  t.is(planEnable(saved, opts({ natSource: 'none' })).natSource, undefined);
  const routed = planEnable(host({ state: { version: 1, natSource: '2001:db8:1::99' } }), opts({ prefix: '2001:db8:100::/48' }));
  t.is(routed.natSource, undefined);
  t.true(routed.notes.some((n) => /the NAT66 source 2001:db8:1::99 saved by an earlier enable does not apply in routed mode: it is dropped/.test(n)));
  const gone = host({ state: { version: 1, prefix: 'fd12:3456:789a::/48', natSource: '2001:db8:1::77' } });
  t.throws(() => planEnable(gone, opts()), { message: /^the NAT66 source 2001:db8:1::77 saved by an earlier enable is no longer an address this host may leave with; choose from: 2001:db8:1::2 \(eth0\), 2001:db8:1::99 \(eth0\)$/ });
});

test('dropping the source removes our nat chain after the restart; keeping Docker\'s NAT without a source plans no nat step', (t) => {
  const s = host({ state: { version: 1, prefix: 'fd12:3456:789a::/48', natSource: '2001:db8:1::99' } });
  s.firewall.tables = { nat: { chains: { POSTROUTING: 'ACCEPT', 'D6-NAT': '-' }, rules: ['-A POSTROUTING -m comment --comment docker-ipv6 -j D6-NAT'] } };
  const p = planEnable(s, opts({ natSource: 'none' }));
  t.true(p.natStep, 'the chain left from the source is removed');
  t.false(planEnable(host(), opts()).natStep);
});

test('an uplink below Docker\'s 1500 lowers the default bridge ("mtu") and says so; 1500 or more, or below 1280, changes nothing', (t) => {
  const p = planEnable(host({}, 1420), opts());
  t.is(p.daemonJson.set.mtu, 1420);
  t.deepEqual(p.mtu, { uplink: 'eth0', uplinkMtu: 1420, before: 1500, after: 1420 });
  t.true(p.notes.some((n) => /the uplink eth0 carries 1420 bytes, less than the 1500 Docker gives containers: the default bridge \("mtu": 1420\) and the networks docker ipv6 network create makes get 1420/.test(n)));
  t.regex(planText(p, []), /^MTU {6}1420 for the default bridge and the networks docker ipv6 network create makes/m);
  // a router advertisement's MTU counts too
  const ra = host({}, 1500);
  ra.host.sysctls['net.ipv6.conf.eth0.mtu'] = '1480';
  t.is(planEnable(ra, opts()).daemonJson.set.mtu, 1480);
  t.false('mtu' in planEnable(host({}, 1500), opts()).daemonJson.set);
  t.false('mtu' in planEnable(host({}, 9000), opts()).daemonJson.set);
  t.false('mtu' in planEnable(host({}, 1200), opts()).daemonJson.set);
  // the admin's own lower MTU stays
  const lower = host({ daemonConfig: { path: '/etc/docker/daemon.json', exists: true, text: '{"mtu": 1400}', value: { mtu: 1400 } } }, 1420);
  t.false('mtu' in planEnable(lower, opts()).daemonJson.set);
});

test('an enabled host whose only difference is the source or the MTU is not a no-op', (t) => {
  const first = planEnable(host(), opts());
  const value = JSON.parse(first.daemonJson.after);
  const enabled = (natSource?: string, mtu?: number) => host({
    daemonConfig: { path: '/etc/docker/daemon.json', exists: true, text: first.daemonJson.after, value },
    networks: [net({ name: 'bridge', enableIPv6: true, ipv4Subnets: ['172.17.0.0/16'], ipv6Subnets: ['fd12:3456:789a::/64'] })],
    state: { version: 1, prefix: first.prefix, mode: 'nat', uplink: 'eth0', ...(natSource ? { natSource } : {}), enabled: { at: 'x', daemonJson: { path: '/etc/docker/daemon.json', undo: first.daemonJson.undo, fileExisted: true }, sysctls: {}, sysctlFileWritten: true, natByUs: false, filterByUs: false, ...(mtu ? { mtu } : {}) } },
  });
  const sysctls = { 'net.ipv6.conf.eth0.accept_ra': '2', 'net.ipv6.conf.all.forwarding': '1', 'net.ipv6.conf.default.forwarding': '1' };
  const same = enabled();
  Object.assign(same.host.sysctls, sysctls);
  t.true(planEnable(same, opts()).noop);
  const source = enabled();
  Object.assign(source.host.sysctls, sysctls);
  const p = planEnable(source, opts({ natSource: '2001:db8:1::99' }));
  t.false(p.noop);
  t.false(p.restart, 'a source needs no dockerd restart');
  const savedSame = enabled('2001:db8:1::99');
  Object.assign(savedSame.host.sysctls, sysctls);
  t.true(planEnable(savedSame, opts()).noop);
});
