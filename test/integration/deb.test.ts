// The .deb (scripts/deb.mjs) as a Debian host gets it: lintian reports no errors, and install, upgrade to a
// bumped version, remove and purge are run by dpkg in a throwaway minimal Debian root (debootstrap minbase,
// cached as a tarball by scripts/debian-root.sh) inside its own mount, pid and network namespaces: never by
// dpkg on this machine. The root has no Node.js, so the installed plugin running there proves it needs none.
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, REPO, type Result } from '../helpers/lab';

const PLUGIN = 'usr/libexec/docker/cli-plugins/docker-ipv6';
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

  await ok('install N', inRoot(`dpkg -i /tmp/${debN.split('/').pop()}`));
  t.true(statSync(join(root, PLUGIN)).isFile());
  t.is(statSync(join(root, PLUGIN)).mode & 0o777, 0o755);
  for (const u of ['docker-ipv6-agent.service', 'docker-ipv6-apply.service', 'docker-ipv6-boot.service']) {
    t.regex(readFileSync(join(root, 'usr/lib/systemd/system', u), 'utf8'), new RegExp(`^ExecStart=/${PLUGIN} `, 'm'), `${u} runs the packaged executable`);
  }
  t.true(existsSync(join(root, 'usr/share/doc/docker-ipv6/copyright')));
  t.true(existsSync(join(root, 'usr/share/doc/docker-ipv6/changelog.Debian.gz')));
  const enabled = existsSync(join(root, 'etc/systemd/system')) ? readdirSync(join(root, 'etc/systemd/system'), { recursive: true }).map(String).filter((f) => f.includes('docker-ipv6')) : [];
  t.deepEqual(enabled, [], 'installing enables no unit');

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

  // upgrade N -> N+1, with the admin's state in place
  await ok('state', inRoot('mkdir -p /var/lib/docker-ipv6 && echo "{}" > /var/lib/docker-ipv6/state.json'));
  await ok('upgrade', inRoot(`dpkg -i /tmp/${debN1.split('/').pop()}`));
  t.regex((await ok('status', inRoot('dpkg-query -W -f=\'${Version} ${Status}\' docker-ipv6'))).stdout, new RegExp(`^${version}-2 install ok installed$`));
  t.true(statSync(join(root, PLUGIN)).isFile());

  // remove keeps everything but the package's files; purge removes the addon cache, never the admin's state
  await ok('remove', inRoot('dpkg -r docker-ipv6'));
  t.false(existsSync(join(root, PLUGIN)));
  t.false(existsSync(join(root, 'usr/lib/systemd/system/docker-ipv6-agent.service')));
  t.true(existsSync(addonDir), 'remove leaves the cache (purge is what removes it)');
  await ok('purge', inRoot('dpkg -P docker-ipv6'));
  t.false(existsSync(join(root, 'var/cache/docker-ipv6')));
  t.is(readFileSync(join(root, 'var/lib/docker-ipv6/state.json'), 'utf8'), '{}\n', 'purge keeps the admin\'s state');
  t.not((await inRoot('dpkg -s docker-ipv6')).code, 0, 'dpkg no longer knows the package');
});
