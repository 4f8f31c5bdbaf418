// The .deb (scripts/deb.mjs) as a Debian host gets it: lintian reports no errors, and install, upgrade to a
// bumped version, remove and purge are run by dpkg in a throwaway minimal Debian root (debootstrap minbase,
// cached as a tarball by scripts/debian-root.sh) inside its own mount, pid and network namespaces: never by
// dpkg on this machine. The root has no Node.js, so the installed plugin running there proves it needs none.
// systemd is not PID 1 there: the maintainer scripts are judged by what deb-systemd-helper leaves on disk (the
// units' enablement links, its records) and by what they ask systemctl (a stand-in that logs its arguments, with
// /run/systemd/system present so the scripts take the path they take on a systemd host).
import test from 'ava';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, REPO, type Result } from '../helpers/lab';

const PLUGIN = 'usr/libexec/docker/cli-plugins/docker-ipv6';
const UNITS = ['docker-ipv6-agent.service', 'docker-ipv6-apply.service', 'docker-ipv6-boot.service'];
// what `systemctl enable` of the three units makes (their [Install] sections: WantedBy / RequiredBy docker.service)
const LINKS = ['docker.service.wants/docker-ipv6-agent.service', 'docker.service.wants/docker-ipv6-apply.service', 'docker.service.requires/docker-ipv6-boot.service']
  .map((l) => `etc/systemd/system/${l}`);
const DSH = 'var/lib/systemd/deb-systemd-helper-enabled';
// state.json as enable writes it (renderStateText), trimmed to what the maintainer scripts read
const stateText = (mode: string, enabled: boolean, natSource?: string) => `${JSON.stringify({
  version: 1, prefix: mode === 'nat' ? 'fd12:3456:789a::/48' : '2001:db8:5::/48', mode, ...(natSource ? { natSource } : {}),
  ...(enabled ? { enabled: { at: '2026-12-06T00:00:00.000Z', sysctls: {}, sysctlFileWritten: true, natByUs: false, filterByUs: mode !== 'nat' } } : {}),
}, null, 2)}\n`;
const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

async function ok(what: string, r: Promise<Result>): Promise<Result> {
  const res = await r;
  if (res.code !== 0) throw new Error(`${what} exited ${res.code}\n${res.stderr}\n${res.stdout}`);
  return res;
}

test('lintian reports no errors, and dpkg installs, upgrades, removes and purges it in a throwaway Debian root', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'shp-deb-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  // N (the package's own version) and N+1 (same executable, bumped package version)
  await ok('deb N', capture([process.execPath, join(REPO, 'scripts/deb.mjs'), '--fast', '--out', work]));
  await ok('deb N+1', capture([process.execPath, join(REPO, 'scripts/deb.mjs'), '--fast', '--out', work, '--version', `${version}-2`]));
  const debN = join(work, `docker-ipv6_${version}-1_amd64.deb`);
  const debN1 = join(work, `docker-ipv6_${version}-2_amd64.deb`);

  const lint = await capture(['lintian', '--fail-on', 'error', '--no-tag-display-limit', debN], { timeoutMs: 300_000 });
  t.is(lint.code, 0, lint.stdout + lint.stderr);
  t.notRegex(lint.stdout, /^E: /m, lint.stdout);

  const tarball = (await ok('debian root', capture(['bash', join(REPO, 'scripts/debian-root.sh'), 'bookworm'], { timeoutMs: 600_000 }))).stdout.trim();
  const root = join(work, 'root');
  await ok('mkdir', capture(['mkdir', root]));
  await ok('unpack root', capture(['tar', '-C', root, '-xf', tarball]));
  for (const d of [debN, debN1]) writeFileSync(join(root, 'tmp', d.split('/').pop()!), readFileSync(d));
  // its own mount, pid and (empty) network namespace: dpkg and the plugin reach nothing outside the root
  const inRoot = (script: string) => capture(['unshare', '--mount', '--pid', '--fork', '--net', '--uts', 'chroot', root, '/bin/sh', '-c', script],
    { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' }, timeoutMs: 300_000 });
  t.is((await inRoot('command -v node nodejs; true')).stdout.trim(), '', 'the Debian root has no Node.js');

  // a systemctl that only logs, and the folder by which maintainer scripts (and deb-systemd-*) know systemd runs
  await ok('systemctl stand-in', inRoot('mkdir -p /run/systemd/system && printf \'#!/bin/sh\\necho "$*" >> /var/log/systemctl.calls\\n\' > /usr/bin/systemctl && chmod 755 /usr/bin/systemctl'));
  const calls = () => { const f = join(root, 'var/log/systemctl.calls'); const c = existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean) : []; rmSync(f, { force: true }); return c; };
  const isLink = (rel: string) => lstatSync(join(root, rel), { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
  const ours = () => (existsSync(join(root, 'etc/systemd/system')) ? readdirSync(join(root, 'etc/systemd/system'), { recursive: true }).map(String).filter((f) => f.includes('docker-ipv6')) : []);
  const enableUnits = () => ok('systemctl enable (links)', inRoot(LINKS.map((l) => `mkdir -p /${l.replace(/\/[^/]+$/, '')} && ln -sfn /usr/lib/systemd/system/${l.split('/').pop()} /${l}`).join(' && ')));
  const writeState = (text: string) => { mkdirSync(join(root, 'var/lib/docker-ipv6'), { recursive: true }); writeFileSync(join(root, 'var/lib/docker-ipv6/state.json'), text); };

  await ok('install N', inRoot(`dpkg -i /tmp/${debN.split('/').pop()}`));
  t.true(statSync(join(root, PLUGIN)).isFile());
  t.is(statSync(join(root, PLUGIN)).mode & 0o777, 0o755);
  for (const u of UNITS) {
    t.regex(readFileSync(join(root, 'usr/lib/systemd/system', u), 'utf8'), new RegExp(`^ExecStart=/${PLUGIN} `, 'm'), `${u} runs the packaged executable`);
  }
  t.true(existsSync(join(root, 'usr/share/doc/docker-ipv6/copyright')));
  t.true(existsSync(join(root, 'usr/share/doc/docker-ipv6/changelog.Debian.gz')));
  for (const ex of ['dhcpcd/80-docker-ipv6-npt', 'networkd-dispatcher/50-docker-ipv6-npt']) {
    t.is(readFileSync(join(root, 'usr/share/doc/docker-ipv6/examples', ex), 'utf8'), readFileSync(join(REPO, 'contrib', ex), 'utf8'), `${ex} is shipped as an example`);
  }
  t.deepEqual(ours(), [], 'installing enables no unit');
  t.deepEqual(calls(), ['--system daemon-reload'], 'installing starts nothing: systemd only rereads its units');
  // deb-systemd-helper records every link each unit can have, so remove and purge know what to take away
  t.is(readFileSync(join(root, DSH, 'docker-ipv6-boot.service.dsh-also'), 'utf8'), '/etc/systemd/system/docker.service.requires/docker-ipv6-boot.service\n');
  t.is(readFileSync(join(root, DSH, 'docker-ipv6-agent.service.dsh-also'), 'utf8'), '/etc/systemd/system/docker.service.wants/docker-ipv6-agent.service\n');

  // the packaged plugin runs in a Debian root with no Node.js: metadata, help, and a command that loads netlink
  const meta = await ok('metadata', inRoot(`/${PLUGIN} docker-cli-plugin-metadata`));
  t.is((JSON.parse(meta.stdout) as { Version: string }).Version, version);
  t.regex((await ok('help', inRoot(`/${PLUGIN} --help`))).stdout, /^\s+status\b/m);
  await inRoot(`/${PLUGIN} doctor --json >/dev/null 2>&1; true`);
  const addonDir = join(root, 'var/cache/docker-ipv6/addon');
  const addons = readdirSync(addonDir);
  t.is(addons.length, 1, 'doctor read the network through netlink: the addon was written to the root-owned cache');
  t.regex(addons[0], /^[0-9a-f]{64}\.node$/);
  t.is(statSync(addonDir).mode & 0o777, 0o755);
  t.is(statSync(join(addonDir, addons[0])).mode & 0o777, 0o644);

  // the admin enables the units, then upgrades N -> N+1 with the state of a host that is not enabled
  await enableUnits();
  writeState('{}\n');
  calls();
  await ok('upgrade', inRoot(`dpkg -i /tmp/${debN1.split('/').pop()}`));
  t.regex((await ok('status', inRoot('dpkg-query -W -f=\'${Version} ${Status}\' docker-ipv6'))).stdout, new RegExp(`^${version}-2 install ok installed$`));
  t.true(statSync(join(root, PLUGIN)).isFile());
  t.true(LINKS.every(isLink), 'an upgrade keeps the units the admin enabled');
  // a running agent goes on with the new executable; nothing else is stopped or started
  t.deepEqual(calls(), ['--system daemon-reload', 'try-restart docker-ipv6-agent.service']);

  // remove while this package is what keeps the host closed: refused, nothing changed
  writeState(stateText('routed', true));
  const refused = await inRoot('dpkg -r docker-ipv6');
  t.not(refused.code, 0, 'remove refused while routed mode is enabled');
  t.regex(refused.stderr, /refusing to remove the package: IPv6 is enabled in routed mode/);
  t.regex(refused.stderr, /First: docker ipv6 disable/);
  t.true(statSync(join(root, PLUGIN)).isFile(), 'the plugin is still there');
  t.regex((await ok('status', inRoot('dpkg-query -W -f=\'${Status}\' docker-ipv6'))).stdout, / ok installed$/);
  t.true(LINKS.every(isLink), 'the units stay enabled');
  t.false(calls().some((c) => c.startsWith('stop')), 'nothing was stopped');
  writeFileSync(join(root, 'var/lib/docker-ipv6/journal.json'), '{}\n');
  const interrupted = await inRoot('dpkg -r docker-ipv6');
  t.not(interrupted.code, 0, 'remove refused while a run\'s journal is there');
  t.regex(interrupted.stderr, /an interrupted docker ipv6 run left \/var\/lib\/docker-ipv6\/journal\.json[^]*First: docker ipv6 recover/);
  rmSync(join(root, 'var/lib/docker-ipv6/journal.json'));

  // the command the refusal prints to remove anyway, run as printed: the agent and apply units are stopped (not the
  // boot unit, which docker.service requires: stopping it would stop Docker), no enablement link is left behind
  const force = /^\s+(env DOCKER_IPV6_FORCE_REMOVE=1 apt-get remove -y docker-ipv6)$/m.exec(refused.stderr)?.[1];
  t.truthy(force, refused.stderr);
  calls();
  const forced = await ok('forced remove', inRoot(force!));
  t.regex(forced.stderr, /removing the package anyway/);
  t.false(existsSync(join(root, PLUGIN)));
  t.false(existsSync(join(root, 'usr/lib/systemd/system/docker-ipv6-agent.service')));
  const removeCalls = calls();
  t.true(removeCalls.includes('stop docker-ipv6-agent.service docker-ipv6-apply.service'), removeCalls.join('; '));
  t.false(removeCalls.some((c) => c.includes('docker-ipv6-boot')), removeCalls.join('; '));
  t.deepEqual(ours(), [], 'no enablement link is left (a docker.service.requires link to a missing unit keeps Docker from starting)');
  t.false(existsSync(join(root, 'etc/systemd/system/docker.service.requires')), 'the folder the boot unit\'s link made is gone with it');
  t.true(existsSync(join(root, DSH, 'docker-ipv6-boot.service.dsh-also')), 'remove keeps deb-systemd-helper\'s record until purge');
  t.true(existsSync(addonDir), 'remove leaves the cache (purge is what removes it)');

  // purge while the state still records an enabled host: the record of what disable undoes is kept
  const keep = await ok('purge', inRoot('dpkg -P docker-ipv6'));
  t.regex(keep.stderr, /keeping \/var\/lib\/docker-ipv6/);
  t.false(existsSync(join(root, 'var/cache/docker-ipv6')));
  t.is(readFileSync(join(root, 'var/lib/docker-ipv6/state.json'), 'utf8'), stateText('routed', true), 'purge keeps the state of an enabled host');
  t.deepEqual(readdirSync(join(root, DSH)).filter((f) => f.includes('docker-ipv6')), [], 'purge forgets the units');
  t.not((await inRoot('dpkg -s docker-ipv6')).code, 0, 'dpkg no longer knows the package');

  // nat mode: remove goes ahead and says what stays; after disable (no enabled section), purge removes the state folder
  await ok('install N+1 again', inRoot(`dpkg -i /tmp/${debN1.split('/').pop()}`));
  await enableUnits();
  // nat mode with a chosen source: our SNAT rule, which only the agent keeps; removed with the package it would stay
  // behind unmaintained, so remove is refused like routed mode's, and the command it names comes first
  writeState(stateText('nat', true, '2001:db8:1::99'));
  calls();
  const chosen = await inRoot('dpkg -r docker-ipv6');
  t.not(chosen.code, 0, 'remove refused while a chosen NAT66 source is ours to keep');
  t.regex(chosen.stderr, /refusing to remove the package: IPv6 is enabled in nat mode with the chosen source 2001:db8:1::99 \(--nat-source\): that is docker-ipv6's own SNAT rule[^]*First: docker ipv6 disable /);
  t.true(statSync(join(root, PLUGIN)).isFile(), 'the plugin is still there');
  t.false(calls().some((c) => c.startsWith('stop')), 'nothing was stopped');
  writeState(stateText('nat', true));
  const nat = await ok('remove (nat)', inRoot('dpkg -r docker-ipv6'));
  t.regex(nat.stderr, /IPv6 stays enabled in nat mode: Docker's own NAT66 and filter need nothing of this package/);
  t.deepEqual(ours(), []);
  writeState(stateText('nat', false));
  writeFileSync(join(root, 'var/lib/docker-ipv6/lock'), '');
  await ok('purge', inRoot('dpkg -P docker-ipv6'));
  t.false(existsSync(join(root, 'var/lib/docker-ipv6')), 'purge removes the state folder once it records nothing to undo');
  t.deepEqual(readdirSync(join(root, DSH)).filter((f) => f.includes('docker-ipv6')), []);
});
