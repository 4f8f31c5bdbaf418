// doctor on Docker 29, both firewall backends, each finding provoked for real inside the lab's namespace: DOCKER-USER
// rules and an ip6tables FORWARD policy DROP beside the nftables backend, our chains left in ip6tables, firewalld
// (a firewall-cmd stand-in on PATH: no firewalld runs here), forwarding off so Docker refuses to start; and on the
// iptables backend our nftables table left from the other backend. Printed fixes are run as printed, then gone.
import test from 'ava';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labExecEnv } from '../../src/lab/env';
import { CLI, withLab, type Lab } from '../helpers/lab';
import { has, ids, runDoctor, sh, type Report } from './doctor-lab';

const doctor = async (lab: Lab, env?: NodeJS.ProcessEnv): Promise<Report> => (await runDoctor(lab, [], { env, timeoutMs: 60_000 })).report;
const one = (r: Report, id: string) => r.findings.filter((f) => f.id === id);
/** The commands after `marker` in a fix, run as printed in the lab's host namespace. */
async function runFix(lab: Lab, fix: string, marker: string): Promise<void> {
  const at = marker ? fix.lastIndexOf(marker) : 0;
  if (at < 0) throw new Error(`no "${marker}" in fix: ${fix}`);
  await sh(lab, ['sh', '-ec', fix.slice(at + marker.length)]);
}

test.serial('docker 29 nftables: DOCKER-USER rules, a FORWARD DROP in ip6tables, our chains left there, firewalld; forwarding off and Docker down', async (t) => {
  await withLab(t, { docker: '29', firewallBackend: 'nftables', prefix: 'dd29n' }, async (lab) => {
    // the lab turns on only IPv4 forwarding: a bridge with IPv6 needs enable (it raises IPv6 forwarding before the restart)
    const en = await lab.exec(['enable', '--yes', '--prefix', 'fd29:29:29::/48']);
    t.is(en.code, 0, en.stderr);
    const clean = await doctor(lab);
    const [info] = one(clean, 'firewall.backend');
    t.is(info.status, 'ok');
    t.regex(info.detail, /Docker uses its nftables firewall backend .*known from `docker info`; docker-ipv6's rules live in nftables table ip6 docker-ipv6/);
    t.deepEqual(ids(clean), [], JSON.stringify(clean.findings.filter((f) => f.status === 'warn' || f.status === 'fail')));
    t.deepEqual(one(clean, 'outside.ula-nat').map((f) => f.status), ['ok'], 'Docker\'s masquerade is read from its nftables table');

    // the admin's DOCKER-USER rules from the iptables days (both families), Docker's FORWARD DROP, and our old chain
    await sh(lab, ['sh', '-ec', [
      'ip6tables-nft -N DOCKER-USER', 'ip6tables-nft -A DOCKER-USER -s 2001:db8:9::/48 -p tcp --dport 22 -j ACCEPT', 'ip6tables-nft -A FORWARD -j DOCKER-USER',
      'ip6tables-nft -P FORWARD DROP', 'iptables-nft -N DOCKER-USER', 'iptables-nft -A DOCKER-USER -s 10.9.0.0/16 -j DROP',
      'ip6tables-nft -N D6-FORWARD', 'ip6tables-nft -A D6-FORWARD -d fd29:29:29::/64 -j DROP', 'ip6tables-nft -I FORWARD 1 -m comment --comment docker-ipv6 -j D6-FORWARD',
    ].join('\n')]);
    const bin = mkdtempSync(join(tmpdir(), 'dd29-bin-'));
    t.teardown(() => rmSync(bin, { recursive: true, force: true }));
    writeFileSync(join(bin, 'firewall-cmd'), '#!/bin/sh\n[ "$1" = --state ] && echo running\n');
    chmodSync(join(bin, 'firewall-cmd'), 0o755);
    const path = { PATH: `${bin}:${labExecEnv(lab.record, process.env, CLI).PATH}` };
    const mixed = await doctor(lab, path);
    t.deepEqual(ids(mixed), ['firewall.backend-mix', 'firewall.docker-user', 'firewall.firewalld', 'firewall.stale-ours']);
    const users = one(mixed, 'firewall.docker-user');
    t.deepEqual(users.map((f) => f.subject).sort(), ['ip6tables-nft', 'iptables-nft']);
    const u6 = users.find((f) => f.subject === 'ip6tables-nft')!;
    t.regex(u6.detail, /FORWARD still jumps to it .*drops still drop .*accepts cannot let through/);
    const mix = has(t, mixed, 'firewall.backend-mix', 'warn', /^ip6tables-nft still filters beside Docker's nftables rules: FORWARD policy DROP/);
    t.regex(mix.detail, /a drop in any of them wins, so this policy drops container traffic/);
    const stale = has(t, mixed, 'firewall.stale-ours', 'warn', /chains D6-FORWARD are still in ip6tables-nft/);
    has(t, mixed, 'firewall.firewalld', 'warn', /firewalld is running/);
    // the printed fixes, run as printed, remove exactly what they name
    await runFix(lab, stale.fix, '');
    for (const f of users) await runFix(lab, f.fix, 'remove the old chain: ');
    await sh(lab, ['ip6tables-nft', '-P', 'FORWARD', 'ACCEPT']);
    const fixed = await doctor(lab);
    t.deepEqual(ids(fixed), [], JSON.stringify(fixed.findings.filter((f) => f.status !== 'ok' && f.status !== 'skip')));
    t.deepEqual(await sh(lab, ['ip6tables-nft-save']).then((s) => s.split('\n').filter((l) => /DOCKER|D6-/.test(l))), []);

    // forwarding off: the nftables backend refuses to start; doctor says which forwarding, with Docker down
    // (writing all.forwarding also sets default; default=0 alone makes 29.7.2 refuse too, measured by hand)
    await sh(lab, ['sh', '-ec', 'echo 0 > /proc/sys/net/ipv4/ip_forward; echo 0 > /proc/sys/net/ipv6/conf/all/forwarding']);
    const keys = ['net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'net.ipv6.conf.default.forwarding'];
    const running = await doctor(lab);
    t.deepEqual(one(running, 'daemon.nft-forwarding').map((f) => [f.subject, f.status]), keys.map((k) => [k, 'fail']));
    t.regex(one(running, 'daemon.nft-forwarding')[0].detail, /will refuse to start at its next restart/);
    const restart = await lab.lab(['restart']);
    t.not(restart.code, 0, 'dockerd refuses to start');
    t.regex(restart.stderr, /IPv4 forwarding is disabled/);
    const down = await doctor(lab);
    has(t, down, 'daemon.reachable', 'fail', /nftables backend refuses to start while net\.ipv4\.ip_forward, net\.ipv6\.conf\.all\.forwarding, net\.ipv6\.conf\.default\.forwarding are 0/);
    const fwd = one(down, 'daemon.nft-forwarding');
    t.deepEqual(fwd.map((f) => f.subject), keys);
    t.true(fwd.every((f) => f.status === 'fail' && /refuses to start, so Docker stays down/.test(f.detail) && /then: .*lab restart/.test(f.fix)), JSON.stringify(fwd));
    t.regex(one(down, 'firewall.backend')[0].detail, /known from "firewall-backend" in daemon\.json/);
    // following the fix brings Docker back
    await sh(lab, ['sh', '-ec', 'echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding']);
    t.is((await lab.lab(['restart'])).code, 0);
    t.deepEqual(ids(await doctor(lab)), []);
  });
});

test.serial('docker 29 iptables: our nftables table left from the nftables backend, with the command that removes it', async (t) => {
  await withLab(t, { docker: '29', firewallBackend: 'iptables', prefix: 'dd29i' }, async (lab) => {
    const clean = await doctor(lab);
    t.regex(one(clean, 'firewall.backend')[0].detail, /Docker uses its iptables firewall backend .*known from `docker info`; docker-ipv6's rules live in ip6tables chains/);
    t.deepEqual(one(clean, 'firewall.stale-ours').map((f) => f.status), ['ok']);
    t.deepEqual(one(clean, 'daemon.nft-forwarding'), [], 'the iptables backend turns forwarding on itself');
    await sh(lab, ['sh', '-ec', "nft add table ip6 docker-ipv6; nft add chain ip6 docker-ipv6 FORWARD '{ type filter hook forward priority filter - 1; policy accept; }'; nft add rule ip6 docker-ipv6 FORWARD ip6 daddr fd00:dead::/64 drop"]);
    const stale = has(t, await doctor(lab), 'firewall.stale-ours', 'warn', /table ip6 docker-ipv6 is left from when Docker used its nftables backend/);
    await runFix(lab, stale.fix, 'then: ');
    t.notRegex(await sh(lab, ['nft', 'list', 'tables']), /docker-ipv6/);
    t.deepEqual(one(await doctor(lab), 'firewall.stale-ours').map((f) => f.status), ['ok']);
  });
});
