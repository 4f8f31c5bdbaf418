// Compose's short ports syntax read as go-connections' nat.ParsePortSpec reads it (compose-go's ParsePortConfig
// calls it), and the scope of each host address. The expected values restate that parser's documented behaviour
// and its own test table's IPv6 forms; nothing here is taken from lint's output.
import test from 'ava';
import { goParseIp, parseShortPort, scopeOf } from '../../../src/lint/port-spec';
import { lintSources } from '../../../src/lint/engine';

const ok = (raw: string) => {
  const r = parseShortPort(raw);
  if (!r.ok) throw new Error(`${raw}: ${r.error}`);
  return [r.spec.hostIp, r.spec.published, r.spec.target, r.spec.protocol].join(' | ');
};
const err = (raw: string) => { const r = parseShortPort(raw); return r.ok ? 'accepted' : r.error; };

test('accepted forms: IPv6 host addresses with and without brackets, ranges, protocols', (t) => {
  t.is(ok('80'), ' |  | 80 | tcp');
  t.is(ok('8080:80'), ' | 8080 | 80 | tcp');
  t.is(ok('::6000'), ' |  | 6000 | tcp'); // an empty address and an empty host port
  t.is(ok('1.2.3.4:8080:80/UDP'), '1.2.3.4 | 8080 | 80 | udp');
  t.is(ok('[::1]:80:80'), '::1 | 80 | 80 | tcp');
  t.is(ok('::1:80:80'), '::1 | 80 | 80 | tcp');
  t.is(ok('::1:67:67'), '::1 | 67 | 67 | tcp');
  t.is(ok('[2001:4860:0:2001::68]::333'), '2001:4860:0:2001::68 |  | 333 | tcp');
  t.is(ok('2001:4860:0:2001::68::333'), '2001:4860:0:2001::68 |  | 333 | tcp');
  t.is(ok('::::80'), ':: |  | 80 | tcp');
  t.is(ok('[::]:8081:80'), ':: | 8081 | 80 | tcp');
  t.is(ok('[]:8081:80'), ' | 8081 | 80 | tcp'); // brackets around nothing: no address at all
  t.is(ok('8000-8010:80'), ' | 8000-8010 | 80 | tcp'); // a host range for one container port
  t.is(ok('9000-9002:9000-9002/sctp'), ' | 9000-9002 | 9000-9002 | sctp');
  t.is(ok('80-80:8080'), ' | 80-80 | 8080 | tcp');
  t.is(ok('0:80'), ' | 0 | 80 | tcp');
});

test('refused forms carry the message Compose stops with', (t) => {
  t.is(err(''), 'no port specified: <empty>');
  t.is(err('80/xyz'), 'invalid proto: xyz');
  t.is(err('tcp'), 'invalid containerPort: tcp');
  t.is(err('9999999'), 'invalid containerPort: 9999999');
  t.is(err('192.168.1.100'), 'invalid containerPort: 192.168.1.100');
  t.is(err('192.168.1.100:-1:-1'), 'invalid containerPort: -1');
  t.is(err('70000:80'), 'invalid hostPort: 70000');
  t.is(err('::1:67'), 'invalid IP address: :'); // four parts: the address is ":" and the host port 1
  t.is(err('[::1:8080:80'), 'invalid IP address [::1');
  t.is(err('[::1]x:80:80'), 'invalid IP address [::1]x');
  t.is(err('[fe80::1%eth0]:80:80'), 'invalid IP address: fe80::1%eth0');
  t.is(err('01.2.3.4:80:80'), 'invalid IP address: 01.2.3.4'); // Go refuses leading zeros
  t.is(err('localhost:80:80'), 'invalid IP address: localhost');
  t.is(err('8000-8002:80-81'), 'invalid ranges specified for container and host Ports: 80-81 and 8000-8002');
  t.is(err('90-80'), 'invalid containerPort: 90-80');
});

test('each host address has a scope: all, all of one family, loopback, or one host address', (t) => {
  t.is(scopeOf(''), 'all');
  t.is(scopeOf('0.0.0.0'), 'all-ipv4');
  t.is(scopeOf('::'), 'all-ipv6');
  t.is(scopeOf('127.0.0.1'), 'loopback-ipv4');
  t.is(scopeOf('127.1.2.3'), 'loopback-ipv4');
  t.is(scopeOf('::1'), 'loopback-ipv6');
  t.is(scopeOf('192.0.2.10'), 'host-ipv4');
  t.is(scopeOf('2001:db8::10'), 'host-ipv6');
  t.is(scopeOf('::ffff:127.0.0.1'), 'loopback-ipv4'); // Docker takes a v4-mapped address as the IPv4 one
  t.is(scopeOf('[::1]'), undefined);
  t.is(goParseIp('1.2.3'), undefined);
  t.is(goParseIp(' 1.2.3.4'), undefined);
});

const compose = (ports: string[], networks = '') => `services:\n  web:\n    image: nginx\n${networks ? '    networks: [net]\n' : ''}    ports:\n${ports.map((p) => `      - "${p}"\n`).join('')}${networks}`;
const V6NET = 'networks:\n  net:\n    enable_ipv6: true\n    ipam:\n      config:\n        - subnet: fd8b:1c2d:3e4f:9::/64\n';
const found = (text: string, opts = {}) => lintSources([{ file: 'compose.yaml', text }], opts).findings.map((f) => `${f.line}:${f.col} ${f.severity} ${f.rule}`);

test('a loopback binding, bracketed or not, asks nothing of the network: no enable_ipv6 error', (t) => {
  for (const p of ['::1:67:67', '[::1]:67:67', '127.0.0.1:67:67']) t.deepEqual(found(compose([p])), ['2:3 info ipv6/no-intent'], p);
  // a host IPv6 address is served by Docker's proxy from the host too: IPv6-only, but no network error
  t.deepEqual(found(compose(['2001:db8::10:443:443'])), ['2:3 info ipv6/no-intent', '5:9 info compose/port-ipv6-only']);
});

test('0.0.0.0 is IPv4-only where the file gives networks IPv6 or --dual-stack asks, even on a network without IPv6', (t) => {
  t.deepEqual(found(compose(['0.0.0.0:8080:80'])), ['2:3 info ipv6/no-intent'], 'no dual-stack intent: nothing to say');
  t.deepEqual(found(compose(['0.0.0.0:8080:80']), { dualStack: true }), ['2:3 error compose/enable-ipv6-missing', '5:9 warning compose/port-ipv4-only']);
  t.deepEqual(found(compose(['0.0.0.0:8080:80'], V6NET)), ['6:9 warning compose/port-ipv4-only']);
  // another service's network has IPv6, this one sits on the default network: both findings, the port on its line
  const two = `services:\n  web:\n    image: nginx\n    ports:\n      - "0.0.0.0:8080:80"\n  db:\n    image: postgres\n    networks: [net]\n${V6NET}`;
  t.deepEqual(found(two), ['2:3 error compose/enable-ipv6-missing', '5:9 warning compose/port-ipv4-only']);
  // with its IPv6 twin the port serves both families
  t.deepEqual(found(compose(['0.0.0.0:8080:80', '[::]:8080:80'], V6NET)), []);
  // one IPv4 host address or IPv4 loopback is a choice: info, never a warning
  t.deepEqual(found(compose(['192.0.2.10:8080:80', '127.0.0.1:9090:90'], V6NET)), ['6:9 info compose/port-ipv4-only', '7:9 info compose/port-ipv4-only']);
});

test('a port entry Compose refuses is an error at its line; one with an unknown variable is not judged', (t) => {
  t.deepEqual(found(compose(['::1:67', '${HOST_IP}:80:80', '${PORT:-8080}:80'], V6NET)), ['6:9 error compose/port-invalid', '7:9 info compose/interpolation-unresolved']);
});
