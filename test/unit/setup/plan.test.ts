import test from 'ava';
import { planEnable, type EnableOptions } from '../../../src/setup/plan';
import { v6PoolsFor, DOCKER_DEFAULT_V4_POOLS } from '../../../src/model/pools';
import { parseCidr6 } from '../../../src/model/ip';
import { net, snapshot } from '../../helpers/snapshot';

const opts = (over: Partial<EnableOptions> = {}): EnableOptions => ({
  prefix: 'auto', mode: 'auto', randomDraws: [Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a])], sysctlConfPath: '/etc/sysctl.d/60-docker-ipv6.conf', ...over,
});

test('auto on Docker 20.10: ULA /48, nat mode, experimental for ip6tables, key order kept, unrelated key kept', (t) => {
  const p = planEnable(snapshot(), opts());
  t.is(p.prefix, 'fd12:3456:789a::/48');
  t.is(p.prefixSource, 'generated');
  t.is(p.mode, 'nat');
  t.is(p.bridgeSubnet, 'fd12:3456:789a::/64');
  t.deepEqual(Object.keys(p.daemonJson.set), ['ipv6', 'fixed-cidr-v6', 'ip6tables', 'experimental', 'default-address-pools']);
  t.true(p.daemonJson.after.startsWith('{\n  "log-level": "info",\n  "ipv6": true,'));
  const pools = JSON.parse(p.daemonJson.after)['default-address-pools'];
  t.deepEqual(pools.slice(0, 7), DOCKER_DEFAULT_V4_POOLS);
  t.false(p.natByUs);
  t.true(p.restart);
  t.false(p.noop);
});

test('Docker 28 needs no experimental', (t) => {
  const p = planEnable(snapshot({ daemon: { reachable: true, version: '28.5.2', apiVersion: '1.51' } }), opts());
  t.false('experimental' in p.daemonJson.set);
  t.is(p.daemonJson.set.ip6tables, true);
});

test('IPv6 pools cover the prefix except the bridge /64, without overlap', (t) => {
  const pools = v6PoolsFor(parseCidr6('fd12:3456:789a::/48')!);
  t.is(pools.length, 16);
  t.deepEqual(pools[0], { base: 'fd12:3456:789a:8000::/49', size: 64 });
  t.deepEqual(pools[15], { base: 'fd12:3456:789a:1::/64', size: 64 });
  let total = 0n;
  for (const p of pools) { const c = parseCidr6(p.base)!; total += c.end - c.start + 1n; t.false(c.start === parseCidr6('fd12:3456:789a::/64')!.start); }
  t.is(total, (1n << 80n) - (1n << 64n));
});

test('forwarding: accept_ra=2 on the uplink comes before forwarding', (t) => {
  const p = planEnable(snapshot(), opts());
  t.deepEqual(p.sysctls.map((s) => `${s.key}=${s.to}`), [
    'net.ipv6.conf.eth0.accept_ra=2', 'net.ipv6.conf.default.forwarding=1', 'net.ipv6.conf.all.forwarding=1',
  ]);
  t.true(p.sysctlConf.text.includes('net.ipv6.conf.all.forwarding = 1'));
});

test('a global prefix outside the on-link /64 is routed, with the upstream route printed', (t) => {
  const p = planEnable(snapshot(), opts({ prefix: '2001:db8:2::/48' }));
  t.is(p.mode, 'routed');
  t.is(p.upstreamRoute, '2001:db8:2::/48 via 2001:db8:1::2');
  t.is(p.daemonJson.set.ip6tables, false);
  t.true(p.filterByUs);
});

test('a strict part of the on-link /64 is ndp, with a proxy entry for the gateway', (t) => {
  const p = planEnable(snapshot(), opts({ prefix: '2001:db8:1:0:8000::/80' }));
  t.is(p.mode, 'ndp');
  t.is(p.bridgeSubnet, '2001:db8:1:0:8000::/88');
  t.deepEqual(p.ndpProxies, [{ address: '2001:db8:1:0:8000::1', ifname: 'eth0' }]);
  t.true(p.sysctls.some((s) => s.key === 'net.ipv6.conf.eth0.proxy_ndp' && s.to === '1'));
});

test('refusals say why', (t) => {
  const s = snapshot({ networks: [...snapshot().networks, net({ name: 'web', enableIPv6: true, ipv6Subnets: ['fd99::/64'] })] });
  const cases: Array<[string, RegExp]> = [
    ['10.0.0.0/8', /is IPv4/],
    ['fe80::/64', /link-local/],
    ['ff00::/8', /multicast/],
    ['nonsense/64', /not an IPv6 prefix/],
    ['2001:db8:1::/64', /contains the host's own address|overlaps the uplink/],
    ['2001:db8::/32', /contains the host's own address|overlaps the uplink/],
    ['fd99::/48', /overlaps Docker network "web"/],
    ['fd00::1/64', /host bits/],
    ['fd00::/116', /too small/],
    ['64:ff9b::/96', /not global unicast/],
    ['100::/64', /not global unicast/],
    ['2001:db8:1::/80', /host's own address/],
    ['2001:db8:1::/72', /host's own address/],
  ];
  for (const [prefix, re] of cases) t.throws(() => planEnable(s, opts({ prefix })), { message: re }, prefix);
});

test('unknown uplink, Docker down, malformed daemon.json, missing ip6tables are refused before any change', (t) => {
  t.throws(() => planEnable(snapshot({ host: { ...snapshot().host, error: 'the uplink eth9 does not exist' } }), opts()), { message: /eth9 does not exist/ });
  t.throws(() => planEnable(snapshot({ daemon: { reachable: false, error: 'Docker is not running' } }), opts()), { message: /not running/ });
  t.throws(() => planEnable(snapshot({ daemonConfig: { path: '/x', exists: true, error: 'invalid character at line 2, column 3' } }), opts()), { message: /line 2, column 3/ });
  t.throws(() => planEnable(snapshot({ firewall: { available: false, error: 'ip6tables is not installed', tables: {} } }), opts()), { message: /ip6tables is missing/ });
});

test('flag conflicts with the running dockerd are refused with the fix', (t) => {
  const s = snapshot({ dockerd: { pid: 42, argv: ['dockerd', '--ipv6', '--config-file', '/etc/docker/daemon.json'] } });
  t.throws(() => planEnable(s, opts()), { message: /--ipv6|ipv6/ });
});

test('second run on an enabled host with the same options is a no-op', (t) => {
  const first = planEnable(snapshot(), opts());
  const value = JSON.parse(first.daemonJson.after);
  const s = snapshot({
    daemonConfig: { path: '/etc/docker/daemon.json', exists: true, text: first.daemonJson.after, value },
    networks: [net({ name: 'bridge', enableIPv6: true, ipv4Subnets: ['172.17.0.0/16'], ipv6Subnets: ['fd12:3456:789a::/64'] })],
    state: { version: 1, prefix: first.prefix, mode: 'nat', uplink: 'eth0', enabled: { at: 'x', daemonJson: { path: '/etc/docker/daemon.json', undo: first.daemonJson.undo, fileExisted: true }, sysctls: {}, sysctlFileWritten: true, natByUs: false, filterByUs: false } },
    host: { ...snapshot().host, sysctls: { ...snapshot().host.sysctls, 'net.ipv6.conf.eth0.accept_ra': '2', 'net.ipv6.conf.all.forwarding': '1', 'net.ipv6.conf.default.forwarding': '1' } },
  });
  const again = planEnable(s, opts({ randomDraws: [Uint8Array.from([1, 2, 3, 4, 5])] }));
  t.is(again.prefix, first.prefix);
  t.is(again.prefixSource, 'saved');
  t.false(again.daemonJson.changed);
  t.false(again.restart);
  t.true(again.noop);
});

test('IPv4-only networks are listed with the command that recreates them', (t) => {
  const s = snapshot({ networks: [...snapshot().networks, net({ name: 'legacy', ipv4Subnets: ['172.18.0.0/16'], containers: 2 })] });
  const p = planEnable(s, opts());
  t.deepEqual(p.legacyNetworks, [{ name: 'legacy', containers: 2, command: 'docker network rm legacy && docker ipv6 network create --subnet 172.18.0.0/16 legacy' }]);
});

test('"iptables": false: Docker programs no firewall, so ip6tables stays off and docker-ipv6 masquerades', (t) => {
  const s = snapshot({ daemonConfig: { path: '/etc/docker/daemon.json', exists: true, text: '{"iptables": false}', value: { iptables: false } } });
  const p = planEnable(s, opts());
  t.is(p.mode, 'nat');
  t.true(p.natByUs);
  t.is(p.daemonJson.set.ip6tables, false);
  t.false('experimental' in p.daemonJson.set, 'no experimental needed when ip6tables stays off');
});

test('Docker before 27 takes one subnet per IPv6 pool entry: one entry per subnet; 27+ gets the block pools', (t) => {
  const old = JSON.parse(planEnable(snapshot(), opts()).daemonJson.after)['default-address-pools'].filter((p: { base: string }) => p.base.includes(':'));
  t.is(old.length, 64);
  t.deepEqual(old[0], { base: 'fd12:3456:789a:1::/64', size: 64 });
  t.deepEqual(old[63], { base: 'fd12:3456:789a:40::/64', size: 64 });
  const s28 = snapshot({ daemon: { reachable: true, version: '28.5.2', apiVersion: '1.51' } });
  const now = JSON.parse(planEnable(s28, opts()).daemonJson.after)['default-address-pools'].filter((p: { base: string }) => p.base.includes(':'));
  t.deepEqual(now, v6PoolsFor(parseCidr6('fd12:3456:789a::/48')!));
});

test('the generated ULA is derived from the host identity: the same plan for --dry-run and enable, another for another host', (t) => {
  const { ulaDraws } = require('../../../src/model/ula') as typeof import('../../../src/model/ula');
  const a1 = planEnable(snapshot(), opts({ randomDraws: ulaDraws('machine-a/02:42:ac:11:00:02') })).prefix;
  const a2 = planEnable(snapshot(), opts({ randomDraws: ulaDraws('machine-a/02:42:ac:11:00:02') })).prefix;
  const b = planEnable(snapshot(), opts({ randomDraws: ulaDraws('machine-b/02:42:ac:11:00:02') })).prefix;
  t.is(a1, a2);
  t.not(a1, b);
  t.regex(a1, /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/48$/);
  // a collision with the first draw falls to the next one
  const first = a1.replace('::/48', '::/64');
  const s = snapshot({ networks: [...snapshot().networks, net({ name: 'taken', enableIPv6: true, ipv6Subnets: [first] })] });
  const c = planEnable(s, opts({ randomDraws: ulaDraws('machine-a/02:42:ac:11:00:02') })).prefix;
  t.not(c, a1);
});

test('a second enable that sets more keys keeps the originals: disable still restores the first file byte for byte', async (t) => {
  const { mergeDaemonUndo } = await import('../../../src/setup/steps');
  const { setKeys, restoreKeys } = await import('../../../src/daemon/edit');
  const original = '{\n  "log-level": "warn"\n}\n';
  const first = setKeys(original, { ipv6: true, ip6tables: false });
  const second = setKeys(first.text, { ip6tables: true, experimental: true });
  const merged = mergeDaemonUndo({ path: 'd', undo: first.undo, fileExisted: true }, { path: 'd', undo: second.undo, fileExisted: true });
  t.is(restoreKeys(second.text, merged.undo), original);
  t.deepEqual(Object.keys(merged.undo.previous), ['ipv6', 'ip6tables', 'experimental']);
});

test('enable with another uplink is not a no-op', (t) => {
  const first = planEnable(snapshot(), opts());
  const s = snapshot({
    daemonConfig: { path: '/etc/docker/daemon.json', exists: true, text: first.daemonJson.after, value: JSON.parse(first.daemonJson.after) },
    networks: [net({ name: 'bridge', enableIPv6: true, ipv4Subnets: ['172.17.0.0/16'], ipv6Subnets: ['fd12:3456:789a::/64'] })],
    state: { version: 1, prefix: first.prefix, mode: 'nat', uplink: 'eth1', enabled: { at: 'x', daemonJson: { path: '/etc/docker/daemon.json', undo: first.daemonJson.undo, fileExisted: true }, sysctls: {}, sysctlFileWritten: true, natByUs: false, filterByUs: false } },
    host: { ...snapshot().host, sysctls: { ...snapshot().host.sysctls, 'net.ipv6.conf.eth0.accept_ra': '2', 'net.ipv6.conf.all.forwarding': '1', 'net.ipv6.conf.default.forwarding': '1' } },
  });
  t.false(planEnable(s, opts()).noop);
});

test('an NDP prefix must not hold the router\'s address', (t) => {
  const base = snapshot();
  const s = snapshot({ host: { ...base.host, net: { ...base.host.net!, routes: [
    ...base.host.net!.routes.filter((r) => r.dst !== '::/0'),
    { family: 6, dst: '::/0', gateway: '2001:db8:1:0:8000::1', ifindex: 2, ifname: 'eth0', table: 254, protocol: 'BOOT', type: 'UNICAST' },
  ] } } });
  t.throws(() => planEnable(s, opts({ prefix: '2001:db8:1:0:8000::/80' })), { message: /router's address 2001:db8:1:0:8000::1/ });
  t.is(planEnable(s, opts({ prefix: '2001:db8:1:0:c000::/80' })).mode, 'ndp');
});

test('a hand-made global fixed-cidr-v6 is not replaced unless --prefix says so', (t) => {
  const text = '{"fixed-cidr-v6": "2001:db8:77::/64"}';
  const s = snapshot({
    daemonConfig: { path: '/etc/docker/daemon.json', exists: true, text, value: JSON.parse(text) },
    networks: [net({ name: 'bridge', enableIPv6: true, ipv4Subnets: ['172.17.0.0/16'], ipv6Subnets: ['2001:db8:77::/64'] })],
  });
  t.throws(() => planEnable(s, opts({ prefix: undefined })), { message: /already gives the default bridge the global "fixed-cidr-v6": "2001:db8:77::\/64"/ });
  t.is(planEnable(s, opts({ prefix: 'auto' })).prefixSource, 'generated');
  t.is(planEnable(s, opts({ prefix: '2001:db8:77::/48' })).mode, 'routed');
});

const guide = (fc: string, uplinkAddr?: string) => {
  const text = `{"ipv6": true, "fixed-cidr-v6": "${fc}", "experimental": false, "ip6tables": true}`;
  const base = snapshot();
  const s = snapshot({ daemonConfig: { path: '/etc/docker/daemon.json', exists: true, text, value: JSON.parse(text) } });
  if (uplinkAddr) s.host.net!.addresses = [...base.host.net!.addresses, { ifname: 'eth0', ifindex: 2, family: 6, address: uplinkAddr, prefixlen: 64, scope: 0, flags: [] }];
  return s;
};

test('bare enable keeps the common guide\'s ULA fixed-cidr-v6 (fd00::/80 in fd00::/72) and repairs the file, saying so', (t) => {
  const p = planEnable(guide('fd00::/80'), opts({ prefix: undefined }));
  t.is(p.prefixSource, 'kept');
  t.is(p.prefix, 'fd00::/72');
  t.is(p.bridgeSubnet, 'fd00::/80', 'the default bridge keeps its subnet');
  t.is(p.mode, 'nat');
  t.regex(p.prefixNote ?? '', /^kept your "fixed-cidr-v6": "fd00::\/80" for the default bridge: it overlaps nothing on this host/);
  t.is(p.daemonJson.set.experimental, true, 'the key that stops 20.10 is rewritten');
  t.false('fixed-cidr-v6' in p.daemonJson.set, 'fixed-cidr-v6 is not touched');
  // a /64 that opens a /48 is kept with that /48
  t.is(planEnable(guide('fd12:3456:789a:0::/64'), opts({ prefix: undefined })).prefix, 'fd12:3456:789a::/48');
});

test('bare enable replaces a hand-set ULA that overlaps the host (this machine\'s fd00::2/64 uplink), or that no prefix starts with', (t) => {
  const p = planEnable(guide('fd00::/80', 'fd00::2'), opts({ prefix: undefined }));
  t.is(p.prefixSource, 'replaced');
  t.is(p.prefix, 'fd12:3456:789a::/48');
  t.regex(p.prefixNote ?? '', /^replaced your "fixed-cidr-v6": "fd00::\/80" by fd12:3456:789a::\/64 from a generated ULA: fd00::\/72 \(the prefix that holds fd00::\/80\) contains the host's own address fd00::2/);
  const odd = planEnable(guide('fd12:3456:789a:5::/64'), opts({ prefix: undefined }));
  t.is(odd.prefixSource, 'replaced');
  t.regex(odd.prefixNote ?? '', /no prefix of docker ipv6 starts with/);
});
