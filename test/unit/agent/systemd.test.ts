// The units: systemd-analyze verify passes (nothing is installed or started), ExecStart is where install puts the plugin.
import test from 'ava';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installLayout } from '../../../src/install/install';
import { capture, CLI, REPO } from '../../helpers/lab';

const UNITS = join(REPO, 'systemd');

async function verifyCopies(t: { teardown(fn: () => Promise<void>): void }, edit: (text: string) => string) {
  const dir = await mkdtemp(join(tmpdir(), 'd6-units-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const plugin = installLayout({ root: '/', user: false }).pluginLink;
  for (const f of await readdir(UNITS)) {
    // the only change: the plugin path points at this build, since the test installs nothing
    await writeFile(join(dir, f), edit((await readFile(join(UNITS, f), 'utf8')).split(plugin).join(CLI)));
  }
  return capture(['systemd-analyze', 'verify', ...(await readdir(dir)).map((f) => join(dir, f))]);
}

test('both units pass systemd-analyze verify', async (t) => {
  t.deepEqual((await readdir(UNITS)).sort(), ['docker-ipv6-agent.service', 'docker-ipv6-apply.service']);
  const r = await verifyCopies(t, (s) => s);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr.trim(), '');
});

test('systemd-analyze verify does catch a broken unit (the check above can fail)', async (t) => {
  const r = await verifyCopies(t, (s) => s.replace('Type=oneshot', 'Type=bogus').replace('Type=exec', 'Type=bogus'));
  t.regex(r.stderr, /Failed to parse service type/);
});

test('units run the installed plugin, are part of docker.service and hardened', async (t) => {
  const plugin = installLayout({ root: '/', user: false }).pluginLink;
  const apply = await readFile(join(UNITS, 'docker-ipv6-apply.service'), 'utf8');
  const agent = await readFile(join(UNITS, 'docker-ipv6-agent.service'), 'utf8');
  t.regex(apply, new RegExp(`^ExecStart=${plugin} apply --wait-docker \\d+s$`, 'm'));
  t.regex(agent, new RegExp(`^ExecStart=${plugin} agent `, 'm'));
  for (const [text, type] of [[apply, 'oneshot'], [agent, 'exec']]) {
    t.regex(text, new RegExp(`^Type=${type}$`, 'm'));
    t.regex(text, /^PartOf=docker\.service$/m);
    t.regex(text, /^After=docker\.service/m);
    t.regex(text, /^WantedBy=docker\.service$/m);
    t.regex(text, /^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW$/m);
    t.regex(text, /^RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6$/m);
    for (const k of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes']) t.true(text.includes(`\n${k}\n`), k);
    // it writes /proc/sys/net: this would break it
    t.false(/^ProtectKernelTunables=yes/m.test(text));
  }
  t.regex(apply, /^RemainAfterExit=yes$/m);
  t.regex(agent, /^Restart=on-failure$/m);
});
