import test from 'ava';
import { judge, masqueradeFor, type Observed, type VerifyFacts } from '../../../src/prove/judge';

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
