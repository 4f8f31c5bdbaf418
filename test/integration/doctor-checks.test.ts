// doctor's remaining checks on real labs, each put into its broken state: reported fail/warn with a fix, repaired by
// --fix where the finding carries an automatic one, or by following the printed fix, and gone in the next run.
import test from 'ava';
import { readFileSync, readlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BOOT_UNIT_LINK, killLabAgent, withLab, type Lab } from '../helpers/lab';
import { poll } from './agent-lab';
import { docker, has, ids, problems, runDoctor, sh, type Report } from './doctor-lab';

const doctor = async (lab: Lab, args: string[] = [], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Report> => (await runDoctor(lab, args, opts)).report;
const status = (r: Report, id: string) => r.findings.filter((f) => f.id === id).map((f) => f.status);
async function fix(t: import('ava').ExecutionContext, lab: Lab, id: string): Promise<Report> {
  const r = await doctor(lab, ['--fix', '--yes']);
  t.deepEqual(r.fixErrors, []);
  t.true(r.fixed!.some((f) => f.id === id), `--fix applied ${id}: ${JSON.stringify(r.fixed)}`);
  return r;
}

test.serial('docker 28: ip6tables missing, stale chains in the legacy backend, daemon without IPv6 or IPv6 pools, a container without its address, docker-proxy in the path, docker-ipv6nat next to Docker', async (t) => {
  await withLab(t, { docker: '28', prefix: 'dck28' }, async (lab) => {
    // kernel.ip6tables: observeHost runs ip6tables-save from PATH; a PATH without /usr/sbin is a host without the iptables package
    const noIptables = { PATH: [...lab.record.dockerd.pathDirs, '/usr/bin'].join(':') };
    // doctor exits as soon as its report is printed (run() once left spawn's own timer running when the program
    // was missing, which kept the process alive for 60 s)
    const t0 = performance.now();
    const missing = await doctor(lab, [], { env: noIptables, timeoutMs: 30_000 });
    t.true(performance.now() - t0 < 15_000, `doctor took ${Math.round(performance.now() - t0)} ms with ip6tables missing`);
    const ipt = has(t, missing, 'kernel.ip6tables', 'fail', /ip6tables is missing \(ip6tables-save is not installed/);
    t.is(ipt.fix, 'apt-get install iptables');
    t.deepEqual(status(missing, 'kernel.iptables-backend'), ['skip']);

    // kernel.iptables-backend: the lab's ip6tables is nf_tables, where Docker 28 keeps its chains; a Docker chain left in
    // the legacy tables of the lab's namespace (as after a switch of the alternatives) is invisible to it
    t.regex(await sh(lab, ['ip6tables', '-V']), /nf_tables/);
    await sh(lab, ['ip6tables-legacy', '-t', 'filter', '-N', 'DOCKER-USER']);
    const fresh = await doctor(lab);
    const be = has(t, fresh, 'kernel.iptables-backend', 'warn', /Docker's IPv6 chains \(DOCKER-USER\) are in the legacy backend but ip6tables here uses nf_tables/);
    t.regex(be.fix, /ip6tables-legacy -t TABLE -X CHAIN/);
    t.false(be.fix.includes('update-alternatives'), 'the live chains are in nf_tables: no switch to legacy');
    // daemon.ipv6: a fresh lab's daemon.json has no "ipv6"
    const v6 = has(t, fresh, 'daemon.ipv6', 'fail', /"ipv6" is not set in daemon\.json: the default bridge has no IPv6/);
    t.deepEqual(v6.auto, { kind: 'enable' });
    t.deepEqual(ids(fresh), ['daemon.ipv6', 'kernel.iptables-backend']);

    await sh(lab, ['ip6tables-legacy', '-t', 'filter', '-X', 'DOCKER-USER']);
    const enabled = await fix(t, lab, 'daemon.ipv6');
    t.deepEqual(ids(enabled), [], JSON.stringify(problems(enabled), null, 1));
    t.is(JSON.parse(readFileSync(lab.record.dockerd.configFile, 'utf8')).ipv6, true);
    t.deepEqual(ids(await doctor(lab)), [], 'the second run is clean');

    // daemon.pools: the IPv6 pools taken out of daemon.json (no restart: the check reads the file)
    const file = lab.record.dockerd.configFile;
    const cfg = JSON.parse(readFileSync(file, 'utf8'));
    const v4pools = (cfg['default-address-pools'] as Array<{ base: string }>).filter((p) => !p.base.includes(':'));
    writeFileSync(file, `${JSON.stringify({ ...cfg, 'default-address-pools': v4pools }, null, 2)}\n`);
    const nopools = await doctor(lab);
    const pools = has(t, nopools, 'daemon.pools', 'warn', /"default-address-pools" has no IPv6 pool/);
    t.deepEqual(pools.auto, { kind: 'enable' });
    t.deepEqual(ids(nopools), ['daemon.pools']);
    const refilled = await fix(t, lab, 'daemon.pools');
    t.deepEqual(ids(refilled), []);
    t.true(JSON.parse(readFileSync(file, 'utf8'))['default-address-pools'].some((p: { base: string }) => p.base.includes(':')));

    // containers.no-ipv6: Docker 28 gives no address to a container that disables IPv6 itself. The check's other
    // cause, a container started before its network had IPv6, cannot be made here: a network's IPv6 cannot change
    // after creation, and the default bridge gets it only through a dockerd restart, which stops every container
    // of the lab (live-restore does not keep them: the lab's dockerd runs its own containerd).
    await docker(lab, ['network', 'create', '--ipv6', 'appnet']);
    await docker(lab, ['run', '-d', '--name', 'nov6', '--network', 'appnet', '--sysctl', 'net.ipv6.conf.all.disable_ipv6=1', 'local/busybox:1', 'sleep', '600']);
    // ports.userland-proxy: a port published on both families by a container on an IPv4-only network
    await docker(lab, ['network', 'create', 'plain4']);
    await docker(lab, ['run', '-d', '--name', 'pub4', '--network', 'plain4', '-p', '8082:80', 'local/busybox:1', 'sleep', '600']);
    // firewall.ipv6nat: a docker-ipv6nat container (the check knows it by name) and the second copy of a masquerade rule it writes
    await docker(lab, ['run', '-d', '--name', 'ipv6nat', 'local/busybox:1', 'sleep', '600']);
    const sub6 = (await docker(lab, ['network', 'inspect', 'appnet', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}'])).split(' ').find((s) => s.includes(':'))!;
    const br = `br-${(await docker(lab, ['network', 'inspect', 'appnet', '--format', '{{.Id}}'])).slice(0, 12)}`;
    const masq = ['POSTROUTING', '-s', sub6, '!', '-o', br, '-j', 'MASQUERADE'];
    await sh(lab, ['ip6tables', '-t', 'nat', '-C', ...masq]);
    await sh(lab, ['ip6tables', '-t', 'nat', '-A', ...masq]);

    const broken = await doctor(lab);
    const nov6 = has(t, broken, 'containers.no-ipv6', 'fail', /container "nov6" runs on IPv6 network "appnet" without a global IPv6 address/);
    t.is(nov6.subject, 'nov6');
    t.regex(nov6.fix, /recreate it without that sysctl/);
    const proxy = has(t, broken, 'ports.userland-proxy', 'warn', /published ports of "pub4" go through docker-proxy/);
    t.regex(proxy.fix, /docker network connect <ipv6-network> NAME/);
    const nat = has(t, broken, 'firewall.ipv6nat', 'fail', /container "ipv6nat" \(docker-ipv6nat\) runs while Docker's own ip6tables is on/);
    t.true(nat.fix.startsWith(`docker rm -f ipv6nat && ip6tables -t nat -D ${masq.join(' ')} && `), nat.fix);
    // plain4 has a container without IPv6: reported too, as doctor.test.ts shows
    t.deepEqual(ids(broken), ['containers.no-ipv6', 'firewall.ipv6nat', 'networks.ipv6-off', 'ports.userland-proxy']);
    t.true([nov6, proxy, nat].every((f) => !f.auto), 'none of these is for --fix');

    // follow the fixes as printed. The container goes first; its duplicate rule is then reported on its own, with the
    // delete as the whole fix (a restart keeps both copies: Docker 28 only adds rules it finds missing)
    await docker(lab, ['rm', '-f', 'ipv6nat']);
    const dup = has(t, await doctor(lab), 'firewall.ipv6nat', 'fail', new RegExp(`masquerade rules for ${sub6} appear twice`));
    t.is(dup.fix, `ip6tables -t nat -D ${masq.join(' ')}`);
    await sh(lab, dup.fix.split(' '));
    await docker(lab, ['rm', '-f', 'nov6']);
    await docker(lab, ['run', '-d', '--name', 'nov6', '--network', 'appnet', 'local/busybox:1', 'sleep', '600']);
    await docker(lab, ['network', 'connect', 'appnet', 'pub4']);
    const after = await doctor(lab);
    t.deepEqual(ids(after), ['networks.ipv6-off'], JSON.stringify(problems(after), null, 1));
    for (const id of ['containers.no-ipv6', 'ports.userland-proxy', 'firewall.ipv6nat']) t.deepEqual(status(after, id), ['ok'], id);
    t.is(await sh(lab, ['ip6tables', '-t', 'nat', '-C', ...masq]), '', 'Docker\'s own rule stays');
  });
});

test.serial('docker 20: docker-ipv6nat leftovers with Docker\'s ip6tables off; a global network without a mode; routed mode asks for --probe', async (t) => {
  await withLab(t, { docker: '20', prefix: 'dck20' }, async (lab) => {
    // firewall.ipv6nat: a DOCKER chain in the IPv6 nat table while Docker 20 runs without ip6tables is Docker's own (it uses
    // it again once ip6tables is on): not a leftover to delete; a masquerade it left does act, and is named (warn)
    t.is(await sh(lab, ['ip6tables-save', '-t', 'nat']).then((s) => s.includes(':DOCKER')), false, 'Docker 20 without ip6tables writes no IPv6 chain');
    await sh(lab, ['ip6tables', '-t', 'nat', '-N', 'DOCKER']);
    await sh(lab, ['ip6tables', '-t', 'nat', '-A', 'POSTROUTING', '-s', 'fd00:99::/64', '!', '-o', 'docker0', '-j', 'MASQUERADE']);
    // outside.global-path: a network with a global prefix, nothing (Docker's NAT, a docker-ipv6 mode) for its outside path
    await docker(lab, ['network', 'create', '--ipv6', '--subnet', '2001:db8:5::/64', 'glob']);
    const broken = await doctor(lab);
    const left = has(t, broken, 'firewall.ipv6nat', 'warn', /IPv6 masquerade for fd00:99::\/64 is left in ip6tables although Docker's ip6tables support is off/);
    t.is(left.fix, 'ip6tables -t nat -D POSTROUTING -s fd00:99::/64 ! -o docker0 -j MASQUERADE');
    const path = has(t, broken, 'outside.global-path', 'warn', /network "glob" has the global prefix 2001:db8:5::\/64 but no docker-ipv6 mode/);
    t.is(path.subject, 'glob');
    t.falsy(path.auto);

    // the fix as printed; Docker's own chain stays, and is no finding
    await sh(lab, ['sh', '-ec', left.fix]);
    t.deepEqual(status(await doctor(lab), 'firewall.ipv6nat'), ['ok']);
    t.true(await sh(lab, ['ip6tables-save', '-t', 'nat']).then((s) => s.includes(':DOCKER')));

    // the global-path fix as printed: the network goes (enable refuses a prefix overlapping it), enable in routed mode
    // with the prefix, the network comes back from enable's pools
    t.regex(path.fix, /^docker network rm glob .*docker ipv6 enable --prefix .* --mode routed .*then docker network create --ipv6 glob;/);
    const overlap = await lab.exec(['enable', '--yes', '--prefix', '2001:db8:5::/48', '--mode', 'routed']);
    t.not(overlap.code, 0);
    t.regex(overlap.stderr, /overlaps Docker network "glob"/);
    await docker(lab, ['network', 'rm', 'glob']);
    const en = await lab.exec(['enable', '--yes', '--prefix', '2001:db8:5::/48', '--mode', 'routed']);
    t.is(en.code, 0, en.stderr);
    await docker(lab, ['network', 'create', '--ipv6', 'glob']);
    t.regex(await docker(lab, ['network', 'inspect', 'glob', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}']), /2001:db8:5:[0-9a-f]+::\/64/);
    // firewall.boot-unit: routed without the boot unit enabled (nothing closes the prefix before Docker at boot);
    // the lab has the link `systemctl enable docker-ipv6-boot.service` makes: without it, doctor warns
    const link = join(lab.record.toolRoot, BOOT_UNIT_LINK);
    const target = readlinkSync(link);
    unlinkSync(link);
    const noBoot = await doctor(lab);
    const boot = has(t, noBoot, 'firewall.boot-unit', 'warn', /docker-ipv6-boot\.service is not enabled/);
    // the fix as printed (no unit file anywhere: install them; under the lab's --root, systemctl --root makes the links)
    t.is(boot.fix, 'docker ipv6 install --enable');
    const inst = await lab.shell(boot.fix);
    t.is(inst.code, 0, inst.stderr);
    t.is(readlinkSync(link), target, 'the link systemctl enable makes');
    // a network made after enable, and no agent: doctor says so; the printed fixes, run as printed, make it go away
    t.teardown(() => killLabAgent(lab));
    const keep = await doctor(lab);
    t.deepEqual(ids(keep), ['firewall.agent', 'firewall.in-step'], JSON.stringify(problems(keep), null, 1));
    for (const f of problems(keep)) t.is((await lab.shell(f.fix)).code, 0, f.fix);
    await poll('the agent', async () => (status(await doctor(lab), 'firewall.agent')[0] === 'ok' ? true : undefined), 20_000, 300);
    // outside.routed: routed mode without --probe cannot know the upstream's route; a skip that says how to test it
    const routed = await doctor(lab);
    t.deepEqual(ids(routed), [], JSON.stringify(problems(routed), null, 1));
    const skipped = routed.findings.find((f) => f.id === 'outside.routed');
    t.is(skipped?.status, 'skip');
    t.regex(skipped!.detail, /the upstream router must route 2001:db8:5::\/48 to this host; run doctor --probe/);
    // with the route on the upstream (what enable printed) --probe tests the path itself and the skip is gone
    t.regex(en.stdout + en.stderr, /2001:db8:5::\/48 via 2001:db8:1::2/);
    const up = await lab.upstream(['ip', '-6', 'route', 'add', '2001:db8:5::/48', 'via', lab.record.addresses.host6]);
    t.is(up.code, 0, up.stderr);
    const probed = await doctor(lab, ['--probe']);
    t.deepEqual(ids(probed), [], JSON.stringify(problems(probed), null, 1));
    t.deepEqual(status(probed, 'outside.routed'), []);
    t.deepEqual(status(probed, 'outside.egress'), ['ok']);
    t.deepEqual(status(probed, 'outside.global-path'), ['ok']);
  });
});
