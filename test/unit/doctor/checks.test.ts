// Every doctor check against snapshot fixtures: the healthy host is all ok, each broken state fails or warns with a fix.
import test from 'ava';
import { catchAllRules } from '../../../src/firewall/batches';
import { runChecks, summarize } from '../../../src/doctor/checks';
import { fromVerifyRows } from '../../../src/doctor/probe';
import type { DoctorInput, Finding } from '../../../src/doctor/types';
import { net } from '../../helpers/snapshot';
import { APP6, healthySnap, input } from './fixtures';

function only(findings: Finding[], id: string): Finding[] {
  return findings.filter((f) => f.id === id);
}

/** The check `id` is fail/warn (as given) with a fix and nothing else regresses. */
function broken(t: import('ava').ExecutionContext, i: DoctorInput, id: string, status: 'fail' | 'warn', detail: RegExp, fix?: RegExp): Finding {
  const all = runChecks(i);
  const mine = only(all, id).filter((f) => f.status !== 'ok' && f.status !== 'skip');
  t.true(mine.length > 0, `${id} should report a problem: ${JSON.stringify(only(all, id))}`);
  const f = mine[0];
  t.is(f.status, status);
  t.regex(f.detail, detail);
  t.truthy(f.fix, 'a fix is given');
  if (fix) t.regex(f.fix, fix);
  return f;
}

test('a healthy enabled host: every check ok or skipped, nothing fixable', (t) => {
  const all = runChecks(input());
  const bad = all.filter((f) => f.status === 'fail' || f.status === 'warn');
  t.deepEqual(bad, []);
  t.is(summarize(all).fixable, 0);
  // every layer of the guide is represented
  for (const layer of ['kernel', 'daemon', 'networks', 'containers', 'ports', 'dns', 'firewall', 'outside']) t.true(all.some((f) => f.layer === layer), layer);
  t.true(all.filter((f) => f.status === 'skip').every((f) => /--probe|not observed|no local dockerd/.test(f.detail)), JSON.stringify(all.filter((f) => f.status === 'skip')));
});

test('kernel: IPv6 disabled (all and on the uplink) -> fail, sysctl fix', (t) => {
  const s = healthySnap();
  s.host.sysctls['net.ipv6.conf.eth0.disable_ipv6'] = '1';
  const f = broken(t, input(s), 'kernel.ipv6-disabled', 'fail', /disabled \(net\.ipv6\.conf\.eth0\.disable_ipv6 = 1\)/, /^sysctl -w net\.ipv6\.conf\.eth0\.disable_ipv6=0$/);
  t.deepEqual(f.auto, { kind: 'sysctl', key: 'net.ipv6.conf.eth0.disable_ipv6', value: '0' });
  const s2 = healthySnap();
  delete s2.host.sysctls['net.ipv6.conf.all.disable_ipv6'];
  broken(t, input(s2), 'kernel.ipv6-disabled', 'fail', /no IPv6/, /ipv6\.disable=1/);
});

test('kernel: ip6tables missing or its tables unreadable -> fail', (t) => {
  const s = healthySnap();
  s.firewall = { available: false, error: 'ip6tables is not installed (or not on PATH)', tables: {} };
  broken(t, input(s), 'kernel.ip6tables', 'fail', /missing/, /apt-get install iptables/);
  const s2 = healthySnap();
  s2.firewall = { available: true, backend: 'nf_tables', error: 'cannot read the IPv6 firewall: exit 3', tables: {} };
  broken(t, input(s2), 'kernel.ip6tables', 'fail', /cannot read/, /modprobe/);
});

test('kernel: Docker chains in the other iptables backend -> fail; stale copies next to the live ones -> warn, delete them', (t) => {
  const s = healthySnap();
  s.firewall.tables = {};
  broken(t, input(s, { otherBackend: { backend: 'legacy', dockerChains: ['DOCKER', 'DOCKER-USER'] } }), 'kernel.iptables-backend', 'fail', /legacy backend but ip6tables here uses nf_tables/, /^update-alternatives --set ip6tables \/usr\/sbin\/ip6tables-legacy && update-alternatives --set iptables \/usr\/sbin\/iptables-legacy /);
  // Docker's live chains are in our backend: switching to legacy would hide them, so the fix deletes the stale ones
  const w = broken(t, input(healthySnap(), { otherBackend: { backend: 'legacy', dockerChains: ['DOCKER-USER'] } }), 'kernel.iptables-backend', 'warn', /legacy backend/, /^delete the stale chains in the legacy backend .*ip6tables-legacy -t TABLE -X CHAIN/);
  t.false(w.fix.includes('update-alternatives'));
});

test('kernel: forwarding off -> fail with the sysctl', (t) => {
  const s = healthySnap();
  s.host.sysctls['net.ipv6.conf.all.forwarding'] = '0';
  const f = broken(t, input(s), 'kernel.forwarding', 'fail', /does not route/, /net\.ipv6\.conf\.all\.forwarding=1/);
  t.is(f.auto?.kind, 'sysctl');
});

test('kernel: default route from RAs with accept_ra=1 and forwarding on -> fail, accept_ra=2', (t) => {
  const s = healthySnap();
  s.host.net!.routes.find((r) => r.dst === '::/0')!.protocol = 'RA';
  broken(t, input(s), 'kernel.accept-ra', 'fail', /router advertisements with accept_ra=1/, /accept_ra=2/);
  s.host.sysctls['net.ipv6.conf.eth0.accept_ra'] = '2';
  t.is(only(runChecks(input(s)), 'kernel.accept-ra')[0].status, 'ok');
});

test('kernel: no global address, no default route -> fail', (t) => {
  const s = healthySnap();
  s.host.net!.addresses = s.host.net!.addresses.filter((a) => a.family !== 6 || a.scope !== 0);
  s.host.net!.routes = s.host.net!.routes.filter((r) => r.dst !== '::/0');
  broken(t, input(s), 'kernel.host-ipv6', 'fail', /no global IPv6 address on eth0/);
  broken(t, input(s), 'kernel.host-default-route', 'fail', /no IPv6 default route/, /ip -6 route add default/);
});

test('daemon: unreachable names the reason (socket missing, permission, refused)', (t) => {
  const down = () => { const s = healthySnap(); s.daemon = { reachable: false, error: 'Docker refused the connection at unix:///x.sock (from default): the daemon is down' }; return s; };
  broken(t, input(down(), { socket: { path: '/x.sock', exists: false, isSocket: false, accessible: true } }), 'daemon.reachable', 'fail', /socket \/x\.sock does not exist/, /systemctl restart docker/);
  broken(t, input(down(), { socket: { path: '/x.sock', exists: true, isSocket: true, accessible: false } }), 'daemon.reachable', 'fail', /permission denied/, /docker group/);
  broken(t, input(down(), { socket: { path: '/x.sock', exists: true, isSocket: true, accessible: true } }), 'daemon.reachable', 'fail', /daemon is down/, /systemctl restart docker/);
});

test('daemon: down because of daemon.json -> the fix is not a restart that cannot work', (t) => {
  const down = () => { const s = healthySnap(); s.daemon = { reachable: false, error: 'Docker refused the connection at unix:///x.sock (from default): the daemon is down' }; return s; };
  const sock = { socket: { path: '/x.sock', exists: false, isSocket: false, accessible: true } };
  // the common guide: "ip6tables": true without "experimental" stops 20.10 at start
  const guide = down();
  guide.daemonConfig = { ...guide.daemonConfig, value: { ipv6: true, 'fixed-cidr-v6': 'fd00:dead:beef::/64', ip6tables: true } };
  const f = broken(t, input(guide, { ...sock, dockerdBinaryVersion: '20.10.24+dfsg1' }), 'daemon.reachable', 'fail', /"ip6tables": true without "experimental": true stops this dockerd at start/, /^docker ipv6 enable \(it rewrites those keys for this version and starts Docker\)/);
  t.notRegex(f.fix, /^systemctl/);
  // on 28 the same keys start fine: the restart is the fix
  broken(t, input(guide, { ...sock, dockerdBinaryVersion: '28.5.1' }), 'daemon.reachable', 'fail', /does not exist$/, /^systemctl restart docker/);
  const bad = down();
  bad.daemonConfig = { ...bad.daemonConfig, value: undefined, error: '/etc/docker/daemon.json:3:1: invalid character' };
  broken(t, input(bad, sock), 'daemon.reachable', 'fail', /does not parse, so dockerd cannot start/, /^fix the syntax of \/etc\/docker\/daemon\.json first/);
});

test('daemon: a pending restart into a file this version refuses -> the key first, not a bare restart', (t) => {
  const s = healthySnap();
  s.daemon = { ...s.daemon, version: '20.10.24+dfsg1' };
  s.daemonConfig = { ...s.daemonConfig, value: { ipv6: true, 'fixed-cidr-v6': 'fd00:dead:beef::/64', ip6tables: true } };
  const bridge = s.networks.find((n) => n.name === 'bridge')!;
  bridge.enableIPv6 = false;
  bridge.ipv6Subnets = [];
  broken(t, input(s), 'daemon.restart-pending', 'warn', /still runs the old settings/, /^set "experimental": true in .* first \(see daemon\.experimental\), then: systemctl restart docker/);
});

test('daemon: unparsable daemon.json -> fail with the position', (t) => {
  const s = healthySnap();
  s.daemonConfig = { path: '/etc/docker/daemon.json', exists: true, text: '{"ipv6": true,,}', error: '/etc/docker/daemon.json:1:15: invalid character \',\' looking for beginning of object key string' };
  broken(t, input(s), 'daemon.config-parse', 'fail', /does not parse at line 1, column 15: invalid character/);
});

test('daemon: key both in daemon.json and a dockerd flag -> fail', (t) => {
  const s = healthySnap();
  s.dockerd = { pid: 42, argv: ['dockerd', '--ipv6', '-H', 'fd://'] };
  broken(t, input(s), 'daemon.flag-conflicts', 'fail', /"ipv6" is both in daemon.json and a dockerd flag \(--ipv6\)/, /remove --ipv6/);
});

test('daemon: the guide example on 20.10 (ip6tables without experimental) -> fail, sets experimental', (t) => {
  const s = healthySnap();
  s.daemon = { reachable: false, error: 'Docker refused the connection' };
  s.daemonConfig.value = { ipv6: true, 'fixed-cidr-v6': 'fd00::/80', experimental: false, ip6tables: true };
  const f = broken(t, input(s, { dockerdBinaryVersion: '20.10.24+dfsg1' }), 'daemon.experimental', 'fail', /without "experimental": true on Docker 20\.10.*refuses to start/, /"experimental": true/);
  t.deepEqual(f.auto, { kind: 'daemon-keys', set: { experimental: true } });
  // 28 needs no experimental
  t.is(only(runChecks(input(s, { dockerdBinaryVersion: '28.5.1' })), 'daemon.experimental')[0].status, 'ok');
});

test('daemon: ipv6 off -> fail, fixed by enable', (t) => {
  const s = healthySnap();
  s.daemonConfig.value = { ...s.daemonConfig.value, ipv6: false };
  const f = broken(t, input(s), 'daemon.ipv6', 'fail', /"ipv6": false/, /docker ipv6 enable/);
  t.deepEqual(f.auto, { kind: 'enable' });
});

test('daemon: fixed-cidr-v6 missing, malformed, too long, overlapping the host or a network -> fail', (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [undefined, /missing/],
    ['fd00::1::/64', /not an IPv6 prefix/],
    ['fd00::1/64', /host bits/],
    ['fd00::/124', /too long/],
    ['2001:db8:1::/80', /overlaps the host's own on-link prefix 2001:db8:1::\/64/],
    [APP6, /overlaps Docker network "app"/],
  ];
  for (const [value, re] of cases) {
    const s = healthySnap();
    s.daemon.version = '20.10.24';
    s.state = undefined;
    s.daemonConfig.value = { ...s.daemonConfig.value, 'fixed-cidr-v6': value };
    if (value === undefined) delete s.daemonConfig.value!['fixed-cidr-v6'];
    broken(t, input(s), 'daemon.fixed-cidr-v6', 'fail', re, /docker ipv6 enable/);
  }
  // the guide's fd00::/80 is fine on the lab's uplink (2001:db8:1::2/64) ...
  const s = healthySnap();
  s.daemonConfig.value = { ...s.daemonConfig.value, 'fixed-cidr-v6': 'fd00::/80' };
  s.networks[0].ipv6Subnets = ['fd00::/80'];
  t.is(only(runChecks(input(s)), 'daemon.fixed-cidr-v6')[0].status, 'ok');
  // ... and overlaps a host whose uplink carries fd00::2/64 (this machine's own, LAB-NOTES)
  s.host.net!.addresses.push({ ifindex: 2, ifname: 'eth0', family: 6, address: 'fd00::2', prefixlen: 64, scope: 0, flags: [] });
  broken(t, input(s), 'daemon.fixed-cidr-v6', 'fail', /overlaps the host's own on-link prefix fd00::\/64/);
});

test('daemon: no IPv6 pool -> warn', (t) => {
  const s = healthySnap();
  s.daemonConfig.value = { ...s.daemonConfig.value, 'default-address-pools': [{ base: '10.128.0.0/9', size: 24 }] };
  broken(t, input(s), 'daemon.pools', 'warn', /no IPv6 pool/, /docker ipv6 enable/);
});

test('daemon: daemon.json changed, dockerd still runs the old settings -> warn, restart', (t) => {
  const s = healthySnap();
  s.daemonConfig.value = { ...s.daemonConfig.value, 'fixed-cidr-v6': 'fd11:2233:4455:ff::/64' };
  const f = broken(t, input(s), 'daemon.restart-pending', 'warn', /still runs the old settings.*fd11:2233:4455::\/64/, /systemctl restart docker/);
  t.deepEqual(f.auto, { kind: 'restart' });
});

test('networks: a network with containers but no IPv6, and a Compose one -> fail with recreate commands', (t) => {
  const s = healthySnap();
  s.networks.push(net({ name: 'legacy', ipv4Subnets: ['10.128.5.0/24'], containers: 2 }));
  s.networks.push(net({ name: 'proj_default', ipv4Subnets: ['10.128.6.0/24'], labels: { 'com.docker.compose.network': 'default', 'com.docker.compose.project': 'proj' } }));
  broken(t, input(s), 'networks.ipv6-off', 'fail', /"legacy" has 2 container/, /docker network rm legacy && docker network create --ipv6 --subnet 10\.128\.5\.0\/24 legacy/);
  broken(t, input(s), 'networks.compose-ipv6', 'fail', /"default" of project "proj"/, /enable_ipv6: true.*docker compose -p proj/);
});

test('containers: running on an IPv6 network without a global address -> fail', (t) => {
  const s = healthySnap();
  s.containers[0].networks[0].ipv6 = undefined;
  broken(t, input(s), 'containers.no-ipv6', 'fail', /"web" runs on IPv6 network "app" without/, /docker restart web/);
  // the other cause (Docker 26+): IPv6 disabled inside the container survives a restart, the fix says so
  broken(t, input(s), 'containers.no-ipv6', 'fail', /or IPv6 disabled inside it by a sysctl/, /disable_ipv6=1, recreate it without that sysctl/);
});

test('outside: ULA network without masquerade -> fail, enable', (t) => {
  const s = healthySnap();
  s.firewall.tables.nat.rules = s.firewall.tables.nat.rules.filter((r) => !r.includes(APP6));
  broken(t, input(s), 'outside.ula-nat', 'fail', /"app" uses ULA .* nothing masquerades it/, /restart docker/);
  s.daemonConfig.value = { ...s.daemonConfig.value, ip6tables: false };
  t.like(broken(t, input(s), 'outside.ula-nat', 'fail', /is off/, /docker ipv6 enable/).auto, { kind: 'enable' });
});

test('outside: NDP mode without proxy entries, global network without a mode -> fail / warn', (t) => {
  const s = healthySnap();
  s.state = { version: 1, prefix: '2001:db8:1:0:8000::/65', mode: 'ndp', uplink: 'eth0' };
  s.daemonConfig.value = { ...s.daemonConfig.value, ip6tables: false };
  s.networks[1].ipv6Subnets = ['2001:db8:1:0:8000::/73'];
  s.containers[0].networks[0].ipv6 = '2001:db8:1:0:8000::2';
  s.host.sysctls['net.ipv6.conf.eth0.proxy_ndp'] = '1';
  s.firewall.tables.filter.rules.push('-A FORWARD -m comment --comment docker-ipv6 -j D6-FORWARD', '-A D6-FORWARD -d 2001:db8:1:0:8000::/73 -o br-app -m comment --comment docker-ipv6 -j DROP');
  const f = broken(t, input(s), 'outside.ndp-proxy', 'fail', /lacks proxy entries on eth0 for 2001:db8:1:0:8000::1, 2001:db8:1:0:8000::2/, /ip -6 neigh add proxy 2001:db8:1:0:8000::1 dev eth0/);
  t.deepEqual(f.auto, { kind: 'enable-steps', ids: ['ndp-proxies'] });
  s.host.net!.proxies = [{ address: '2001:db8:1:0:8000::1', ifindex: 2, ifname: 'eth0' }, { address: '2001:db8:1:0:8000::2', ifindex: 2, ifname: 'eth0' }];
  t.deepEqual(only(runChecks(input(s)), 'outside.ndp-proxy'), []);
  s.state = undefined;
  // enable refuses a prefix overlapping an existing network: the fix takes the network away first and brings it back after
  broken(t, input(s), 'outside.global-path', 'warn', /global prefix .* no docker-ipv6 mode/, /^docker network rm app .*docker ipv6 enable --prefix .* --mode routed .*then docker network create --ipv6 app;/);
});

test('firewall: routed network with ip6tables off and no filter -> fail; a drop of its own or the catch-all closes it; a prefix drop does not', (t) => {
  const s = healthySnap();
  s.state = { version: 1, prefix: '2001:db8:2::/48', mode: 'routed', uplink: 'eth0', enabled: {} as never };
  s.daemonConfig.value = { ...s.daemonConfig.value, ip6tables: false };
  s.networks[1].ipv6Subnets = ['2001:db8:2:1::/64'];
  const f = broken(t, input(s), 'firewall.unfiltered', 'fail', /Docker's IPv6 filter off \("ip6tables": false\) and no drop of ours: every container port on it is open/, /docker ipv6 apply/);
  t.deepEqual(f.auto, { kind: 'enable-steps', ids: ['firewall-filter'] });
  const TAG = '-m comment --comment docker-ipv6';
  const bridge = s.networks[1].bridge!;
  // the old prefix-wide end is no longer enough: it depended on the prefix
  s.firewall.tables.filter = { chains: { FORWARD: 'ACCEPT', 'D6-FORWARD': '-' }, rules: [
    `-A FORWARD ${TAG} -j D6-FORWARD`, `-A D6-FORWARD -d 2001:db8:2::/48 ${TAG} -j DROP`,
  ] };
  t.true(only(runChecks(input(s)), 'firewall.unfiltered').some((x) => x.status === 'fail' && x.subject === s.networks[1].name));
  // the catch-alls close docker0 / br-* bridges the chain does not list yet
  s.firewall.tables.filter.rules = [`-A FORWARD ${TAG} -j D6-FORWARD`, ...catchAllRules()];
  t.true(only(runChecks(input(s)), 'firewall.unfiltered').every((x) => x.status === 'ok'), `bridge ${bridge}`);
  // a bridge name of its own needs its own drop
  s.networks[1].bridge = 'mybr';
  t.true(only(runChecks(input(s)), 'firewall.unfiltered').some((x) => x.status === 'fail'));
  s.firewall.tables.filter.rules.splice(1, 0, `-A D6-FORWARD -i mybr ${TAG} -j DROP`, `-A D6-FORWARD -o mybr ${TAG} -j DROP`);
  t.true(only(runChecks(input(s)), 'firewall.unfiltered').every((x) => x.status === 'ok'));
  // without our jump nothing is closed
  s.firewall.tables.filter.rules.shift();
  t.true(only(runChecks(input(s)), 'firewall.unfiltered').some((x) => x.status === 'fail'));
});

test('networks: routed, a network outside the prefix is named with what becomes of it; a host bridge is a warning', (t) => {
  const s = healthySnap();
  s.state = { version: 1, prefix: '2001:db8:2::/48', mode: 'routed', uplink: 'eth0', enabled: { filterByUs: true } as never };
  s.daemonConfig.value = { ...s.daemonConfig.value, ip6tables: false };
  s.networks[1].ipv6Subnets = ['fd99:1::/64'];
  const fates = only(runChecks(input(s)), 'networks.outside-prefix');
  t.is(fates.length, 1);
  t.regex(fates[0].detail, /network app \(fd99:1::\/64\) is outside 2001:db8:2::\/48: docker-ipv6 gives it no route, NAT or NDP entry, and closes it like every Docker network/);
  s.networks[1].bridge = 'eth0';
  s.networks[1].options = { 'com.docker.network.bridge.name': 'eth0' };
  broken(t, input(s), 'firewall.host-bridge', 'warn', /its bridge eth0 is the uplink; its forwarding is yours/, /docker network rm app && docker ipv6 network create app/);
});

test('firewall: a bridge named "+" -> warn: left out of every rule (closed), recreate it', (t) => {
  const s = healthySnap();
  s.networks[1].bridge = '+';
  broken(t, input(s), 'firewall.bridge-names', 'warn', /network "app" has the bridge name "\+": .*wildcard.*leaves it out of every rule/, /docker network rm app && docker ipv6 network create app/);
});

test('firewall: rules above our jump in FORWARD (routed) -> warn, move them into D6-USER; none -> ok; nat mode -> no finding', (t) => {
  const s = healthySnap();
  s.state = { version: 1, prefix: '2001:db8:2::/48', mode: 'routed', uplink: 'eth0', enabled: { filterByUs: true } as never };
  s.firewall.tables.filter = { chains: { FORWARD: 'ACCEPT', 'D6-FORWARD': '-', 'D6-USER': '-' }, rules: [
    '-A FORWARD -d 2001:db8:2::/48 -j ACCEPT',
    '-A FORWARD -m comment --comment docker-ipv6 -j D6-FORWARD',
  ] };
  broken(t, input(s), 'firewall.rules-before-jump', 'warn', /1 rule\(s\) in FORWARD come before the jump to D6-FORWARD .*-A FORWARD -d 2001:db8:2::\/48 -j ACCEPT/, /D6-USER/);
  s.firewall.tables.filter.rules.shift();
  t.is(only(runChecks(input(s)), 'firewall.rules-before-jump')[0].status, 'ok');
  s.state.enabled = { filterByUs: false } as never;
  t.deepEqual(only(runChecks(input(s)), 'firewall.rules-before-jump'), []);
});

test('firewall: routed without the boot unit enabled -> warn (nothing closes the prefix at boot before Docker); enabled -> ok; nat -> no finding', (t) => {
  const s = healthySnap();
  s.state = { version: 1, prefix: '2001:db8:2::/48', mode: 'routed', uplink: 'eth0', enabled: { filterByUs: true } as never };
  // no unit file anywhere: install them (a .deb user has them already, and gets systemctl enable)
  const none = broken(t, input(s, { bootUnitEnabled: false }), 'firewall.boot-unit', 'warn', /docker-ipv6-boot\.service is not enabled: .*dockerd turns IPv6 forwarding on itself/);
  t.is(none.fix, 'docker ipv6 install --enable');
  const deb = broken(t, input(s, { bootUnitEnabled: false, services: { systemd: true, units: [{ name: 'docker-ipv6-boot.service', path: '/usr/lib/systemd/system/docker-ipv6-boot.service', enabled: false }] } }), 'firewall.boot-unit', 'warn', /not enabled/);
  t.is(deb.fix, 'systemctl enable docker-ipv6-boot.service docker-ipv6-apply.service docker-ipv6-agent.service');
  t.notRegex(`${none.fix} ${deb.fix}`, /install\.sh/);
  // Docker's nftables backend does not turn forwarding on: the detail does not say it does
  const nft = healthySnap();
  nft.state = s.state;
  nft.firewall.docker = { backend: 'nftables', source: 'docker info' } as never;
  const f = broken(t, input(nft, { bootUnitEnabled: false }), 'firewall.boot-unit', 'warn', /nftables backend needs IPv6 forwarding on to start/);
  t.notRegex(f.detail, /turns IPv6 forwarding on itself/);
  t.is(only(runChecks(input(s, { bootUnitEnabled: true })), 'firewall.boot-unit')[0].status, 'ok');
  s.state.enabled = { filterByUs: false } as never;
  t.deepEqual(only(runChecks(input(s, { bootUnitEnabled: false })), 'firewall.boot-unit'), []);
});

test('firewall: a sysctl.d file from an older version turning forwarding on in routed mode -> warn, fixed by rewriting it', (t) => {
  const s = healthySnap();
  s.state = { version: 1, prefix: '2001:db8:2::/48', mode: 'routed', uplink: 'eth0', enabled: { filterByUs: true } as never };
  const old = '# Written by docker-ipv6 enable; removed by docker-ipv6 disable.\nnet.ipv6.conf.default.forwarding = 1\nnet.ipv6.conf.all.forwarding = 1\n';
  const f = broken(t, input(s, { bootUnitEnabled: true, sysctlConfText: old }), 'firewall.sysctl-conf', 'warn', /turns forwarding on at boot before any filter/, /doctor --fix/);
  t.deepEqual(f.auto, { kind: 'enable-steps', ids: ['write-sysctl-conf'] });
  t.is(only(runChecks(input(s, { bootUnitEnabled: true, sysctlConfText: '# x\nnet.ipv6.conf.eth0.accept_ra = 2\n' })), 'firewall.sysctl-conf')[0].status, 'ok');
  s.state.enabled = { filterByUs: false } as never;
  t.deepEqual(only(runChecks(input(s, { sysctlConfText: old })), 'firewall.sysctl-conf'), [], 'nat mode: Docker filters, forwarding may stay in the file');
});

test('ports: published on 0.0.0.0 only -> warn', (t) => {
  const s = healthySnap();
  s.containers[0].ports = [{ ip: '0.0.0.0', privatePort: 80, publicPort: 8080, type: 'tcp' }];
  broken(t, input(s), 'ports.ipv4-only', 'warn', /"web" publishes 8080\/tcp on 0\.0\.0\.0 only/, /-p 8080:80/);
});

test('ports: userland-proxy in the path for IPv6 clients -> warn', (t) => {
  const s = healthySnap();
  s.containers[0].networks = [{ network: 'legacy', ipv4: '10.128.9.2' }];
  broken(t, input(s), 'ports.userland-proxy', 'warn', /docker-proxy: the containers see the proxy's IPv4 address/, /userland-proxy/);
  s.daemonConfig.value = { ...s.daemonConfig.value, 'userland-proxy': false };
  t.is(only(runChecks(input(s)), 'ports.userland-proxy')[0].status, 'ok');
});

test('firewall: FORWARD policy DROP and nothing accepts the bridge -> fail', (t) => {
  const s = healthySnap();
  s.firewall.tables.filter.rules = [];
  broken(t, input(s), 'firewall.forward-drop', 'fail', /policy is DROP and nothing accepts docker0, br-app/, /restart docker/);
});

test('firewall: docker-ipv6nat next to Docker\'s own ip6tables; its leftovers when ip6tables is off', (t) => {
  const s = healthySnap();
  s.containers.push({ id: 'c2', name: 'ipv6nat', state: 'running', networks: [], ports: [] });
  broken(t, input(s), 'firewall.ipv6nat', 'fail', /"ipv6nat" \(docker-ipv6nat\) runs while Docker's own ip6tables is on/, /docker rm -f ipv6nat/);
  const s2 = healthySnap();
  s2.firewall.tables.nat.rules.push(s2.firewall.tables.nat.rules[0]);
  // a restart keeps the second copy (Docker 28 only adds missing rules): the fix deletes it
  const dup = broken(t, input(s2), 'firewall.ipv6nat', 'fail', /appear twice/);
  t.is(dup.fix, `ip6tables -t nat -D POSTROUTING -s ${s2.firewall.tables.nat.rules[0].split(' ')[3]} ! -o docker0 -j MASQUERADE`);
  s.firewall.tables.nat.rules.push(s.firewall.tables.nat.rules[1]);
  broken(t, input(s), 'firewall.ipv6nat', 'fail', /"ipv6nat" \(docker-ipv6nat\) runs/, /^docker rm -f ipv6nat && ip6tables -t nat -D POSTROUTING -s \S+ ! -o br-app -j MASQUERADE && systemctl restart docker/);
  // ip6tables off: Docker's own chains are not leftovers (it uses them again); a masquerade it left does act, and is named
  const s3 = healthySnap();
  s3.daemonConfig.value = { ...s3.daemonConfig.value, ip6tables: false };
  const masq = broken(t, input(s3), 'firewall.ipv6nat', 'warn', /IPv6 masquerade for .* is left in ip6tables although Docker's ip6tables support is off/);
  t.regex(masq.fix, /^ip6tables -t nat -D POSTROUTING -s \S+ ! -o docker0 -j MASQUERADE && ip6tables -t nat -D POSTROUTING/);
  t.notRegex(masq.fix, /-F|-X|DOCKER/);
  const s4 = healthySnap();
  s4.daemonConfig.value = { ...s4.daemonConfig.value, ip6tables: false };
  s4.firewall.tables.nat.rules = s4.firewall.tables.nat.rules.filter((r) => !r.includes('MASQUERADE'));
  const own = only(runChecks(input(s4)), 'firewall.ipv6nat');
  t.deepEqual(own.map((f) => f.status), ['ok']);
  t.regex(own[0].detail, /Docker's own chains \(DOCKER, DOCKER-FORWARD\) are in ip6tables .* Docker uses them again/);
});

test('probes: skipped without --probe, fail with the probe detail, ok when they pass', (t) => {
  const skipped = runChecks(input()).filter((f) => ['dns.aaaa', 'outside.egress', 'ports.published'].includes(f.id));
  t.is(skipped.length, 3);
  t.true(skipped.every((f) => f.status === 'skip'));
  const probes = [
    { id: 'dns.aaaa', ok: false, detail: 'no AAAA for the name' },
    { id: 'outside.egress', ok: true, detail: 'reaches 2001:db8:1::1' },
    { id: 'ports.published', ok: undefined, detail: 'nothing published' },
  ];
  const all = runChecks(input(healthySnap(), {}, probes));
  t.is(only(all, 'dns.aaaa')[0].status, 'fail');
  t.truthy(only(all, 'dns.aaaa')[0].fix);
  t.is(only(all, 'outside.egress')[0].status, 'ok');
  t.is(only(all, 'ports.published')[0].status, 'skip');
});

test('a check that throws becomes a failed finding, not a crash', (t) => {
  const all = runChecks(input(), [function exploding() { throw new Error('boom'); }]);
  t.is(all.length, 1);
  t.is(all[0].status, 'fail');
  t.regex(all[0].detail, /exploding could not run: boom/);
});

/** Docker down: the snapshot holds no networks and no containers (observe/snapshot.ts). */
function dockerDown() {
  const s = healthySnap();
  s.daemon = { reachable: false, error: 'Docker refused the connection at unix:///var/run/docker.sock (from default): the daemon is down' };
  s.networks = [];
  s.containers = [];
  return s;
}

test('Docker down: checks that need networks or containers are skipped as "Docker unreachable", never ok', (t) => {
  const all = runChecks(input(dockerDown()));
  const needDocker = ['networks.ipv6-off', 'networks.compose-ipv6', 'containers.no-ipv6', 'ports.ipv4-only', 'ports.userland-proxy', 'outside.ula-nat', 'outside.global-path', 'firewall.ipv6nat', 'firewall.forward-drop'];
  for (const id of needDocker) {
    const mine = only(all, id);
    t.is(mine.length, 1, `${id}: ${JSON.stringify(mine)}`);
    t.is(mine[0].status, 'skip', `${id}: ${JSON.stringify(mine[0])}`);
    t.regex(mine[0].detail, /Docker unreachable/, id);
  }
  // with Docker's ip6tables on, "unfiltered" follows from the configuration alone; off, it needs the networks
  t.is(only(all, 'firewall.unfiltered')[0].status, 'ok');
  const off = dockerDown();
  off.daemonConfig.value = { ...off.daemonConfig.value, ip6tables: false };
  const unf = only(runChecks(input(off)), 'firewall.unfiltered')[0];
  t.is(unf.status, 'skip');
  t.regex(unf.detail, /Docker unreachable/);
  // what does not need the daemon is still judged
  t.is(only(all, 'kernel.ipv6-disabled')[0].status, 'ok');
  t.is(only(all, 'daemon.reachable')[0].status, 'fail');
});

test('Docker down: daemon.ipv6 says what the next start gives, in words', (t) => {
  const s = dockerDown();
  s.daemonConfig.value = { ...s.daemonConfig.value, ipv6: false };
  const f = only(runChecks(input(s)), 'daemon.ipv6')[0];
  t.is(f.status, 'fail');
  t.is(f.detail, '"ipv6": false in daemon.json: when dockerd starts, the default bridge gets no IPv6 and containers on it get no IPv6 address');
  t.notRegex(f.detail, /bridge containers/);
  // Docker up, bridge without IPv6; bridge still with IPv6 (restart pending)
  const up = healthySnap();
  delete up.daemonConfig.value!.ipv6;
  t.is(only(runChecks(input(up)), 'daemon.ipv6')[0].detail, '"ipv6" is not set in daemon.json: the default bridge loses IPv6 at the next restart of dockerd, and containers on it their IPv6 address');
  up.networks[0].enableIPv6 = false;
  t.is(only(runChecks(input(up)), 'daemon.ipv6')[0].detail, '"ipv6" is not set in daemon.json: the default bridge has no IPv6 and containers on it get no IPv6 address');
});

test('non-root: ip6tables-save refused is "needs root", not a kernel problem', (t) => {
  const err = 'cannot read the IPv6 firewall: ip6tables-save exited 4 (resource problem, e.g. xtables lock held): ip6tables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)';
  const s = healthySnap();
  s.firewall = { available: true, backend: 'nf_tables', version: '1.8.9', error: err, tables: {} };
  for (const extra of [{}, { uid: 65534 }]) {
    const all = runChecks(input(s, extra));
    const f = only(all, 'kernel.ip6tables')[0];
    t.is(f.status, 'skip', JSON.stringify(f));
    t.regex(f.detail, /needs root \(run with sudo\)/);
    t.notRegex(`${f.detail} ${f.fix}`, /modprobe|xtables lock/);
    t.is(only(all, 'kernel.iptables-backend')[0].status, 'skip');
    // nothing is judged from the empty tables: no NAT66 "missing", no "no leftovers"
    for (const id of ['outside.ula-nat', 'firewall.ipv6nat']) {
      t.is(only(all, id)[0].status, 'skip', id);
      t.regex(only(all, id)[0].detail, /firewall could not be read/, id);
    }
  }
  // a legacy backend's wording, and a uid other than 0 with a message that does not say so
  const s2 = healthySnap();
  s2.firewall = { available: true, backend: 'legacy', error: 'cannot read the IPv6 firewall: ip6tables-save exited 1 (other error): Failed to list table names in /proc/net/ip6_tables_names: Permission denied', tables: {} };
  t.is(only(runChecks(input(s2)), 'kernel.ip6tables')[0].status, 'skip');
  const s3 = healthySnap();
  s3.firewall = { available: true, backend: 'nf_tables', error: 'cannot read the IPv6 firewall: ip6tables-save exited 4 (resource problem, e.g. xtables lock held)', tables: {} };
  t.is(only(runChecks(input(s3, { uid: 1000 })), 'kernel.ip6tables')[0].status, 'skip');
  // as root the same exit stays a failure with the module hint
  broken(t, input(s3, { uid: 0 }), 'kernel.ip6tables', 'fail', /cannot read/, /modprobe/);
});

test('probes through verify: a row verify skipped (egress-source after failed egress) is skip in doctor, not ok or fail', (t) => {
  const probes = fromVerifyRows([
    { id: 'egress', status: 'fail', detail: 'no reply', fix: 'check' },
    { id: 'egress-source', status: 'skip', detail: 'not judged: egress failed (see egress), so no packet left with a source address' },
    { id: 'c2c-ping', status: 'pass', detail: 'echo reply' },
  ]);
  t.deepEqual(probes.map((p) => [p.id, p.ok]), [['outside.egress', false], ['outside.egress-source', undefined], ['networks.c2c-ping', true]]);
  const all = runChecks(input(healthySnap(), {}, probes));
  t.is(only(all, 'outside.egress-source')[0]?.status, 'skip');
  t.regex(only(all, 'outside.egress-source')[0].detail, /egress failed/);
  t.is(only(all, 'networks.c2c-ping')[0].status, 'ok');
});
