import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { install, installLayout, uninstall } from '../../src/install/install';

function fixture(t: { teardown(fn: () => void): void }) {
  const base = mkdtempSync(join(tmpdir(), 'dipv6-inst-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const dist = join(base, 'dist');
  mkdirSync(join(dist, 'vendor/netlink'), { recursive: true });
  writeFileSync(join(dist, 'docker-ipv6'), '#!/usr/bin/env node\n', { mode: 0o755 });
  writeFileSync(join(dist, 'docker-ipv6.cjs'), '');
  writeFileSync(join(dist, 'vendor/netlink/x.node'), '');
  const units = join(base, 'units');
  mkdirSync(units);
  writeFileSync(join(units, 'docker-ipv6-agent.service'), '[Service]\n');
  const root = join(base, 'root');
  mkdirSync(join(root, 'usr/local/lib'), { recursive: true });
  return { base, dist, units, root };
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

test('install puts the plugin link and units under the root; uninstall removes exactly them', async (t) => {
  const f = fixture(t);
  const before = tree(f.root);
  const log: string[] = [];
  await install({ root: f.root, user: false, distDir: f.dist, unitsSrc: f.units, enableUnits: false }, (s) => log.push(s));
  const L = installLayout({ root: f.root, user: false });
  t.is(readlinkSync(L.pluginLink), join(L.libDir, 'docker-ipv6'));
  t.true(existsSync(join(L.libDir, 'vendor/netlink/x.node')));
  t.true(existsSync(join(f.root, 'etc/systemd/system/docker-ipv6-agent.service')));
  await uninstall({ root: f.root, user: false }, (s) => log.push(s));
  t.deepEqual(tree(f.root), before, 'every file and folder install made is gone, nothing else');
  t.false(existsSync(join(f.root, 'etc/systemd/system/docker-ipv6-agent.service')));
});

test('--user installs under the home folder without units, and never removes the home folder', async (t) => {
  const f = fixture(t);
  const home = join(f.base, 'home');
  await install({ root: '/', user: true, home, distDir: f.dist, unitsSrc: f.units, enableUnits: false }, () => {});
  t.true(existsSync(join(home, '.docker/cli-plugins/docker-ipv6')));
  await uninstall({ root: '/', user: true, home }, () => {});
  t.true(existsSync(home), 'the home folder stays even though install had to create it');
  t.deepEqual(tree(home), []);
});

test('dry run changes nothing; a foreign plugin file is not overwritten; uninstall without install says so', async (t) => {
  const f = fixture(t);
  await install({ root: f.root, user: false, distDir: f.dist, unitsSrc: f.units, enableUnits: false, dryRun: true }, () => {});
  t.false(existsSync(join(f.root, 'usr/local/lib/docker-ipv6')));
  const L = installLayout({ root: f.root, user: false });
  mkdirSync(L.pluginDir, { recursive: true });
  writeFileSync(L.pluginLink, 'someone else');
  await t.throwsAsync(install({ root: f.root, user: false, distDir: f.dist, enableUnits: false }, () => {}), { message: /exists and is not ours/ });
  await t.throwsAsync(uninstall({ root: join(f.base, 'nothing'), user: false }, () => {}), { message: /not installed/ });
});
