// `docker ipv6 uninstall` through the real docker CLI with the built plugin, under a temp root (DOCKER_IPV6_ROOT): refused
// while the state says our filter keeps the host closed, and the command the refusal prints, run as printed, removes it.
import test from 'ava';
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, CLI, withoutNode } from '../helpers/lab';

test('a system-wide uninstall while routed mode is enabled is refused (exit 3, nothing removed); the printed override removes it', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'dl6-uninst-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'root');
  mkdirSync(join(root, 'usr/local/lib'), { recursive: true });
  mkdirSync(join(base, 'docker-config/cli-plugins'), { recursive: true });
  const exe = join(base, 'docker-ipv6');
  try { linkSync(CLI, exe); } catch { copyFileSync(CLI, exe); chmodSync(exe, 0o755); }
  symlinkSync(exe, join(base, 'docker-config/cli-plugins/docker-ipv6'));
  const env = withoutNode({ PATH: process.env.PATH, DOCKER_CONFIG: join(base, 'docker-config'), HOME: base, DOCKER_IPV6_ROOT: root });
  const inst = await capture(['/usr/local/bin/docker', 'ipv6', 'install', '--from', exe], { env });
  t.is(inst.code, 0, inst.stderr);
  const plugin = join(root, 'usr/local/lib/docker/cli-plugins/docker-ipv6');
  t.true(existsSync(plugin));
  mkdirSync(join(root, 'var/lib/docker-ipv6'), { recursive: true });
  writeFileSync(join(root, 'var/lib/docker-ipv6/state.json'), `${JSON.stringify({ version: 1, prefix: '2001:db8:5::/48', mode: 'routed', uplink: 'eth0',
    enabled: { at: 'then', daemonJson: { path: '/etc/docker/daemon.json', undo: { previous: {} }, fileExisted: true }, sysctls: {}, sysctlFileWritten: true, natByUs: false, filterByUs: true } }, null, 2)}\n`);

  const refused = await capture(['/usr/local/bin/docker', 'ipv6', 'uninstall'], { env });
  t.is(refused.code, 3, refused.stderr);
  t.regex(refused.stderr, /refusing to uninstall docker-ipv6: IPv6 is enabled in routed mode/);
  t.true(existsSync(plugin), 'nothing removed');
  t.true(existsSync(join(root, 'etc/systemd/system/docker-ipv6-boot.service')), 'the boot unit stays');
  const printed = /To remove it anyway [^:]*: (env DOCKER_IPV6_FORCE_REMOVE=1 docker ipv6 uninstall)$/m.exec(refused.stderr)?.[1];
  t.truthy(printed, refused.stderr);
  const forced = await capture(['sh', '-c', printed!], { env });
  t.is(forced.code, 0, forced.stderr);
  t.regex(forced.stderr, /removing docker-ipv6 anyway/);
  t.false(existsSync(plugin));
  t.false(existsSync(join(root, 'etc/systemd/system/docker-ipv6-boot.service')));
  t.true(existsSync(join(root, 'var/lib/docker-ipv6/state.json')), 'the state stays');
});
