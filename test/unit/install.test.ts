import test from 'ava';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { install, installLayout, uninstall } from '../../src/install/install';
import { PreconditionError } from '../../src/errors';

function fixture(t: { teardown(fn: () => void): void }) {
  const base = mkdtempSync(join(tmpdir(), 'dipv6-inst-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const exe = join(base, 'docker-ipv6');
  writeFileSync(exe, 'an executable\n', { mode: 0o755 });
  const units = { 'docker-ipv6-agent.service': '[Service]\n' };
  const root = join(base, 'root');
  mkdirSync(join(root, 'usr/local/lib'), { recursive: true });
  return { base, exe, units, root };
}

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = join(rel, e.name);
      out.push(r);
      if (e.isDirectory()) walk(join(d, e.name), r);
    }
  };
  walk(dir, '');
  return out.sort();
}

test('install puts the executable and units under the root; uninstall removes exactly them', async (t) => {
  const f = fixture(t);
  const before = tree(f.root);
  const log: string[] = [];
  await install({ root: f.root, user: false, executable: f.exe, units: f.units, enableUnits: false }, (s) => log.push(s));
  const L = installLayout({ root: f.root, user: false });
  t.is(L.pluginLink, join(f.root, 'usr/local/lib/docker/cli-plugins/docker-ipv6'));
  t.true(lstatSync(L.pluginLink).isFile(), 'a copy of the one executable, not a link into a build folder');
  t.is(statSync(L.pluginLink).mode & 0o777, 0o755);
  t.is(readFileSync(L.pluginLink, 'utf8'), 'an executable\n');
  t.is(readFileSync(join(f.root, 'etc/systemd/system/docker-ipv6-agent.service'), 'utf8'), '[Service]\n');
  // installing again (an upgrade) replaces it and still removes exactly what it made
  writeFileSync(f.exe, 'version 2\n');
  await install({ root: f.root, user: false, executable: f.exe, units: f.units, enableUnits: false }, (s) => log.push(s));
  t.is(readFileSync(L.pluginLink, 'utf8'), 'version 2\n');
  await uninstall({ root: f.root, user: false }, (s) => log.push(s));
  t.deepEqual(tree(f.root), before, 'every file and folder install made is gone, nothing else');
  t.false(existsSync(join(f.root, 'etc/systemd/system/docker-ipv6-agent.service')));
});

test('--user installs under the home folder without units, and never removes the home folder', async (t) => {
  const f = fixture(t);
  const home = join(f.base, 'home');
  await install({ root: '/', user: true, home, executable: f.exe, units: f.units, enableUnits: false }, () => {});
  t.true(existsSync(join(home, '.docker/cli-plugins/docker-ipv6')));
  await uninstall({ root: '/', user: true, home }, () => {});
  t.true(existsSync(home), 'the home folder stays even though install had to create it');
  t.deepEqual(tree(home), []);
});

test('dry run changes nothing; a foreign plugin file is not overwritten; uninstall without install says so', async (t) => {
  const f = fixture(t);
  await install({ root: f.root, user: false, executable: f.exe, units: f.units, enableUnits: false, dryRun: true }, () => {});
  t.false(existsSync(join(f.root, 'usr/local/lib/docker-ipv6')));
  const L = installLayout({ root: f.root, user: false });
  mkdirSync(L.pluginDir, { recursive: true });
  writeFileSync(L.pluginLink, 'someone else');
  await t.throwsAsync(install({ root: f.root, user: false, executable: f.exe, enableUnits: false }, () => {}), { message: /exists and is not ours/ });
  t.is(readFileSync(L.pluginLink, 'utf8'), 'someone else');
  await t.throwsAsync(uninstall({ root: join(f.base, 'nothing'), user: false }, () => {}), { message: /not installed/ });
});

test('an install of the older layout (lib folder + link) is replaced by the executable and leaves nothing behind', async (t) => {
  const f = fixture(t);
  const before = tree(f.root);
  const L = installLayout({ root: f.root, user: false });
  mkdirSync(join(L.libDir, 'vendor'), { recursive: true });
  mkdirSync(L.pluginDir, { recursive: true });
  writeFileSync(join(L.libDir, 'docker-ipv6'), 'old launcher');
  writeFileSync(join(L.libDir, 'vendor/yaml.cjs'), '');
  symlinkSync(join(L.libDir, 'docker-ipv6'), L.pluginLink);
  writeFileSync(L.manifest, JSON.stringify({ version: 1, files: [join(L.libDir, 'docker-ipv6'), join(L.libDir, 'vendor/yaml.cjs')], dirs: [L.libDir, join(f.root, 'usr/local/lib/docker'), L.pluginDir], symlinks: [L.pluginLink], enabledUnits: [] }));
  await install({ root: f.root, user: false, executable: f.exe, units: {}, enableUnits: false }, () => {});
  t.true(lstatSync(L.pluginLink).isFile());
  t.false(existsSync(join(L.libDir, 'vendor')));
  await uninstall({ root: f.root, user: false }, () => {});
  t.deepEqual(tree(f.root), before);
});

/** A manifest at the layout's place naming `over` on top of what a real install recorded. */
function plantManifest(path: string, over: Record<string, unknown>): void {
  const m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  writeFileSync(path, JSON.stringify({ ...m, ...over }));
}

test('uninstall refuses a manifest naming anything install does not put in place, and removes nothing', async (t) => {
  const f = fixture(t);
  const home = join(f.base, 'home');
  const victim = join(f.base, 'victim');
  const L = installLayout({ root: '/', user: true, home });
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a file outside our folders', { files: [L.pluginLink, victim] }, /lists ".*\/victim", which is not a file install puts in place/],
    ['a way out of the lib folder', { files: [`${L.libDir}/../../../../victim`] }, /which is not a file install puts in place/],
    ['a link outside', { symlinks: [victim] }, /which is not a file install puts in place/],
    ['a unit file with --user', { files: [join(home, 'docker-ipv6-agent.service')] }, /not a file install puts in place/],
    ['the home folder itself', { dirs: [home] }, /the folder ".*\/home", which is not one install creates/],
    ['a folder beside ours', { dirs: [join(home, '.ssh')] }, /which is not one install creates/],
    ['enabled units with --user', { enabledUnits: ['docker-ipv6-agent.service'] }, /enabled units, which an install with --user never has/],
    ['not a manifest', { version: 2 }, /version 2 is not 1/],
  ];
  for (const [what, over, msg] of cases) {
    await install({ root: '/', user: true, home, executable: f.exe, units: f.units, enableUnits: false }, () => {});
    writeFileSync(victim, 'keep me');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    plantManifest(L.manifest, over);
    const before = tree(home);
    const e = await t.throwsAsync(uninstall({ root: '/', user: true, home }, () => {}), { message: msg }, what);
    t.is((e as { exitCode?: number }).exitCode, 5, what);
    t.regex(e!.message, /was not written by docker ipv6 install/, what);
    t.is(readFileSync(victim, 'utf8'), 'keep me', `${what}: the file it names is still there`);
    t.deepEqual(tree(home), before, `${what}: nothing was removed`);
    rmSync(home, { recursive: true, force: true });
  }
});

test('a system manifest may name only docker-ipv6 units as enabled, and unit files only in the unit folder', async (t) => {
  type Case = [(root: string, unitDir: string) => Record<string, unknown>, RegExp | undefined];
  const cases: Case[] = [
    [() => ({ enabledUnits: ['ssh.service'] }), /"ssh.service" as an enabled unit, which is not one of docker-ipv6's/],
    [(_, unitDir) => ({ files: [join(unitDir, 'ssh.service')] }), /not a file install puts in place/],
    // a folder on the way to ours is accepted, and removed only when empty (usr/local/lib was there before install)
    [(root) => ({ dirs: [join(root, 'usr/local/lib')] }), undefined],
  ];
  for (const [over, msg] of cases) {
    const f = fixture(t);
    const L = installLayout({ root: f.root, user: false });
    await install({ root: f.root, user: false, executable: f.exe, units: f.units, enableUnits: false }, () => {});
    plantManifest(L.manifest, over(f.root, L.unitDir));
    if (msg) {
      await t.throwsAsync(uninstall({ root: f.root, user: false }, () => {}), { message: msg });
      t.true(existsSync(L.pluginLink), 'nothing was removed');
    } else {
      await uninstall({ root: f.root, user: false }, () => {});
      t.true(existsSync(join(f.root, 'usr/local/lib')));
      t.false(existsSync(L.pluginLink));
    }
  }
});

test('as root, install and uninstall --user refuse a home folder another user owns: the manifest there names nothing root deletes', async (t) => {
  t.is(process.geteuid?.(), 0, 'this test runs as root, as the whole suite does');
  const f = fixture(t);
  const home = join(f.base, 'mallory');
  const victim = join(f.base, 'victim');
  writeFileSync(victim, 'keep me');
  const L = installLayout({ root: '/', user: true, home });
  // what mallory can make in a home of her own: a manifest naming a file of root's
  mkdirSync(L.libDir, { recursive: true });
  mkdirSync(L.pluginDir, { recursive: true });
  writeFileSync(L.pluginLink, 'her plugin');
  writeFileSync(L.manifest, JSON.stringify({ version: 1, files: [L.pluginLink, victim], dirs: [], symlinks: [], enabledUnits: [] }));
  for (const p of [home, join(home, '.local'), join(home, '.local/lib'), L.libDir, L.manifest, join(home, '.docker'), L.pluginDir, L.pluginLink]) chownSync(p, 12345, 12345);
  const before = tree(home);
  const e = await t.throwsAsync(uninstall({ root: '/', user: true, home }, () => {}), { message: new RegExp(`refusing to uninstall --user as root under ${home}: ${home} belongs to uid 12345`) });
  t.is((e as { exitCode?: number }).exitCode, 3);
  t.is((e as { hint?: string }).hint, `run it as that user instead of root: setpriv --reuid=12345 --regid=12345 --clear-groups env HOME=${home} docker ipv6 uninstall --user`);
  t.is(readFileSync(victim, 'utf8'), 'keep me');
  t.deepEqual(tree(home), before);
  t.is(readFileSync(L.pluginLink, 'utf8'), 'her plugin');
  // nor does root write into her home (she could swap a folder for a link while it does)
  rmSync(L.libDir, { recursive: true });
  await t.throwsAsync(install({ root: '/', user: true, home, executable: f.exe, units: f.units, enableUnits: false }, () => {}), { message: /refusing to install --user as root/ });
  t.false(existsSync(L.libDir));
  t.is(readFileSync(L.pluginLink, 'utf8'), 'her plugin');
});

test('system-wide uninstall is refused while the units keep the host closed or keep a chosen NAT66 source, as apt remove is; DOCKER_IPV6_FORCE_REMOVE=1 removes anyway', async (t) => {
  const f = fixture(t);
  const stateDir = join(f.root, 'var/lib/docker-ipv6');
  mkdirSync(stateDir, { recursive: true });
  const guard = (force = false) => ({ stateFile: join(stateDir, 'state.json'), journalFile: join(stateDir, 'journal.json'), force });
  const enabled = (mode: string, extra: object = {}) => JSON.stringify({ version: 1, prefix: mode === 'nat' ? 'fd12:3456:789a::/48' : '2001:db8:5::/48', mode, uplink: 'eth0', ...extra,
    enabled: { at: 'then', daemonJson: { path: '/etc/docker/daemon.json', undo: { previous: {} }, fileExisted: true }, sysctls: {}, sysctlFileWritten: true, natByUs: false, filterByUs: mode !== 'nat' } });
  await install({ root: f.root, user: false, executable: f.exe, units: f.units, enableUnits: false }, () => {});
  const L = installLayout({ root: f.root, user: false });
  const ours = () => tree(f.root).filter((x) => !x.startsWith('var'));
  const installed = ours();
  for (const [what, text, journal, why, first] of [
    ['routed', enabled('routed'), false, /IPv6 is enabled in routed mode .*docker-ipv6-boot\.service is what keeps container ports closed/, 'docker ipv6 disable'],
    ['npt', enabled('npt', { outsidePrefix: '2001:db8:800::/48' }), false, /IPv6 is enabled in npt mode/, 'docker ipv6 disable'],
    ['nat with a chosen source', enabled('nat', { natSource: '2001:db8:1::99' }), false, /nat mode with the chosen source 2001:db8:1::99 \(--nat-source\): that is docker-ipv6's own SNAT rule/, 'docker ipv6 disable'],
    ['an interrupted run', '{}', true, /an interrupted docker ipv6 run left .*journal\.json/, 'docker ipv6 recover'],
  ] as const) {
    writeFileSync(guard().stateFile, text);
    if (journal) writeFileSync(guard().journalFile, '{}');
    const e = await t.throwsAsync(uninstall({ root: f.root, user: false, guard: guard() }, () => {}), { instanceOf: PreconditionError }, what);
    t.regex(e!.message, /^refusing to uninstall docker-ipv6: /, what);
    t.regex(e!.message, why, what);
    t.regex((e as PreconditionError).hint ?? '', new RegExp(`^first: ${first}; then: docker ipv6 uninstall\\. To remove it anyway .*: env DOCKER_IPV6_FORCE_REMOVE=1 docker ipv6 uninstall$`), what);
    t.deepEqual(ours(), installed, `${what}: nothing removed`);
    rmSync(guard().journalFile, { force: true });
  }
  // nat mode without a chosen source (Docker's own NAT66 and filter), a disabled host, no state: nothing depends on us
  for (const text of [enabled('nat'), '{"version": 1}', undefined]) {
    if (text === undefined) rmSync(guard().stateFile); else writeFileSync(guard().stateFile, text);
    await uninstall({ root: f.root, user: false, guard: guard(), dryRun: true }, () => {});
  }
  // the override, as for apt remove: removed, and the log says why it was refused
  writeFileSync(guard().stateFile, enabled('routed'));
  const log: string[] = [];
  await uninstall({ root: f.root, user: false, guard: guard(true) }, (s) => log.push(s));
  t.false(existsSync(L.pluginLink));
  t.regex(log[0], /^removing docker-ipv6 anyway \(DOCKER_IPV6_FORCE_REMOVE=1\), although IPv6 is enabled in routed mode/);
  t.true(existsSync(guard().stateFile), 'the state stays');
});
