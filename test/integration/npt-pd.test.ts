// NPTv6 behind a changing DHCPv6-PD prefix (contrib/dhcpcd, contrib/networkd-dispatcher) on a Docker 28 lab: the
// real hook files run the way their daemons run them (dhcpcd's own dhcpcd-run-hooks sources the hook with dhcpcd's
// variables; the networkd-dispatcher script is executed with its variables and reads the `unreachable ... proto
// dhcp` route systemd-networkd installs, here in the lab host's namespace). The delegation changes twice: the same
// running container leaves with the new prefix each time; an unchanged prefix runs no renumbering; a prefix of
// another length is refused loudly and changes nothing.
import test from 'ava';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapAddress } from '../../src/model/npt';
import { REPO, withLab, type Lab } from '../helpers/lab';
import { peerSeenUpstream } from '../helpers/upstream';

const DHCPCD_HOOK = join(REPO, 'contrib/dhcpcd/80-docker-ipv6-npt');
const NETWORKD_SCRIPT = join(REPO, 'contrib/networkd-dispatcher/50-docker-ipv6-npt');
/** Debian's dhcpcd-base (installed by .ci/run): the script dhcpcd runs for every event, sourcing each hook. */
const RUN_HOOKS = '/usr/lib/dhcpcd/dhcpcd-run-hooks';
const HOOK_DIR = '/usr/lib/dhcpcd/dhcpcd-hooks';

async function must(what: string, r: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const x = await r;
  if (x.code !== 0) throw new Error(`${what} exited ${x.code}: ${x.stderr}${x.stdout}`);
  return x.stdout.trim();
}

test('DHCPv6-PD: the dhcpcd hook and the networkd-dispatcher script follow the delegated prefix (docker 28)', async (t) => {
  t.true(existsSync(RUN_HOOKS), `${RUN_HOOKS} is missing: apt-get install dhcpcd-base (.ci/run does)`);
  // dhcpcd-run-hooks sources every file of its hook folder: in a mount namespace of its own, that folder holds only
  // ours, so the machine's hooks (resolv.conf, hostname) never run
  const hooks = mkdtempSync(join(tmpdir(), 'nptpd-hooks-'));
  t.teardown(() => rmSync(hooks, { recursive: true, force: true }));
  copyFileSync(DHCPCD_HOOK, join(hooks, '80-docker-ipv6-npt'));

  await withLab(t, { docker: '28', prefix: 'npd' }, async (lab) => {
    const host6 = lab.record.addresses.host6;
    const stateFile = join(lab.record.toolRoot, 'var/lib/docker-ipv6/state.json');
    const state = () => JSON.parse(readFileSync(stateFile, 'utf8')) as { prefix: string; outsidePrefix: string };
    /** the ISP's router: the delegated prefix is routed to the host's uplink address */
    const delegate = (p: string) => must(`upstream route ${p}`, lab.upstream(['ip', '-6', 'route', 'replace', p, 'via', host6]));
    const natRules = async () => (await must('ip6tables-save', lab.host(['ip6tables-save', '-t', 'nat']))).split('\n').filter((l) => l.startsWith('-A D6'));
    const unchanged = async () => ({ state: readFileSync(stateFile, 'utf8'), mtime: statSync(stateFile).mtimeMs, nat: await natRules() });

    await must('enable --mode npt', lab.exec(['enable', '--yes', '--mode', 'npt', '--prefix', 'auto', '--outside-prefix', '2001:db8:800::/48']));
    await delegate('2001:db8:800::/48');
    const inside = state().prefix;
    await must('network create', lab.docker(['network', 'create', '--ipv6', 'appnet']));
    await must('apply', lab.exec(['apply'])); // no agent in this lab: the filter learns the new network from one pass
    await must('run', lab.docker(['run', '-d', '--name', 'keep', '--network', 'appnet', 'local/busybox:1', 'sleep', '600']));
    const address = await must('inspect', lab.docker(['inspect', 'keep', '--format', '{{range .NetworkSettings.Networks}}{{.GlobalIPv6Address}}{{end}}']));
    const started = await must('inspect', lab.docker(['inspect', 'keep', '--format', '{{.State.StartedAt}}']));
    const dockerd = readFileSync(lab.record.dockerd.pidFile, 'utf8').trim();
    const mapped = (outside: string) => mapAddress(address, inside, outside) ?? `no mapping of ${address} to ${outside}`;
    const egress = () => peerSeenUpstream(lab, () => lab.docker(['exec', 'keep', 'sh', '-c', `echo hi | nc -w3 ${lab.record.addresses.internet6} 9000`]));
    // (egress as the first outside prefix is enable's own test's; here, that it follows each new delegation)

    // ---- dhcpcd: dhcpcd-run-hooks with the variables dhcpcd sets for a lease with a delegated prefix
    const dhcpcd = (reason: string, prefix: string, length: string, old?: [string, string]) => lab.shell(
      `unshare --mount sh -c 'mount --bind "$0" ${HOOK_DIR} && [ "$(ls ${HOOK_DIR})" = 80-docker-ipv6-npt ] && exec ${RUN_HOOKS}' ${hooks}`,
      { env: {
        reason, interface: 'eth0', ifname: 'eth0', pid: '1', ifcarrier: 'up', if_up: 'true', if_down: 'false', protocol: 'dhcp6',
        new_dhcp6_ia_pd1_iaid: '00000001', new_dhcp6_ia_pd1_prefix1: prefix, new_dhcp6_ia_pd1_prefix1_length: length,
        new_dhcp6_ia_pd1_prefix1_pltime: '3600', new_dhcp6_ia_pd1_prefix1_vltime: '7200',
        ...(old ? { old_dhcp6_ia_pd1_iaid: '00000001', old_dhcp6_ia_pd1_prefix1: old[0], old_dhcp6_ia_pd1_prefix1_length: old[1] } : {}),
      } },
    );
    await delegate('2001:db8:900::/48');
    const moved = await dhcpcd('REBIND6', '2001:db8:900::', '48', ['2001:db8:800::', '48']);
    t.is(moved.code, 0, moved.stderr);
    t.regex(moved.stdout, /eth0: docker-ipv6: delegated prefix 2001:db8:900::\/48 \(translated now: 2001:db8:800::\/48\): renumbering/);
    t.regex(moved.stdout, /renumbered in \d+ ms/);
    t.is(state().outsidePrefix, '2001:db8:900::/48');
    t.is(await egress(), mapped('2001:db8:900::/48'), 'dhcpcd: the same container now leaves as the delegated prefix');

    // a renewal of the same delegation: nothing runs, nothing changes
    const before = await unchanged();
    const renew = await dhcpcd('RENEW6', '2001:db8:900::', '48', ['2001:db8:900::', '48']);
    t.is(renew.code, 0, renew.stderr);
    t.notRegex(renew.stdout + renew.stderr, /renumber/, 'an unchanged prefix runs no renumbering');
    t.deepEqual(await unchanged(), before);

    // a delegation of another length than the inside prefix: refused by the tool, logged at err, nothing changed
    const wrong = await dhcpcd('BOUND6', '2001:db8:a00::', '56');
    t.regex(wrong.stderr, /eth0: docker-ipv6: docker ipv6 renumber --outside-prefix 2001:db8:a00::\/56 failed \(exit 2\), the translation stays 2001:db8:900::\/48: .*is a \/56, the inside prefix .* a \/48/s);
    t.deepEqual(await unchanged(), before, 'a refused prefix changes nothing');
    // dhcpcd-run-hooks ends with the status of its last hook folder entry; the hook file's own status is the tool's
    const alone = await lab.shell(`. ${DHCPCD_HOOK}`, { env: { reason: 'BOUND6', interface: 'eth0', new_dhcp6_ia_pd1_prefix1: '2001:db8:a00::', new_dhcp6_ia_pd1_prefix1_length: '56' } });
    t.is(alone.code, 2, 'sourced on its own, the hook ends with the refusal\'s exit code');
    t.deepEqual(await unchanged(), before);

    // ---- networkd-dispatcher: systemd-networkd's route for the new delegation, then the script as the dispatcher runs it
    const networkd = (l: Lab) => l.shell(NETWORKD_SCRIPT, { env: {
      IFACE: 'eth0', STATE: 'configured', AdministrativeState: 'configured', OperationalState: 'routable',
      ADDR: host6, IP_ADDRS: lab.record.addresses.host4, IP6_ADDRS: host6, ESSID: '',
      json: JSON.stringify({ AdministrativeState: 'configured', InterfaceName: 'eth0', OperationalState: 'routable', State: 'routable (configured)', Type: 'ether' }),
    } });
    await delegate('2001:db8:a00::/48');
    await must('networkd route', lab.host(['ip', '-6', 'route', 'add', 'unreachable', '2001:db8:a00::/48', 'dev', 'lo', 'proto', 'dhcp', 'metric', '1024']));
    const nd = await networkd(lab);
    t.is(nd.code, 0, nd.stderr);
    t.regex(nd.stdout, /delegated prefix 2001:db8:a00::\/48 \(translated now: 2001:db8:900::\/48\): renumbering/);
    t.is(state().outsidePrefix, '2001:db8:a00::/48');
    t.is(await egress(), mapped('2001:db8:a00::/48'), 'networkd: the same container now leaves as the delegated prefix');
    const after = await unchanged();
    const again = await networkd(lab);
    t.is(again.code, 0, again.stderr);
    t.is(again.stdout + again.stderr, '', 'an unchanged delegation: the script runs nothing');
    t.deepEqual(await unchanged(), after);

    // networkd moves to a /56 delegation: the script fails loudly and nothing changes
    await must('networkd route', lab.host(['ip', '-6', 'route', 'del', 'unreachable', '2001:db8:a00::/48', 'dev', 'lo', 'proto', 'dhcp', 'metric', '1024']));
    await must('networkd route', lab.host(['ip', '-6', 'route', 'add', 'unreachable', '2001:db8:b00::/56', 'dev', 'lo', 'proto', 'dhcp', 'metric', '1024']));
    const bad = await networkd(lab);
    t.is(bad.code, 2);
    t.regex(bad.stderr, /docker ipv6 renumber --outside-prefix 2001:db8:b00::\/56 failed \(exit 2\), the translation stays 2001:db8:a00::\/48/);
    t.deepEqual(await unchanged(), after, 'a refused prefix changes nothing');

    // no restart of anything on the way
    t.is(readFileSync(lab.record.dockerd.pidFile, 'utf8').trim(), dockerd, 'the same dockerd');
    t.is(await must('inspect', lab.docker(['inspect', 'keep', '--format', '{{.State.StartedAt}}'])), started, 'the same container start');
  });
});
