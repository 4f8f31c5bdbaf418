// Doctor's human output (grouped by layer, colour only when allowed) and the Compose findings mapping.
import test from 'ava';
import { PassThrough } from 'node:stream';
import { runChecks } from '../../../src/doctor/checks';
import { composeFindings } from '../../../src/doctor/compose';
import { renderText, report, useColor } from '../../../src/doctor/report';
import { healthySnap, input } from './fixtures';

test('colour: NO_COLOR and non-TTY turn it off, a TTY turns it on', (t) => {
  const tty = Object.assign(new PassThrough(), { isTTY: true });
  t.false(useColor({ NO_COLOR: '1' }, tty));
  t.false(useColor({}, new PassThrough()));
  t.true(useColor({ TERM: 'xterm' }, tty));
  t.true(useColor({ FORCE_COLOR: '1' }, new PassThrough()));
});

test('text: grouped by layer in the guide order, fixes under failures, no escape codes without colour', (t) => {
  const s = healthySnap();
  s.host.sysctls['net.ipv6.conf.all.forwarding'] = '0';
  const findings = runChecks(input(s));
  const text = renderText(findings, { color: false });
  t.false(text.includes('\u001b['));
  const order = ['kernel', 'daemon', 'networks', 'containers', 'ports', 'dns', 'firewall', 'outside'].map((l) => text.indexOf(`\n${l}\n`) >= 0 ? text.indexOf(`\n${l}\n`) : text.indexOf(`${l}\n`));
  t.deepEqual([...order].sort((a, b) => a - b), order);
  t.regex(text, /FAIL {2}net\.ipv6\.conf\.all\.forwarding = 0.*\n\s+fix: sysctl -w net\.ipv6\.conf\.all\.forwarding=1 {2}\(doctor --fix applies this\)/);
  t.regex(text, /1 failed, 0 warning\(s\), \d+ ok, \d+ skipped; 1 fixable/);
  t.true(renderText(findings, { color: true }).includes('\u001b[31m'), 'red for failures');
  t.false(report(findings).ok);
  t.true(report(runChecks(input())).ok);
});

test('compose: lint findings become compose-layer findings; none -> one ok', (t) => {
  const f = composeFindings(['c.yml'], [{ file: 'c.yml', line: 3, col: 5, endLine: 3, endCol: 9, severity: 'error', rule: 'compose/enable-ipv6-missing', message: 'network "default" has no enable_ipv6', fix: 'add enable_ipv6: true', path: 'networks.default', fingerprint: 'f' }]);
  t.is(f.length, 1);
  t.like(f[0], { id: 'compose.enable-ipv6-missing', layer: 'compose', status: 'fail' });
  t.regex(f[0].detail, /^c\.yml:3:5: /);
  t.regex(f[0].fix, /docker ipv6 lint --fix c\.yml/);
  t.like(composeFindings(['c.yml'], [])[0], { status: 'ok', layer: 'compose' });
});

test('classifyOutside names the outside path of every kind of network, whatever the order of rules', async (t) => {
  const { classifyOutside } = await import('../../../src/observe/outside');
  const { net } = await import('../../helpers/snapshot');
  const s = healthySnap();
  s.firewall.tables.nat.rules.push('-A D6-NAT -s fd99::/64 ! -o br-x -m comment --comment docker-ipv6 -j MASQUERADE');
  s.firewall.tables.nat.rules.push('-A POSTROUTING -s fd96:0:0:0::/64 ! -o br-y -j MASQUERADE');
  const nets = {
    ours: net({ name: 'ours', enableIPv6: true, ipv6Subnets: ['fd99:0:0:0::/64'] }),
    docker: net({ name: 'docker', enableIPv6: true, ipv6Subnets: ['fd96::/64'] }),
    bare: net({ name: 'bare', enableIPv6: true, ipv6Subnets: ['fd98::/64'] }),
    glob: net({ name: 'glob', enableIPv6: true, ipv6Subnets: ['2001:db8:5::/64'] }),
    int: net({ name: 'int', enableIPv6: true, internal: true, ipv6Subnets: ['fd97::/64'] }),
    v4: net({ name: 'v4', ipv4Subnets: ['10.9.0.0/24'] }),
  };
  const expect = (mode: 'routed' | 'ndp' | undefined) => ({ ours: 'nat-ours', docker: 'nat-docker', bare: 'none', glob: mode ?? 'unknown', int: 'internal', v4: 'no-ipv6' });
  for (const mode of [undefined, 'routed', 'ndp'] as const) {
    s.state = mode ? { version: 1, prefix: '2001:db8:5::/48', mode } : undefined;
    const got = Object.fromEntries(Object.entries(nets).map(([k, n]) => [k, classifyOutside(n, s)]));
    t.deepEqual(got, expect(mode), `state mode ${mode}`);
  }
  // the nat index follows the table: a rule added later is seen
  s.firewall.tables.nat.rules.push('-A POSTROUTING -s fd98::/64 ! -o br-z -j MASQUERADE');
  t.is(classifyOutside(nets.bare, s), 'nat-docker');
});
test('doctor --compose asks for IPv6: a plain Compose file still fails there (no intent gate)', async (t) => {
  const { lintCompose } = await import('../../../src/doctor/compose');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'doctor-compose-')), 'compose.yaml');
  writeFileSync(file, 'services:\n  web:\n    image: nginx\n');
  const f = await lintCompose([file], { daemon: { reachable: false } } as any);
  t.like(f[0], { id: 'compose.enable-ipv6-missing', status: 'fail' });
});

test('text: a finding\'s names are shown escaped, with or without our colours', (t) => {
  const f = [{ id: 'networks.ipv6-off', layer: 'networks' as const, status: 'fail' as const, detail: 'network "evil\u001b]0;pwned\u0007x" has 1 container(s)', fix: "docker network rm $'evil\\x1b]0;pwned\\x07x'\nfake line" }];
  const plain = renderText(f, { color: false });
  t.false(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(plain));
  t.regex(plain, /FAIL {2}network "evil\\x1b\]0;pwned\\x07x" has 1 container/);
  t.false(plain.split('\n').includes('fake line'), 'a newline in a fix is not a line of its own');
  const coloured = renderText(f, { color: true });
  t.true(coloured.includes('\u001b[31m'), 'our own colours stay');
  t.false(coloured.includes('\u001b]0;'), 'the name\'s sequence does not');
});
