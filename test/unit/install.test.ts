import test from 'ava';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { install, installLayout, uninstall } from '../../src/install/install';

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
