import test from 'ava';
import { judge, masqueradeFor, type Observed, type VerifyFacts } from '../../../src/prove/judge';
import { parsePathMtu, pathMtuScript } from '../../../src/prove/probe';

const ok = (output = '') => ({ code: 0, output, timedOut: false });
const fail = (output = '1 packets transmitted, 0 packets received') => ({ code: 1, output, timedOut: false });

const facts: VerifyFacts = {
  network: { name: 'n1', enableIPv6: true, subnets6: ['fd12:3456:789a:1::/64'] },
  mode: 'nat', prefix: 'fd12:3456:789a::/48', uplink: 'eth0', hostAddress: '2001:db8:1::2',
  defaultRoute: { gateway: '2001:db8:1::1', ifname: 'eth0' }, forwarding: '1',
  masqueraded: ['fd12:3456:789a:1::/64'], proxies: [], target: '2001:db8:1::1', targetWhy: '',
};
const good: Observed = {
  addressA: 'fd12:3456:789a:1::3', addressB: 'fd12:3456:789a:1::2', hostReach: ok(),
  dns: ok('Name: b\nAddress: 10.0.0.2\nAddress: fd12:3456:789a:1::2'), ping: ok(), tcp: ok('d6-ok'), egress: ok(),
  pathMtu: { mtu: 1500, replied: true, tooBig: 0, output: 'mtu=1500\nreplied=0\ntoobig=0' },
  published: { port: 32768, ok: true },
};
const byId = (rows: ReturnType<typeof judge>) => Object.fromEntries(rows.map((r) => [r.id, r]));

test('all pass on a working NAT host', (t) => {
  const rows = judge(facts, good);
  t.deepEqual(rows.filter((r) => r.status !== 'pass'), []);
  t.regex(byId(rows)['egress-source'].detail, /host's address 2001:db8:1::2/);
});

test('no IPv6 on the network: the address fails with the upgrade command, the rest say why', (t) => {
  const r = byId(judge({ ...facts, network: { name: 'v4', enableIPv6: false, subnets6: [] } }, { ...good, addressA: undefined, addressB: undefined }));
  t.is(r.address.status, 'fail');
  t.regex(r.address.detail, /network v4 has IPv6 off/);
  t.regex(r.address.fix!, /docker ipv6 network upgrade v4/);
  t.regex(r.egress.detail, /no IPv6 address/);
});

test('egress failures name the broken layer', (t) => {
  const bad = { ...good, egress: fail() };
  t.regex(byId(judge({ ...facts, forwarding: '0' }, bad)).egress.detail, /forwarding is off.*forwarding=0/);
  const noNat = byId(judge({ ...facts, masqueraded: [] }, bad));
  t.regex(noNat.egress.detail, /no IPv6 masquerade rule covers fd12:3456:789a:1::\/64/);
  t.is(noNat['egress-source'].status, 'skip', 'no egress: the source address is not judged');
  const routed = { ...facts, mode: 'routed' as const, prefix: '2001:db8:100::/48', network: { name: 'r', enableIPv6: true, subnets6: ['2001:db8:100:1::/64'] }, masqueraded: [] };
  const r = byId(judge(routed, { ...bad, addressA: '2001:db8:100:1::3', dns: ok('Address: 2001:db8:100:1::2') }));
  t.regex(r.egress.detail, /upstream router must route 2001:db8:100::\/48/);
  t.regex(r.egress.fix!, /ip -6 route add 2001:db8:100::\/48 via 2001:db8:1::2/);
  t.is(r['egress-source'].status, 'skip');
  t.regex(r['egress-source'].detail, /egress failed/);
  const hostDown = byId(judge(facts, { ...bad, hostReach: fail() }));
  t.is(hostDown['host-reach'].status, 'fail');
  t.regex(hostDown.egress.detail, /the host itself cannot reach/);
});

test('no default route: the host is blamed and there is no target', (t) => {
  const r = byId(judge({ ...facts, defaultRoute: undefined, target: undefined, targetWhy: 'no target: the host has no IPv6 default gateway; pass --target' }, { ...good, hostReach: undefined, egress: undefined }));
  t.is(r['host-route'].status, 'fail');
  t.regex(r.egress.detail, /pass --target/);
});

test('masqueradeFor finds the covering rule', (t) => {
  t.is(masqueradeFor('fd00:1:2:3::/64', ['fd00::/80', 'fd00::/16']), 'fd00::/16');
  t.is(masqueradeFor('fd00:1:2:3::/64', ['fd01::/16']), undefined);
});

test('egress-source is inferred from the NAT rules: titled so, and skipped when egress fails', (t) => {
  const rows = byId(judge(facts, good));
  t.is(rows['egress-source'].title, 'expected source address (from the NAT rules)');
  t.is(rows['egress-source'].status, 'pass');
  for (const egress of [fail(), { code: 1, output: '', timedOut: true }, undefined]) {
    const r = byId(judge(facts, { ...good, egress }))['egress-source'];
    t.is(r.status, 'skip', JSON.stringify(r));
    t.regex(r.detail, /egress failed/);
    t.is(r.fix, undefined);
  }
  // no target: egress cannot run, the source is not judged either
  t.is(byId(judge({ ...facts, target: undefined, targetWhy: 'no target' }, good))['egress-source'].status, 'skip');
  // egress works but a routed network is masqueraded: the rule contradicts the mode
  const routed = { ...facts, mode: 'routed' as const, prefix: '2001:db8:100::/48', network: { name: 'r', enableIPv6: true, subnets6: ['2001:db8:100:1::/64'] }, masqueraded: ['2001:db8:100::/48'] };
  const r = byId(judge(routed, { ...good, addressA: '2001:db8:100:1::3', dns: ok('Address: 2001:db8:100:1::2') }));
  t.is(r['egress-source'].status, 'fail');
  t.regex(r['egress-source'].fix!, /should not be masqueraded/);
  const clean = byId(judge({ ...routed, masqueraded: [] }, { ...good, addressA: '2001:db8:100:1::3', dns: ok('Address: 2001:db8:100:1::2') }));
  t.is(clean['egress-source'].status, 'pass');
  t.regex(clean['egress-source'].detail, /container's own address 2001:db8:100:1::3/);
});

test('path MTU: a Packet Too Big with the value learned, without it, the full MTU through, and a black hole', (t) => {
  const row = (pathMtu: Observed['pathMtu'], egress = ok()) => byId(judge(facts, { ...good, egress, pathMtu }))['path-mtu'];
  t.deepEqual(row({ mtu: 1420, replied: false, tooBig: 2, learned: 1280, output: '' }), { id: 'path-mtu', title: 'path MTU to 2001:db8:1::1', status: 'pass', detail: 'the path MTU to 2001:db8:1::1 is 1280, below the container\'s 1420: a Packet Too Big came back, so TCP adapts' });
  t.regex(row({ mtu: 1420, replied: false, tooBig: 1, output: '' }).detail, /below the container's 1420: a Packet Too Big came back, so TCP adapts \(its value is read as root\)/);
  t.is(row({ mtu: 1500, replied: true, tooBig: 0, output: '' }).detail, 'the path to 2001:db8:1::1 carries the container\'s full MTU 1500');
  const hole = row({ mtu: 1500, replied: false, tooBig: 0, output: '' });
  t.is(hole.status, 'fail');
  t.regex(hole.detail, /1500-byte packets to 2001:db8:1::1 get no reply and no ICMPv6 Packet Too Big comes back \(small ones do\): a path MTU black hole/);
  t.regex(hole.fix!, /let ICMPv6 Packet Too Big \(type 2\) through/);
  t.is(row(undefined, fail()).status, 'skip', 'egress failed: nothing to judge');
  t.is(row({ output: 'sh: not found' }).status, 'skip');
});

test('the path-MTU probe\'s output and the container\'s routing cache are read as measured on Docker 28', (t) => {
  const route = '[{"dst":"2001:db8:3::2","from":"::","gateway":"fdc5:b91a:511e::1","dev":"eth0","prefsrc":"fdc5:b91a:511e::2","metric":1024,"flags":[],"expires":596,"metrics":[{"mtu":1280}],"pref":"medium"}]';
  t.deepEqual(parsePathMtu('mtu=1420\nreplied=1\ntoobig=2', route), { output: 'mtu=1420\nreplied=1\ntoobig=2', mtu: 1420, replied: false, tooBig: 2, learned: 1280 });
  t.deepEqual(parsePathMtu('mtu=1500\nreplied=0\ntoobig=0'), { output: 'mtu=1500\nreplied=0\ntoobig=0', mtu: 1500, replied: true, tooBig: 0 });
  t.is(parsePathMtu('mtu=1420\nreplied=1\ntoobig=1', 'not json').learned, undefined);
  t.regex(pathMtuScript('2001:db8:3::2'), /ping6 -c2 -W2 -s \$\(\(m - 48\)\) 2001:db8:3::2/);
});

test('with a chosen NAT source the expected source names it', (t) => {
  t.regex(byId(judge({ ...facts, natSource: '2001:db8:1::99' }, good))['egress-source'].detail, /the chosen source 2001:db8:1::99 \(--nat-source, SNAT of fd12:3456:789a:1::\/64\)/);
});

test('egress-source seen outside (conntrack): judged against what the mode makes of the container\'s address', (t) => {
  const seen = (f: VerifyFacts, o: Observed, as: string) => byId(judge(f, { ...o, egressSeenAs: as }))['egress-source'];
  // nat: a host address, never the container's own
  const nat = seen(facts, good, '2001:db8:1::2');
  t.is(nat.title, 'source address seen outside (conntrack)');
  t.is(nat.status, 'pass');
  t.regex(nat.detail, /host's address 2001:db8:1::2 \(NAT66, masqueraded by fd12:3456:789a:1::\/64\), not the container's fd12:3456:789a:1::3/);
  const leaked = seen(facts, good, 'fd12:3456:789a:1::3');
  t.is(leaked.status, 'fail');
  t.regex(leaked.fix!, /needs NAT66/);
  // a chosen source: exactly that address
  const chosen = { ...facts, natSource: '2001:db8:1::99' };
  t.is(seen(chosen, good, '2001:db8:1::99').status, 'pass');
  t.is(seen(chosen, good, '2001:db8:1::2').status, 'fail');
  // routed: the container's own address; a masquerade on the way is a failure
  const routed: VerifyFacts = { ...facts, mode: 'routed', prefix: '2001:db8:100::/48', network: { name: 'r', enableIPv6: true, subnets6: ['2001:db8:100:1::/64'] }, masqueraded: [] };
  const ro = { ...good, addressA: '2001:db8:100:1::3', dns: ok('Address: 2001:db8:100:1::2') };
  t.regex(seen(routed, ro, '2001:db8:100:1::3').detail, /container's own address 2001:db8:100:1::3/);
  t.is(seen(routed, ro, '2001:db8:1::2').status, 'fail');
  // npt: the container's address mapped into the outside prefix, and nothing else
  const npt: VerifyFacts = { ...facts, mode: 'npt', prefix: 'fd12:3456:789a::/48', outsidePrefix: '2001:db8:800::/48', masqueraded: [] };
  const mapped = seen(npt, good, '2001:db8:800:1::3');
  t.is(mapped.status, 'pass');
  t.regex(mapped.detail, /mapped into 2001:db8:800::\/48 \(NPTv6\)/);
  for (const wrong of ['fd12:3456:789a:1::3', '2001:db8:1::2', '2001:db8:800:1::4']) {
    const r = seen(npt, good, wrong);
    t.is(r.status, 'fail', wrong);
    t.regex(r.fix!, /docker ipv6 apply/);
  }
});

test('egress-source: the row seen outside and the row inferred from the NAT rules word the same source the same way, in every mode', (t) => {
  const detail = (f: VerifyFacts, o: Observed, as?: string) => byId(judge(f, { ...o, ...(as ? { egressSeenAs: as } : {}) }))['egress-source'].detail;
  const inferred = '; inferred from the NAT rules, not seen at the far end';
  const routed: VerifyFacts = { ...facts, mode: 'routed', prefix: '2001:db8:100::/48', network: { name: 'r', enableIPv6: true, subnets6: ['2001:db8:100:1::/64'] }, masqueraded: [] };
  const ro = { ...good, addressA: '2001:db8:100:1::3', dns: ok('Address: 2001:db8:100:1::2') };
  const npt: VerifyFacts = { ...facts, mode: 'npt', prefix: 'fd12:3456:789a::/48', outsidePrefix: '2001:db8:800::/48', masqueraded: [] };
  const cases: Array<[string, VerifyFacts, Observed, string]> = [
    ['nat', facts, good, '2001:db8:1::2'],
    ['chosen', { ...facts, natSource: '2001:db8:1::99' }, good, '2001:db8:1::99'],
    ['routed', routed, ro, '2001:db8:100:1::3'],
    ['npt', npt, good, '2001:db8:800:1::3'],
  ];
  for (const [what, f, o, as] of cases) {
    const seen = detail(f, o, as);
    t.is(`${seen}${inferred}`, detail(f, o), what);
  }
});
