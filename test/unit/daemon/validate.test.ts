import test from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors';
import { assertValidDaemonConfig, dockerdHasValidate, parseCidr, validateDaemonConfig, validateWithDockerd } from '../../../src/daemon/validate';
import { dockerVersionAtLeast, parseDockerVersion } from '../../../src/daemon/version';
import { cachedDockerd } from '../../../src/lab/versions';
import { run, type Runner } from '../../../src/util/exec';

const errors = (v: Record<string, unknown>, ver?: string) => validateDaemonConfig(v, ver).filter((f) => f.severity === 'error');

test('version strings compare by number', (t) => {
  t.deepEqual(parseDockerVersion('20.10.24+dfsg1'), [20, 10, 24]);
  t.deepEqual(parseDockerVersion('Docker version 28.5.2+dfsg4, build 3ef3c07'), [28, 5, 2]);
  t.deepEqual(parseDockerVersion('27.0'), [27, 0, 0]);
  t.is(parseDockerVersion('dev'), null);
  t.false(dockerVersionAtLeast('26.1.5+dfsg1', '27.0'));
  t.true(dockerVersionAtLeast('27.0.1', '27.0'));
  t.true(dockerVersionAtLeast('28.5.2', '27.0'));
  t.false(dockerVersionAtLeast('20.10.24', '23.0'));
  t.true(dockerVersionAtLeast('23.0.0', '23.0'));
  t.true(dockerVersionAtLeast('100.0.0', '27.0'));
  t.false(dockerVersionAtLeast('garbage', '1.0'), 'unparsable counts as old');
});

test('boolean keys must be booleans', (t) => {
  const e = errors({ ipv6: 'yes', ip6tables: 1, experimental: null, iptables: true });
  t.deepEqual(e.map((f) => f.key), ['ipv6', 'ip6tables', 'experimental']);
  t.regex(e[0].message, /"ipv6" must be true or false, not a string \("yes"\)/);
  t.regex(e[0].hint, /no quotes/);
});

test('fixed-cidr-v6 must be an IPv6 prefix', (t) => {
  t.deepEqual(errors({ 'fixed-cidr-v6': 'fd00:1::/64' }), []);
  for (const bad of ['nonsense', 'fd00::', '10.0.0.0/8', 'fd00::/129', 'fe80::1%eth0/64', '::ffff:1.2.3.4/120', 64]) {
    t.is(errors({ 'fixed-cidr-v6': bad }).length, 1, String(bad));
  }
  const w = validateDaemonConfig({ 'fixed-cidr-v6': 'fd00:1::5/64' });
  t.is(w[0].severity, 'warning');
  t.regex(w[0].hint, /"fd00:1::\/64"/);
});

test('parseCidr canonicalises and flags host bits', (t) => {
  t.deepEqual(parseCidr('fd00:0:0:1::/64'), { family: 6, prefixLength: 64, network: 'fd00:0:0:1::/64', hostBitsSet: false });
  t.like(parseCidr('172.17.0.1/16'), { family: 4, network: '172.17.0.0/16', hostBitsSet: true });
  t.is(typeof parseCidr('1.2.3.4/33'), 'string');
});

test('default-address-pools: shape, CIDR and size rules', (t) => {
  t.deepEqual(errors({ 'default-address-pools': [{ base: '172.17.0.0/16', size: 24 }, { base: 'fd00:1::/48', size: 64 }] }, '28.5.2'), []);
  const cases: Array<[unknown, RegExp]> = [
    [{ base: '172.17.0.0/16', size: 24 }, /must be an array/],
    [['172.17.0.0/16'], /must be an object/],
    [[{ base: 12, size: 24 }], /base must be a CIDR string/],
    [[{ base: '172.17.0.0', size: 24 }], /address\/length/],
    [[{ base: '172.17.0.0/16', size: '24' }], /size must be an integer/],
    [[{ base: '172.17.0.0/16', size: 8 }], /size 8 does not fit base 172.17.0.0\/16 \(it must be between 16 and 32\)/],
    [[{ base: '172.17.0.0/16', size: 33 }], /between 16 and 32/],
    [[{ base: 'fd00::/48', size: 40 }], /between 48 and 128/],
    [[{ base: 'fd00::/48', size: 129 }], /between 48 and 128/],
  ];
  for (const [pools, re] of cases) {
    const e = errors({ 'default-address-pools': pools }, '28.5.2');
    t.is(e.length, 1, JSON.stringify(pools));
    t.regex(e[0].message, re);
  }
});

test('IPv6 pools that dockerd before 27 would enumerate up front', (t) => {
  const huge = { 'default-address-pools': [{ base: 'fd0d:ce5::/48', size: 80 }] };
  const e = errors(huge, '20.10.24');
  t.is(e.length, 1);
  t.regex(e[0].message, /2\^32 subnets.*runs out of memory/);
  t.regex(e[0].hint, /"base": "fd0d:ce5::\/64", "size": 80/);
  t.deepEqual(errors(huge, '28.5.2'), []);
  const w = validateDaemonConfig({ 'default-address-pools': [{ base: 'fd00::/40', size: 64 }] }, '26.1.5');
  t.deepEqual(w.map((f) => f.severity), ['warning']);
  t.deepEqual(validateDaemonConfig({ 'default-address-pools': [{ base: 'fd00::/48', size: 64 }] }, '20.10.24'), []);
});

test('ip6tables needs experimental before 27 (moby#47747), not from 27 on', (t) => {
  for (const v of ['20.10.24+dfsg1', '26.1.5+dfsg1']) {
    const e = errors({ ipv6: true, 'fixed-cidr-v6': 'fd00::/80', ip6tables: true }, v);
    t.is(e.length, 1, v);
    t.regex(e[0].message, /ip6tables rules are only available if experimental features are enabled/);
    t.regex(e[0].hint, /"experimental": true/);
    t.deepEqual(errors({ ipv6: true, 'fixed-cidr-v6': 'fd00::/80', ip6tables: true, experimental: true }, v), []);
    t.deepEqual(errors({ ipv6: true, 'fixed-cidr-v6': 'fd00::/80', ip6tables: false }, v), []);
  }
  for (const v of ['27.0.0', '28.5.2']) t.deepEqual(errors({ ipv6: true, ip6tables: true, experimental: false }, v), []);
  t.deepEqual(errors({ ipv6: true, ip6tables: true }), [], 'no version: no version rules');
});

test('a key newer than the daemon, and near-misses of our keys', (t) => {
  t.regex(errors({ ip6tables: false }, '19.03.15')[0].message, /does not know "ip6tables" \(added in 20.10\)/);
  const e = errors({ IPv6: true, fixed_cidr_v6: 'fd00::/64', 'Default-Address-Pools': [], 'some-future-key': 1 });
  t.deepEqual(e.map((f) => f.key), ['IPv6', 'fixed_cidr_v6', 'Default-Address-Pools']);
  t.regex(e[0].message, /don't match any configuration option: IPv6/);
  t.is(e[1].hint, 'write it as "fixed-cidr-v6"');
});

test('assertValidDaemonConfig throws ConfigError with every error, returns warnings', (t) => {
  const err = t.throws(() => assertValidDaemonConfig({ ipv6: 'on', 'fixed-cidr-v6': '10.0.0.0/8' }, '/etc/docker/daemon.json'), { instanceOf: ConfigError });
  t.regex(err!.message, /^\/etc\/docker\/daemon.json would stop dockerd: "ipv6" must be.*; "fixed-cidr-v6": 10.0.0.0\/8 is not an IPv6 prefix$/);
  t.is(err!.exitCode, 5);
  t.deepEqual(assertValidDaemonConfig({ 'fixed-cidr-v6': 'fd00::1/64' }, 'x').map((f) => f.severity), ['warning']);
});

function tempConfig(t: import('ava').ExecutionContext, value: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'daemon-validate-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'daemon.json');
  writeFileSync(file, JSON.stringify(value));
  return file;
}

test('dockerd 20.10 has no --validate: our validator decides', async (t) => {
  t.false(await dockerdHasValidate('/usr/sbin/dockerd', run));
  const good = { ipv6: true, 'fixed-cidr-v6': 'fd00:1::/64', ip6tables: true, experimental: true };
  const r = await validateWithDockerd('/usr/sbin/dockerd', tempConfig(t, good), run, { value: good, dockerVersion: '20.10.24' });
  t.like(r, { ok: true, by: 'tool' });
  t.regex(r.message, /no --validate/);
  const bad = { ipv6: true, ip6tables: true };
  const r2 = await validateWithDockerd('/usr/sbin/dockerd', tempConfig(t, bad), run, { value: bad, dockerVersion: '20.10.24' });
  t.like(r2, { ok: false, by: 'tool' });
  t.regex(r2.message, /experimental/);
});

for (const v of ['26', '28']) {
  test(`dockerd ${v} --validate plus our rules`, async (t) => {
    const d = cachedDockerd(v);
    t.true(existsSync(d), `${d} is missing: run scripts/fetch-docker.sh (CI does)`);
    t.true(await dockerdHasValidate(d, run));
    const version = v === '26' ? '26.1.5' : '28.5.2';
    const good = { ipv6: true, 'fixed-cidr-v6': 'fd00:1::/64', ip6tables: true, experimental: true, 'default-address-pools': [{ base: 'fd00:2::/48', size: 64 }] };
    t.like(await validateWithDockerd(d, tempConfig(t, good), run, { value: good, dockerVersion: version }), { ok: true, by: 'dockerd' });
    // dockerd's own check catches an unknown key our validator leaves alone.
    const unknown = { ipv6: true, 'no-such-option': 1 };
    const u = await validateWithDockerd(d, tempConfig(t, unknown), run, { value: unknown, dockerVersion: version });
    t.like(u, { ok: false, by: 'dockerd' });
    t.regex(u.message, /don't match any configuration option: no-such-option/);
    // A flag given to --validate conflicts with the file.
    const c = await validateWithDockerd(d, tempConfig(t, good), run, { value: good, dockerVersion: version, extraArgs: ['--ipv6'] });
    t.false(c.ok);
    t.regex(c.message, /specified both as a flag and in the configuration file: ipv6/);
    // --validate does not check ip6tables/experimental (verified at start-up): our rule does, on 26.
    const noExp = { ipv6: true, ip6tables: true };
    const n = await validateWithDockerd(d, tempConfig(t, noExp), run, { value: noExp, dockerVersion: version });
    t.is(n.ok, v === '28');
  });
}

test('validateWithDockerd with a fake runner: detection is cached, exit codes read', async (t) => {
  const calls: string[][] = [];
  const fake: Runner = async (argv) => {
    calls.push([...argv]);
    if (argv[1] === '--help') return { code: 0, stdout: '      --validate   Validate daemon configuration and exit\n', stderr: '' };
    return { code: 1, stdout: '', stderr: 'unable to configure the Docker daemon with file /x: boom\n' };
  };
  const r = await validateWithDockerd('/fake/dockerd', '/x', fake, { value: {} });
  t.like(r, { ok: false, by: 'dockerd', message: 'unable to configure the Docker daemon with file /x: boom' });
  await validateWithDockerd('/fake/dockerd', '/x', fake, { value: {} });
  t.is(calls.filter((c) => c[1] === '--help').length, 1);
  t.deepEqual(calls[1], ['/fake/dockerd', '--validate', '--config-file', '/x']);
});

test('20.10 and 26 refuse "ipv6": true without "fixed-cidr-v6" (measured on 20.10); 27 and later do not', (t) => {
  const f = validateDaemonConfig({ ipv6: true }, '20.10.24+dfsg1').filter((x) => x.severity === 'error');
  t.deepEqual(f.map((x) => x.key), ['ipv6']);
  t.regex(f[0].message, /no subnet is configured/);
  t.deepEqual(validateDaemonConfig({ ipv6: true, 'fixed-cidr-v6': 'fd00::/80' }, '20.10.24+dfsg1').filter((x) => x.severity === 'error'), []);
  t.deepEqual(validateDaemonConfig({ ipv6: true }, '28.5.2').filter((x) => x.severity === 'error'), []);
});
