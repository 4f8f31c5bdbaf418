// Fault suite, npt mode (issue 24.1): containers keep an inside ULA that the host maps 1:1 onto an outside prefix
// the upstream routes here. Judged from the upstream namespace: at the outside addresses only published ports
// answer, nothing reaches the inside addresses even when the upstream routes them here, a lost state keeps the host
// closed and its printed fix works; and the walk: egress arrives with the mapped source, verify says so, renumbering
// moves the same container to the new prefix with no restart, apply puts a flushed translation back, disable removes
// it exactly. One npt enable serves every scenario (the first one that finds the lab without it enables).
import { existsSync, readFileSync, renameSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { nftBinary } from '../../src/host/nftables';
import { mapAddress } from '../../src/model/npt';
import { dockerNftTable, ourNftTable, saveRules } from '../integration/agent-lab';
import { addressOf, docker, dockerBack, pingsFromUpstream, probeAll, readFromUpstream, rebootHost, RUN, SERVE, type Probe } from './exposure-closed';
import { dockerdPid, ok, toolFile, waitFor, type FaultSuite } from './faults';
import type { Lab } from './lab';
import { peerSeenUpstream, receivedUpstream } from './upstream';

const INSIDE = 'fd6e:7074:24::/48';
const OUTSIDE = '2001:db8:800::/48';
const NEW = '2001:db8:900::/48';
const NEW2 = '2001:db8:a00::/48';

/** The container address `addr` as the upstream reaches it through the translation onto `outside`. */
function outsideOf(outside: string): (addr: string) => string {
  return (addr) => {
    const m = mapAddress(addr, INSIDE, outside);
    if (!m) throw new Error(`${addr} is not in the inside prefix ${INSIDE}`);
    return m;
  };
}

function savedState(lab: Lab): { enabled?: unknown; mode?: string; prefix?: string; uplink?: string; outsidePrefix?: string; routes?: string[] } {
  const path = toolFile(lab, 'state.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
}

/**
 * Every IPv6 rule (ip6tables, our nftables table and Docker's IPv6 one) and the main IPv6 routes, as text; without
 * the kernel's routes of Docker's bridges (their link-local one comes and goes with Docker's IPv6 on docker0).
 */
async function ipv6Text(lab: Lab): Promise<string> {
  const routes = (await lab.host(['ip', '-6', 'route', 'show'])).stdout.split('\n').filter((l) => !/ dev (docker0|br-\S+) proto kernel /.test(l)).join('\n');
  return `${await saveRules(lab)}\n== nft\n${await ourNftTable(lab)}${await dockerNftTable(lab)}\n== routes\n${routes}`;
}

/** The upstream routes what enable/renumber printed it needs: exactly `prefix via` the host's uplink address. */
async function routeAsPrinted(t: ExecutionContext, lab: Lab, out: string, prefix: string): Promise<void> {
  const route = /The upstream router needs this route: (\S+) via (\S+)/.exec(out);
  t.deepEqual(route?.slice(1), [prefix, lab.record.addresses.host6], out);
  const r = await lab.upstream(['ip', '-6', 'route', 'replace', prefix, 'via', lab.record.addresses.host6]);
  if (r.code !== 0) throw new Error(r.stderr);
}

/**
 * The npt scenarios on one lab. `walk`: the renumbering walk too (its disable restarts dockerd; it runs on Docker 28
 * and 29 with nftables, the two translation backends' newest paths, to keep the suite's added time in budget).
 */
export function nptScenarios(suite: FaultSuite, nft: boolean, stopDockerd: (lab: Lab) => string, walk: boolean): void {
  /** the IPv6 firewall and routes before the one npt enable: the walk's disable must leave exactly that */
  let before: string | undefined;
  const ensureNpt = async (t: ExecutionContext, lab: Lab) => {
    const s = savedState(lab);
    if (s.enabled && s.mode === 'npt' && s.prefix === INSIDE) return;
    if (s.enabled) await ok(lab, ['disable', '--yes']);
    before = await ipv6Text(lab);
    const en = await ok(lab, ['enable', '--yes', '--mode', 'npt', '--prefix', INSIDE, '--outside-prefix', OUTSIDE]);
    t.regex(en, /IPv6 enabled: prefix fd6e:7074:24::\/48, mode npt/);
    await routeAsPrinted(t, lab, en, OUTSIDE);
  };
  /** whether [addr]:port answers `word` from the upstream: retried for what should answer, once (1 s) for what should not */
  const fromUpstream = async (lab: Lab, addr: string, port: number, word: string, expect: boolean) => {
    for (let i = 0; i < (expect ? 3 : 1); i++) {
      if ((await readFromUpstream(lab, addr, port)).includes(word)) return true;
      await new Promise((r) => setTimeout(r, 300));
    }
    return false;
  };

  suite.scenario('npt (issue 24.1): at the outside addresses only published ports answer, a port bound to one host address and an internal network get nothing, and the inside ULA is closed even when the upstream routes it here', { fault: 'enable --mode npt; docker run unpublished, -p 9099:80, -p [fd00:ab::5]:8087:80, --internal network with NET_ADMIN routing itself out; the upstream routes the inside prefix to the host too' }, async (t, lab) => {
    t.teardown(async () => {
      await lab.docker(['rm', '-f', 'n-secret', 'n-pub', 'n-bound', 'n-int']);
      await lab.docker(['network', 'rm', 'nint']);
      await lab.host(['ip', 'link', 'del', 'nmgmt0']);
      await lab.upstream(['ip', '-6', 'route', 'del', INSIDE]);
    });
    await ensureNpt(t, lab);
    const at = outsideOf(savedState(lab).outsidePrefix ?? OUTSIDE);
    await docker(lab, ['network', 'create', '--ipv6', '--internal', 'nint']);
    await lab.host(['sh', '-c', 'ip link add nmgmt0 type veth peer name nmgmt1 && ip link set nmgmt1 up && ip link set nmgmt0 up && ip -6 addr add fd00:ab::5/64 dev nmgmt0 nodad']);
    await Promise.all([
      docker(lab, [...RUN, '--name', 'n-secret', 'local/busybox:1', ...SERVE('nptsecret', 81)]),
      docker(lab, [...RUN, '--name', 'n-pub', '-p', '9099:80', 'local/busybox:1', ...SERVE('nptpub', 80)]),
      docker(lab, [...RUN, '--name', 'n-bound', '-p', '[fd00:ab::5]:8087:80', 'local/busybox:1', ...SERVE('nptbound', 80)]),
      docker(lab, [...RUN, '--name', 'n-int', '--cap-add', 'NET_ADMIN', '--network', 'nint', 'local/busybox:1', ...SERVE('nptint', 83)]),
    ]);
    await ok(lab, ['apply']);
    const targets: Probe[] = [
      { name: 'n-secret', port: 81, word: 'nptsecret', open: false }, { name: 'n-pub', port: 80, word: 'nptpub', open: true },
      { name: 'n-bound', port: 80, word: 'nptbound', open: false }, { name: 'n-int', port: 83, word: 'nptint', open: false },
    ];
    await probeAll(t, suite, lab, targets.map((p) => ({ ...p, at })), 'npt, at the outside addresses');
    t.regex((await lab.host(['busybox', 'nc', '-w2', 'fd00:ab::5', '8087'], { input: '' })).stdout, /nptbound/, 'the binding works where it was asked for: the host address');
    const pub = await addressOf(lab, 'n-pub');
    const [pubEcho, intEcho] = await Promise.all([pingsFromUpstream(lab, at(pub)), pingsFromUpstream(lab, at(await addressOf(lab, 'n-int')))]);
    t.true(pubEcho, 'echo reaches a container at its outside address (the transit set, as routed)');
    t.false(intEcho, 'no echo reply from an internal network');
    // the upstream routes the inside prefix here too: the container addresses themselves are tried
    await lab.upstream(['ip', '-6', 'route', 'replace', INSIDE, 'via', lab.record.addresses.host6]);
    await probeAll(t, suite, lab, targets.map((p) => ({ ...p, open: false })), 'npt, at the inside addresses the upstream routes here');
    if (await pingsFromUpstream(lab, pub)) suite.exposed(t, `echo reply from the inside address ${pub}`);
    // an internal network's container routes itself out: nothing arrives upstream; the same from a normal one does
    const gw = (await docker(lab, ['network', 'inspect', 'nint', '-f', '{{range .IPAM.Config}}{{.Gateway}} {{end}}'])).split(' ').find((g) => g.includes(':'));
    t.truthy(gw, 'Docker gives the internal network an IPv6 gateway on the bridge');
    const sent = (name: string, port: string, cmd: string) => receivedUpstream(lab, port, () => lab.docker(['exec', name, 'sh', '-c', cmd]));
    const up6 = lab.record.addresses.upstream6;
    const [exfil, control] = await Promise.all([
      sent('n-int', '7779', `ip -6 route add default via ${gw} dev eth0; echo exfil | nc -w2 ${up6} 7779`),
      sent('n-pub', '7780', `echo out | nc -w2 ${up6} 7780`),
    ]);
    if (exfil.includes('exfil')) suite.exposed(t, `an internal network's container sent "${exfil.trim()}" to the upstream`);
    t.regex(control, /out/, 'the upstream listener does receive from a normal network (the control)');
  });

  suite.scenario('npt, a lost state file (issue 21.4 for 24.1): the boot unit fails with every bridge closed, nothing answers at the outside or inside addresses; the printed fix with the outside prefix rebuilds the state, and apply opens only what is published', { fault: 'mv state.json away while npt mode is enabled, then a reboot (translation, routes and forwarding gone); dockerd started by hand anyway; the upstream routes both prefixes here' }, async (t, lab) => {
    const state = toolFile(lab, 'state.json');
    t.teardown(async () => {
      await lab.docker(['rm', '-f', 'nls-secret', 'nls-pub']);
      await lab.upstream(['ip', '-6', 'route', 'del', INSIDE]);
      // the original state back (a rebuilt one knows less: the walk's disable compares with before enable)
      await lab.host(['sh', '-c', `[ -e ${state}.moved ] && mv ${state}.moved ${state}; true`]);
    });
    await ensureNpt(t, lab);
    const original = savedState(lab);
    const outside = original.outsidePrefix!;
    const at = outsideOf(outside);
    await Promise.all([
      docker(lab, [...RUN, '--name', 'nls-secret', 'local/busybox:1', ...SERVE('nlssecret', 81)]),
      docker(lab, [...RUN, '--name', 'nls-pub', '-p', '9101:80', 'local/busybox:1', ...SERVE('nlspub', 80)]),
    ]);
    await ok(lab, ['apply']);
    await lab.upstream(['ip', '-6', 'route', 'replace', INSIDE, 'via', lab.record.addresses.host6]);
    renameSync(state, `${state}.moved`);
    await rebootHost(t, lab, stopDockerd(lab));
    await lab.host(['sh', '-c', `ip -6 route del unreachable ${INSIDE}; ip -6 route del unreachable ${outside}; true`]);
    const boot = await lab.exec(['apply', '--boot']);
    t.is(boot.code, 3, `the boot unit fails (docker.service, which requires it, is held): ${boot.stdout}${boot.stderr}`);
    t.regex(boot.stderr, /state\.json is missing, but daemon\.json runs Docker with IPv6 on and its own IPv6 filter off \(.*npt modes\)/);
    t.regex(boot.stderr, /docker ipv6 recover --rebuild-state \(npt mode: with --outside-prefix P/);
    const rules = `${(await lab.host(['ip6tables-save', '-t', 'filter'])).stdout}${(await lab.host([nftBinary(), 'list', 'table', 'ip6', 'docker-ipv6'])).stdout}`;
    t.regex(rules, nft ? /oifname "br-\*" drop/ : /-A D6-FORWARD -o br-\+ -m comment --comment docker-ipv6 -j DROP/, 'the catch-alls are in place');
    if (nft) await lab.host(['sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding; echo 1 > /proc/sys/net/ipv6/conf/default/forwarding']);
    await dockerBack(t, lab, ['nls-secret', 'nls-pub']);
    const targets = (pubOpen: boolean): Probe[] => [
      { name: 'nls-secret', port: 81, word: 'nlssecret', open: false, at }, { name: 'nls-pub', port: 80, word: 'nlspub', open: pubOpen, at },
      { name: 'nls-secret', port: 81, word: 'nlssecret', open: false }, { name: 'nls-pub', port: 80, word: 'nlspub', open: false },
    ];
    await probeAll(t, suite, lab, targets(false), 'npt, state lost, Docker started by hand');
    t.is((await lab.exec(['apply'])).code, 3, 'docker-ipv6-apply.service refuses too, changing nothing');
    await probeAll(t, suite, lab, targets(false), 'npt, state lost, after apply refused');
    // the printed fix: without the outside prefix it says it needs it (only the lost file knew it), then as printed
    const bare = await lab.exec(['recover', '--rebuild-state', '--dry-run']);
    t.not(bare.code, 0);
    t.regex(bare.stderr, /holds the keys of npt mode \(the ULA fd6e:7074:24::\/64 with Docker's IPv6 filter off\)[^]*docker ipv6 recover --rebuild-state --outside-prefix P/);
    const dry = await lab.exec(['recover', '--rebuild-state', '--outside-prefix', outside, '--dry-run']);
    t.is(dry.code, 0, dry.stderr);
    // (before Docker 27 the pools fit several lengths: the outside prefix's length picks the inside one)
    t.regex(dry.stdout, new RegExp(`prefix fd6e:7074:24::/48 translated to ${outside}, mode npt, uplink eth0`));
    t.false(existsSync(state), 'the dry run wrote nothing');
    await ok(lab, ['recover', '--rebuild-state', '--outside-prefix', outside]);
    const rebuilt = savedState(lab);
    t.like(rebuilt, { prefix: original.prefix, mode: 'npt', outsidePrefix: outside, uplink: original.uplink, routes: original.routes });
    const again = await lab.exec(['apply', '--boot']);
    t.is(again.code, 0, again.stderr);
    await ok(lab, ['apply']);
    await probeAll(t, suite, lab, targets(true), 'npt, after the state was rebuilt');
  });

  if (walk) suite.scenario('npt walk (issue 24.1): egress arrives with the mapped outside source and verify says so; renumbered twice, the same container leaves with and is reached at the new prefix only, no restart; apply puts a flushed translation back; disable removes it exactly', { fault: 'docker ipv6 renumber --outside-prefix NEW, enable --mode npt --outside-prefix NEW2, the inbound translation flushed behind the tool\'s back (ip6tables -t nat -F D6-DNAT / nft flush chain)' }, async (t, lab) => {
    t.teardown(async () => {
      await lab.docker(['rm', '-f', 'walker']);
      await lab.docker(['network', 'rm', 'nwalk']);
      for (const p of [NEW, NEW2]) await lab.upstream(['ip', '-6', 'route', 'del', p]);
    });
    await ensureNpt(t, lab);
    const old = savedState(lab).outsidePrefix!;
    await ok(lab, ['network', 'create', 'nwalk']);
    await docker(lab, ['run', '-d', '--stop-timeout', '1', '--name', 'walker', '--network', 'nwalk', '-p', '9102:80', 'local/busybox:1', ...SERVE('walk', 80)]);
    await ok(lab, ['apply']);
    const inside = await addressOf(lab, 'walker');
    const leavesAs = () => peerSeenUpstream(lab, () => lab.docker(['exec', 'walker', 'sh', '-c', `echo hi | nc -w3 ${lab.record.addresses.internet6} 9000`]));
    const reachedAt = (prefix: string, expect = true) => fromUpstream(lab, outsideOf(prefix)(inside), 80, 'walk', expect);
    t.is(await leavesAs(), outsideOf(old)(inside), 'egress arrives upstream with the container address mapped into the outside prefix');
    t.true(await reachedAt(old), 'the published port answers at the outside address');
    // verify: passes, and its egress-source row is what conntrack saw (the reply direction), mapped
    const v = await lab.exec(['verify', '--json', '--network', 'nwalk'], { timeoutMs: 120_000 });
    const rows = Object.fromEntries((JSON.parse(v.stdout || '{"checks":[]}') as { checks: Array<{ id: string; title: string; status: string; detail: string }> }).checks.map((c) => [c.id, c]));
    t.is(v.code, 0, JSON.stringify(rows, null, 1) + v.stderr);
    t.is(rows['egress-source']?.title, 'source address seen outside (conntrack)');
    const seen = /^(\S+): the container's (\S+) mapped into (\S+) \(NPTv6\)/.exec(rows['egress-source']?.detail ?? '');
    t.truthy(seen, rows['egress-source']?.detail);
    if (seen) t.deepEqual([seen[1], seen[3]], [outsideOf(old)(seen[2]), old], 'the source seen is the verify container mapped into the outside prefix');
    const started = await docker(lab, ['inspect', '-f', '{{.State.StartedAt}}', 'walker']);
    const pid = dockerdPid(lab);
    // renumber, as the dedicated command and as enable again; each prints the route the upstream needs
    let from = old;
    for (const [to, args] of [[NEW, ['renumber', '--outside-prefix', NEW]], [NEW2, ['enable', '--yes', '--mode', 'npt', '--outside-prefix', NEW2]]] as const) {
      const out = await ok(lab, [...args]);
      t.regex(out, /renumbered in \d+ ms/);
      // the renumbering pass asked Docker nothing and left the filter alone: the agent's full pass agrees with it
      t.regex(await ok(lab, ['apply', '--dry-run']), /nothing to change/, `after ${args[0]}: a full pass would change nothing`);
      await routeAsPrinted(t, lab, out, to);
      t.is(await leavesAs(), outsideOf(to)(inside), `after ${args[0]}: egress leaves with ${to}`);
      t.true(await reachedAt(to), `after ${args[0]}: reachable at ${to}`);
      t.false(await reachedAt(from, false), `after ${args[0]}: no longer at ${from} (the upstream still routes it here)`);
      from = to;
    }
    t.is(await docker(lab, ['inspect', '-f', '{{.State.StartedAt}}', 'walker']), started, 'the same container, never restarted');
    t.is(dockerdPid(lab), pid, 'dockerd was not restarted');
    t.is(await addressOf(lab, 'walker'), inside, 'the container address did not change');
    // the inbound translation flushed behind the tool's back: the agent's pass puts it back
    await lab.host(nft ? [nftBinary(), 'flush', 'chain', 'ip6', 'docker-ipv6', 'D6-DNAT'] : ['ip6tables', '-t', 'nat', '-F', 'D6-DNAT']);
    t.false(await reachedAt(NEW2, false), 'the flush took the way in away (the control)');
    t.regex(await ok(lab, ['apply']), /D6-DNAT/);
    t.true(await reachedAt(NEW2), 'apply put the translation back');
    // disable: the translation, the routes and the filter go; IPv6 rules and routes as before enable
    await docker(lab, ['rm', '-f', 'walker']);
    await docker(lab, ['network', 'rm', 'nwalk']);
    await ok(lab, ['disable', '--yes']);
    t.truthy(before, 'the IPv6 firewall and routes from before the npt enable were recorded');
    await waitFor('Docker answering after disable', async () => (await lab.docker(['version'])).code === 0, 30_000);
    t.is(await ipv6Text(lab), before ?? 'not recorded');
  });
}
