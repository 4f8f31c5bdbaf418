// The service manager adapter against the real systemctl, on a throwaway tree (`systemctl --root`, which makes and
// removes the unit links offline): nothing of this machine's systemd is asked or changed.
import test from 'ava';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { systemdServices } from '../../../src/host/systemd';
import { bundledUnits } from '../../../src/host/units';
import { AGENT_UNIT, BOOT_UNIT } from '../../../src/model/names';

const hasSystemctl = spawnSync('systemctl', ['--version']).status === 0;

/** a link made inside the tree points at the unit's path on the tree's own root: look at the link, not its target */
const linked = (p: string) => { try { return lstatSync(p).isSymbolicLink(); } catch { return false; } };

function tree(t: import('ava').ExecutionContext): string {
  const root = mkdtempSync(join(tmpdir(), 'd6-systemd-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

test('under --root: the links of our units are made and removed by systemctl --root; nothing is started', async (t) => {
  if (!hasSystemctl) { t.fail('systemctl is not installed (CI installs systemd)'); return; }
  const root = tree(t);
  const dir = join(root, 'etc/systemd/system');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(bundledUnits())) writeFileSync(join(dir, name), text);
  const sm = systemdServices({ root, booted: () => true });
  t.false(await sm.running(), 'a tree is not the running host, even where systemd runs');
  t.deepEqual((await sm.units([AGENT_UNIT])).map((u) => [u.path, u.enabled, u.active]), [[`/etc/systemd/system/${AGENT_UNIT}`, false, undefined]]);
  await sm.enable([BOOT_UNIT, AGENT_UNIT]);
  t.true(linked(join(dir, 'docker.service.requires', BOOT_UNIT)), 'RequiredBy=docker.service');
  t.true(linked(join(dir, 'docker.service.wants', AGENT_UNIT)), 'WantedBy=docker.service');
  t.deepEqual((await sm.units([BOOT_UNIT, AGENT_UNIT])).map((u) => u.enabled), [true, true]);
  await t.throwsAsync(sm.start([AGENT_UNIT]), { message: /systemd does not run this host's services/ });
  await sm.stop([AGENT_UNIT]); // nothing to stop where systemd does not run: no error, no call
  await sm.disable([BOOT_UNIT, AGENT_UNIT]);
  t.false(linked(join(dir, 'docker.service.requires', BOOT_UNIT)) || linked(join(dir, 'docker.service.wants', AGENT_UNIT)), 'both links gone');
  t.deepEqual((await sm.units([BOOT_UNIT, AGENT_UNIT])).map((u) => u.enabled), [false, false]);
});

test('a unit that is not ours never reaches systemctl; a unit without a file is reported as not installed', async (t) => {
  const root = tree(t);
  const sm = systemdServices({ root, booted: () => true });
  await t.throwsAsync(sm.enable(['ssh.service']), { message: /not a docker-ipv6 unit/ });
  await t.throwsAsync(sm.disable(['--now']), { message: /not a docker-ipv6 unit/ });
  t.deepEqual(await sm.units([AGENT_UNIT]), [{ name: AGENT_UNIT, enabled: false }]);
});

test('systemd runs this host\'s services only when booted with it and --root is /', async (t) => {
  t.true(await systemdServices({ root: '/', booted: () => true }).running());
  t.false(await systemdServices({ root: '/', booted: () => false }).running());
  t.false(await systemdServices({ root: '/tmp/x', booted: () => true }).running());
});
