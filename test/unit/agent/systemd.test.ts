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

test('the units pass systemd-analyze verify', async (t) => {
  t.deepEqual((await readdir(UNITS)).sort(), ['docker-ipv6-agent.service', 'docker-ipv6-apply.service', 'docker-ipv6-boot.service']);
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
  const boot = await readFile(join(UNITS, 'docker-ipv6-boot.service'), 'utf8');
  for (const text of [apply, agent, boot]) {
    // issue 12: no IP traffic, other users' processes hidden, only the files it writes
    for (const k of ['IPAddressDeny=any', 'ProtectProc=invisible', 'PrivateMounts=yes', 'StateDirectory=docker-ipv6', 'ReadWritePaths=-/run/xtables.lock']) t.true(text.includes(`\n${k}\n`), k);
    t.false(/^ReadWritePaths=\/run$/m.test(text), 'not all of /run');
  }
});

test('the boot unit installs the closed filter before Docker and before the network, from the state alone', async (t) => {
  const plugin = installLayout({ root: '/', user: false }).pluginLink;
  const boot = await readFile(join(UNITS, 'docker-ipv6-boot.service'), 'utf8');
  t.regex(boot, new RegExp(`^ExecStart=${plugin} apply --boot$`, 'm'));
  t.regex(boot, /^DefaultDependencies=no$/m);
  t.regex(boot, /^Before=docker\.service network-pre\.target/m);
  t.regex(boot, /^After=local-fs\.target systemd-sysctl\.service$/m);
  t.regex(boot, /^RequiredBy=docker\.service$/m, 'Docker does not start without the filter');
  t.regex(boot, /^Type=oneshot$/m);
  t.regex(await readFile(join(UNITS, 'docker-ipv6-apply.service'), 'utf8'), /^After=docker\.service docker-ipv6-boot\.service$/m);
});

test('exposure score of every unit (systemd-analyze security --offline) is 2.2 or better', async (t) => {
  for (const f of await readdir(UNITS)) {
    const r = await capture(['systemd-analyze', 'security', '--offline=true', join(UNITS, f)]);
    const m = /Overall exposure level for \S+: (\d+\.\d)/.exec(r.stdout + r.stderr);
    t.truthy(m, r.stdout + r.stderr);
    t.true(Number(m![1]) <= 2.2, `${f}: ${m![1]}`);
  }
});
