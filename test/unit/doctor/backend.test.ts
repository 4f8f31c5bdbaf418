// Docker 29 backend checks against snapshot fixtures: each finding provoked alone, with its exact fix, and the
// healthy nftables and iptables hosts quiet.
import test from 'ava';
import { runChecks } from '../../../src/doctor/checks';
import { backendInfo, backendMix, dockerUser, firewalld, nftForwarding, staleOurs } from '../../../src/doctor/checks-backend';
import type { ExtraFacts, Finding, XtablesView } from '../../../src/doctor/types';
import { parseSave } from '../../../src/model/ip6tables-save';
import type { HostSnapshot } from '../../../src/observe/snapshot';
import { APP6, BRIDGE6, healthySnap, input } from './fixtures';

/** The healthy host with Docker on its nftables backend and our (empty) table. */
function nftSnap(): HostSnapshot {
  const s = healthySnap();
  s.daemon.version = '29.7.2';
  s.firewall = { available: true, kind: 'nftables', version: '1.0.6', tables: {}, docker: { backend: 'nftables', source: 'docker info', driver: 'nftables' },
    // Docker's masquerades live in its own nftables table, not in ours
    dockerMasq: [{ source: BRIDGE6, bridge: 'docker0' }, { source: APP6, bridge: 'br-app' }] };
  s.host.sysctls['net.ipv4.ip_forward'] = '1';
  return s;
}

const xt = (family: 4 | 6, variant: 'nft' | 'legacy', save: string): XtablesView => ({ family, variant, tables: parseSave(save) });
const problems = (fs: Finding[]) => fs.filter((f) => f.status === 'warn' || f.status === 'fail');

test('healthy Docker 29 hosts (nftables and iptables backends): nothing of the backend checks warns', (t) => {
  const nft = runChecks(input(nftSnap(), { xtables: [], firewalld: undefined }));
  t.deepEqual(problems(nft).map((f) => f.id), []);
  const info = nft.find((f) => f.id === 'firewall.backend')!;
  t.is(info.status, 'ok');
  t.regex(info.detail, /nftables firewall backend .* known from `docker info`; docker-ipv6's rules live in nftables table ip6 docker-ipv6/);
  t.deepEqual(nft.filter((f) => f.id === 'firewall.forward-drop').map((f) => f.status), ['skip'], 'our table\'s FORWARD is not iptables\' FORWARD');
  // without Docker's nftables masquerades the ULA networks are reported unmasqueraded
  const bare = nftSnap();
  bare.firewall.dockerMasq = [];
  t.deepEqual(problems(runChecks(input(bare, {}))).map((f) => `${f.id} ${f.subject}`), ['outside.ula-nat bridge', 'outside.ula-nat app']);
  const ipt = healthySnap();
  ipt.firewall.kind = 'ip6tables';
  ipt.firewall.docker = { backend: 'iptables', source: 'default' };
  const all = runChecks(input(ipt, { nftTables: [{ family: 'ip', name: 'filter' }] }));
  t.deepEqual(problems(all).map((f) => f.id), []);
  t.regex(all.find((f) => f.id === 'firewall.backend')!.detail, /iptables firewall backend .* known from Docker's default .*ip6tables chains D6-FORWARD, D6-USER and D6-NAT/);
  t.is(all.find((f) => f.id === 'firewall.stale-ours')!.status, 'ok');
});

test('backend info names each source; unknown backend is a skip', (t) => {
  const s = nftSnap();
  for (const [source, re] of [['dockerd flag', /--firewall-backend flag/], ['daemon.json', /"firewall-backend" in daemon\.json/]] as const) {
    s.firewall.docker = { backend: 'nftables', source };
    t.regex(backendInfo(input(s))[0].detail, re);
  }
  s.firewall.docker = undefined;
  t.is(backendInfo(input(s))[0].status, 'skip');
});

test('DOCKER-USER rules under the nftables backend: warn per family, with where to put them and the exact removal', (t) => {
  const v6 = xt(6, 'nft', '*filter\n:FORWARD DROP [0:0]\n:DOCKER-USER - [0:0]\n-A FORWARD -j DOCKER-USER\n-A DOCKER-USER -s 2001:db8:9::/48 -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n');
  const v4 = xt(4, 'legacy', '*filter\n:FORWARD ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n-A DOCKER-USER -s 10.9.0.0/16 -j DROP\nCOMMIT\n');
  const fs = dockerUser(input(nftSnap(), { xtables: [v6, v4] }));
  t.is(fs.length, 2);
  const [six, four] = fs;
  t.is(six.status, 'warn');
  t.is(six.subject, 'ip6tables-nft');
  t.regex(six.detail, /1 rule\(s\) in ip6tables-nft's DOCKER-USER chain .* no DOCKER-USER chain .*FORWARD still jumps to it .*drops still drop .*accepts cannot let through/);
  t.regex(six.fix, /ip6tables-nft -t filter -D FORWARD -j DOCKER-USER && ip6tables-nft -t filter -F DOCKER-USER && ip6tables-nft -t filter -X DOCKER-USER$/);
  t.regex(six.fix, /table of your own/, 'not enabled in routed/ndp: no D6-USER to offer');
  t.is(four.subject, 'iptables-legacy');
  t.notRegex(four.detail, /still jumps/);
  t.regex(four.fix, /iptables-legacy -t filter -F DOCKER-USER && iptables-legacy -t filter -X DOCKER-USER$/);
  // routed/ndp: our D6-USER in table ip6 docker-ipv6 is the place for the IPv6 rules
  const routed = nftSnap();
  routed.state = { version: 1, prefix: '2001:db8:5::/48', mode: 'routed', uplink: 'eth0', enabled: { filterByUs: true } } as HostSnapshot['state'];
  t.regex(dockerUser(input(routed, { xtables: [v6] }))[0].fix, /^put the IPv6 ones in chain D6-USER of table ip6 docker-ipv6/);
  // Docker's lone RETURN (before 28) is not the admin's; the iptables backend reads DOCKER-USER itself
  t.is(dockerUser(input(nftSnap(), { xtables: [xt(6, 'nft', '*filter\n:DOCKER-USER - [0:0]\n-A DOCKER-USER -j RETURN\nCOMMIT\n')] }))[0].status, 'ok');
  const ipt = nftSnap();
  ipt.firewall.docker = { backend: 'iptables', source: 'docker info' };
  t.deepEqual(dockerUser(input(ipt, { xtables: [v6] })), []);
});

test('a mix of backends: FORWARD policy DROP, admin rules and Docker\'s old chains beside the nftables backend', (t) => {
  const save = [
    '*filter', ':FORWARD DROP [0:0]', ':DOCKER - [0:0]', ':DOCKER-FORWARD - [0:0]',
    '-A FORWARD -j DOCKER-FORWARD', '-A FORWARD -s 2001:db8:66::/48 -j DROP', '-A DOCKER-FORWARD -o docker0 -j DOCKER', 'COMMIT',
    '*nat', ':PREROUTING ACCEPT [0:0]', ':DOCKER - [0:0]', '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER', 'COMMIT', '',
  ].join('\n');
  const [f] = backendMix(input(nftSnap(), { xtables: [xt(6, 'nft', save)] }));
  t.is(f.status, 'warn');
  t.regex(f.detail, /^ip6tables-nft still filters beside Docker's nftables rules: FORWARD policy DROP, 1 rule\(s\) of its own in FORWARD \(-A FORWARD -s 2001:db8:66::\/48 -j DROP\), Docker's old chains DOCKER, DOCKER-FORWARD/);
  t.regex(f.detail, /every base chain on a hook sees each packet.*a drop in any of them wins, so this policy drops container traffic/i);
  t.true(f.fix.includes('ip6tables-nft -t filter -D FORWARD -j DOCKER-FORWARD && ip6tables-nft -t filter -F DOCKER && ip6tables-nft -t filter -F DOCKER-FORWARD && ip6tables-nft -t filter -X DOCKER && ip6tables-nft -t filter -X DOCKER-FORWARD'), f.fix);
  t.true(f.fix.includes('ip6tables-nft -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j DOCKER && ip6tables-nft -t nat -F DOCKER && ip6tables-nft -t nat -X DOCKER'), f.fix);
  t.regex(f.fix, /ip6tables-nft -P FORWARD ACCEPT/);
  // an ACCEPT policy with no rules is no mix
  t.is(backendMix(input(nftSnap(), { xtables: [xt(4, 'nft', '*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n')] }))[0].status, 'ok');
});

test('our rules left in the other place after a backend switch: the exact commands to remove them', (t) => {
  const save = [
    '*filter', ':FORWARD ACCEPT [0:0]', ':D6-FORWARD - [0:0]', ':D6-USER - [0:0]',
    '-A FORWARD -m comment --comment docker-ipv6 -j D6-FORWARD', '-A D6-FORWARD -m comment --comment docker-ipv6 -j D6-USER',
    '-A D6-USER -s 2001:db8:9::/48 -j ACCEPT', 'COMMIT',
    '*nat', ':POSTROUTING ACCEPT [0:0]', ':D6-NAT - [0:0]', '-A POSTROUTING -m comment --comment docker-ipv6 -j D6-NAT', 'COMMIT', '',
  ].join('\n');
  const [f] = staleOurs(input(nftSnap(), { xtables: [xt(6, 'nft', save)] }));
  t.is(f.status, 'warn');
  t.regex(f.detail, /chains D6-FORWARD, D6-USER, D6-NAT are still in ip6tables-nft/);
  t.is(f.fix, 'first copy your 1 rule(s) of D6-USER (ip6tables-nft -S D6-USER) into chain D6-USER of table ip6 docker-ipv6, then: '
    + 'ip6tables-nft -t filter -D FORWARD -m comment --comment docker-ipv6 -j D6-FORWARD && ip6tables-nft -t filter -F D6-FORWARD && ip6tables-nft -t filter -F D6-USER && ip6tables-nft -t filter -X D6-FORWARD && ip6tables-nft -t filter -X D6-USER'
    + ' && ip6tables-nft -t nat -D POSTROUTING -m comment --comment docker-ipv6 -j D6-NAT && ip6tables-nft -t nat -F D6-NAT && ip6tables-nft -t nat -X D6-NAT');
  // IPv4 tables never hold ours
  t.is(staleOurs(input(nftSnap(), { xtables: [xt(4, 'nft', save)] }))[0].status, 'ok');
  // Docker back on iptables: our nftables table is the leftover
  const ipt = healthySnap();
  ipt.firewall.docker = { backend: 'iptables', source: 'docker info' };
  const [g] = staleOurs(input(ipt, { nftTables: [{ family: 'ip6', name: 'docker-ipv6' }, { family: 'ip6', name: 'filter' }] }));
  t.is(g.status, 'warn');
  t.regex(g.detail, /table ip6 docker-ipv6 is left from when Docker used its nftables backend/);
  t.regex(g.fix, /nft delete table ip6 docker-ipv6$/);
  t.deepEqual(staleOurs(input(ipt, {})), [], 'nft not installed: nothing to tell');
});

test('firewalld: running (its own state or Docker\'s driver) warns with advice; installed and stopped is ok; absent says nothing', (t) => {
  const s = nftSnap();
  const [f] = firewalld(input(s, { firewalld: 'running' }));
  t.is(f.status, 'warn');
  t.regex(f.detail, /firewalld is running: Docker puts its bridges in firewalld's "docker" zone .*reload .*table ip6 docker-ipv6 included/);
  t.regex(f.fix, /docker ipv6 apply/);
  t.is(f.auto, undefined);
  const ipt = healthySnap();
  ipt.firewall.docker = { backend: 'iptables', source: 'docker info', driver: 'iptables+firewalld' };
  t.regex(firewalld(input(ipt, {}))[0].detail, /Docker reports "iptables\+firewalld".*ip6tables chains D6-FORWARD and D6-NAT/);
  t.is(firewalld(input(s, { firewalld: 'not running' }))[0].status, 'ok');
  t.deepEqual(firewalld(input(s, {})), []);
});

test('forwarding on the nftables backend: each missing key, why Docker will not start (or is down), the fix; only on that backend', (t) => {
  const s = nftSnap();
  s.host.sysctls['net.ipv4.ip_forward'] = '0';
  s.host.sysctls['net.ipv6.conf.default.forwarding'] = '0';
  const fs = nftForwarding(input(s));
  t.deepEqual(fs.map((f) => [f.subject, f.status]), [['net.ipv4.ip_forward', 'fail'], ['net.ipv6.conf.default.forwarding', 'fail']]);
  t.regex(fs[0].detail, /^net\.ipv4\.ip_forward = 0: Docker's nftables backend will refuse to start at its next restart \("IPv4 forwarding is disabled/);
  t.regex(fs[0].fix, /^sysctl -w net\.ipv4\.ip_forward=1 \(and keep it across reboots/);
  t.is(fs[0].auto, undefined, 'IPv4 sysctls are not the tool\'s to journal');
  t.deepEqual(fs[1].auto, { kind: 'sysctl', key: 'net.ipv6.conf.default.forwarding', value: '1' });
  t.regex(fs[1].detail, /\(the default bridge has IPv6\).*"IPv6 global forwarding is disabled/);
  // Docker down: the daemon facts are gone, daemon.json still says IPv6; reachable names the cause
  const down = nftSnap();
  down.daemon = { reachable: false, error: 'Docker refused the connection' };
  down.networks = [];
  down.firewall.docker = { backend: 'nftables', source: 'daemon.json' };
  down.host.sysctls['net.ipv6.conf.all.forwarding'] = '0';
  const d = nftForwarding(input(down));
  t.deepEqual(d.map((f) => f.subject), ['net.ipv6.conf.all.forwarding']);
  t.regex(d[0].detail, /refuses to start, so Docker stays down/);
  t.regex(d[0].fix, /, then: systemctl restart docker\.service$/);
  const reach = runChecks(input(down)).find((f) => f.id === 'daemon.reachable')!;
  t.regex(reach.detail, /nftables backend refuses to start while net\.ipv6\.conf\.all\.forwarding is 0/);
  t.is(reach.fix, 'sysctl -w net.ipv6.conf.all.forwarding=1, then: systemctl restart docker.service');
  // the bridge without IPv6 needs only IPv4 forwarding
  const v4only = nftSnap();
  v4only.daemonConfig.value = {};
  v4only.networks = v4only.networks.filter((n) => n.name !== 'bridge');
  v4only.host.sysctls['net.ipv6.conf.all.forwarding'] = '0';
  t.is(nftForwarding(input(v4only))[0].status, 'ok');
  // "ip-forward": false turns Docker's check off; the iptables backend turns forwarding on itself
  const noCheck = nftSnap();
  noCheck.daemonConfig.value = { ...noCheck.daemonConfig.value, 'ip-forward': false };
  noCheck.host.sysctls['net.ipv4.ip_forward'] = '0';
  t.regex(nftForwarding(input(noCheck))[0].detail, /"ip-forward": false/);
  const ipt = healthySnap();
  ipt.host.sysctls['net.ipv4.ip_forward'] = '0';
  t.deepEqual(nftForwarding(input(ipt)), []);
  // routed/ndp: forwarding comes back through apply, behind our filter
  const routed = nftSnap();
  routed.state = { version: 1, prefix: '2001:db8:5::/48', mode: 'routed', uplink: 'eth0', enabled: { filterByUs: true } } as HostSnapshot['state'];
  routed.host.sysctls['net.ipv6.conf.all.forwarding'] = '0';
  const r = nftForwarding(input(routed));
  t.regex(r[0].fix, /^docker ipv6 apply/);
  t.is(r[0].auto, undefined);
});

test('kernel checks speak nft when our rules live in nftables', (t) => {
  const all = runChecks(input(nftSnap(), {} as ExtraFacts));
  t.regex(all.find((f) => f.id === 'kernel.nftables')!.detail, /^nft 1\.0\.6 reads the nftables ruleset/);
  t.false(all.some((f) => f.id === 'kernel.ip6tables'), 'the nftables check is not labelled ip6tables');
  t.is(all.find((f) => f.id === 'kernel.iptables-backend')!.status, 'skip');
  const missing = nftSnap();
  missing.firewall = { ...missing.firewall, available: false, error: 'nft is not installed (or not on PATH)' };
  const f = runChecks(input(missing)).find((x) => x.id === 'kernel.nftables')!;
  t.is(f.status, 'fail');
  t.is(f.fix, 'apt-get install nftables');
});
