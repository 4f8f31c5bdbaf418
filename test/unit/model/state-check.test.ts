// The state file's check on load (model/state-check.ts): a state enable writes passes; every field that
// reaches a route, rule, sysctl path or file write is refused with its name when it is not one the tool writes.
import test from 'ava';
import { stateProblem } from '../../../src/model/state-check';

/** What enable writes in routed mode (steps.ts write-state), plus an allocation and a proxy. */
const GOOD = {
  version: 1, prefix: '2001:db8:2::/48', mode: 'routed', uplink: 'eth0',
  enabled: {
    at: '2026-01-01T00:00:00.000Z',
    daemonJson: { path: '/etc/docker/daemon.json', undo: { previous: { ipv6: { absent: true }, 'fixed-cidr-v6': { value: 'fd00::/64', raw: '"fd00::/64"' } } }, fileExisted: true },
    sysctls: { 'net.ipv6.conf.all.forwarding': '0', 'net.ipv6.conf.eth0.accept_ra': '1', 'net.ipv6.conf.br-1.2.proxy_ndp': '', 'net.ipv4.ip_forward': '1' },
    sysctlFileWritten: true, natByUs: false, filterByUs: true,
  },
  proxies: [{ address: '2001:db8:2::1', ifname: 'eth0' }],
  routes: ['unreachable 2001:db8:2::/48'],
  allocations: { web: '2001:db8:2:1::/64', 'compose:x': 'fd12:3456:789a:1::/64' },
};

const withField = (path: string[], value: unknown) => {
  const v = structuredClone(GOOD) as Record<string, unknown>;
  let o = v;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[path[path.length - 1]] = value;
  return v;
};

test('states the tool writes pass: enabled, disabled (prefix kept), empty, ULA /48, NDP /80', (t) => {
  t.is(stateProblem(GOOD), undefined);
  t.is(stateProblem({ version: 1 }), undefined);
  t.is(stateProblem({ version: 1, prefix: 'fd12:3456:789a::/48', uplink: 'eth0' }), undefined);
  t.is(stateProblem(withField(['prefix'], '2001:db8:1:0:8000::/80')), undefined);
  t.is(stateProblem({ ...GOOD, somethingNewer: [1] }), undefined, 'fields a later version adds are left alone');
});

test('a prefix the tool would never serve is refused, named, with the reason enable gives', (t) => {
  const cases: Array<[unknown, RegExp]> = [
    ['::/0', /prefix ::\/0 is the unspecified address|prefix ::\/0 is not a unicast prefix/],
    ['2001:db8::1/128', /is too small: \/128/],
    ['2000::/3', /implausibly large/],
    ['10.0.0.0/8', /is IPv4/],
    ['fe80::/64', /link-local/],
    ['ff00::/8', /multicast/],
    ['2001:db8::1/48', /host bits/],
    ['garbage', /is not an IPv6 prefix/],
    ['fd00::', /has no length/],
    [48, /is 48, not a prefix/],
  ];
  for (const [prefix, why] of cases) {
    const p = stateProblem(withField(['prefix'], prefix));
    t.is(p?.field, 'prefix', String(prefix));
    t.regex(`${p?.field} ${p?.why}`, why, String(prefix));
  }
});

test('mode, uplink, routes, proxies, allocations and sysctls must be ones the tool writes', (t) => {
  const cases: Array<[string[], unknown, string]> = [
    [['mode'], 'open', 'mode'],
    [['uplink'], '+', 'uplink'],
    [['uplink'], 'eth0 -j ACCEPT', 'uplink'],
    [['uplink'], 'a'.repeat(16), 'uplink'],
    [['routes'], ['unreachable ::/0'], 'routes[0]'],
    [['routes'], ['blackhole 2001:db8:2::/48'], 'routes[0]'],
    [['routes'], 'unreachable 2001:db8:2::/48', 'routes'],
    [['proxies'], [{ address: '::', ifname: 'eth0' }], 'proxies[0].address'],
    [['proxies'], [{ address: 'fe80::1', ifname: 'eth0' }], 'proxies[0].address'],
    [['proxies'], [{ address: '2001:db8:2::1', ifname: '"x' }], 'proxies[0].ifname'],
    [['allocations'], { web: '0.0.0.0/0' }, 'allocations["web"]'],
    [['enabled', 'sysctls'], { 'net.ipv6.conf.../../../../etc.x': '1' }, 'enabled.sysctls["net.ipv6.conf.../../../../etc.x"]'],
    [['enabled', 'sysctls'], { 'kernel.core_pattern': '|/tmp/x' }, 'enabled.sysctls["kernel.core_pattern"]'],
    [['enabled', 'sysctls'], { 'net.ipv6.conf.all.forwarding': '1; rm' }, 'enabled.sysctls["net.ipv6.conf.all.forwarding"]'],
    [['enabled', 'daemonJson', 'path'], 'daemon.json', 'enabled.daemonJson.path'],
    [['enabled', 'daemonJson', 'undo', 'previous'], { ipv6: 'yes' }, 'enabled.daemonJson.undo.previous["ipv6"]'],
    [['enabled', 'natByUs'], 'no', 'enabled.natByUs'],
    [['enabled', 'at'], 0, 'enabled.at'],
    [['version'], 2, 'version'],
  ];
  for (const [path, value, field] of cases) t.is(stateProblem(withField(path, value))?.field, field, `${path.join('.')} = ${JSON.stringify(value)}`);
  const { uplink: _u, ...noUplink } = GOOD;
  t.deepEqual(stateProblem(noUplink), { field: 'uplink', why: 'is missing while enabled is set' });
});

test('garbage is refused at the top level', (t) => {
  for (const v of [null, [], 'state', 1, true]) t.is(stateProblem(v)?.field, '(top level)', JSON.stringify(v));
  t.is(stateProblem({})?.field, 'version');
});
