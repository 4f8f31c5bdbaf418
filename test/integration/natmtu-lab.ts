// Shared by the NAT-source / MTU lab tests (issue 24, items 2 and 3): a lab whose uplink carries 1420 bytes (both
// ends, as a WireGuard or PPPoE link), a second address on the host to choose as the NAT66 source, and beyond the
// upstream router a link of MTU 1280 to a far host (upstream -1280- mid -1500- far, so neither TCP end clamps its MSS
// to 1280 and only Packet Too Big from the upstream makes big transfers work). Listeners run in the upstream and far
// namespaces and report which source address arrived and how many bytes.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ToolState } from '../../src/model/state';
import type { ExecutionContext } from 'ava';
import { inNetns, netnsPath } from '../../src/lab/topology';
import { labExecEnv } from '../../src/lab/env';
import { capture, CLI, withLab, withoutNode, type Lab, type LabOptions } from '../helpers/lab';
import { docker, has, runDoctor, sh, type Report } from './doctor-lab';

export const UPLINK_MTU = 1420;
/** the host's second address on eth0: the NAT66 source the tests choose */
export const CHOSEN = '2001:db8:1::99';
export const PRIMARY = '2001:db8:1::2';
export const FAR = '2001:db8:3::2';
/** what `docker ipv6 lab` gives the upstream: the stand-in internet host */
export const INTERNET = '2001:db8:ffff::100';

export interface NatLab {
  lab: Lab; mid: string; far: string;
  /** logs how long the step since the last call took (the file's wall time is reported per step) */
  lap(what: string): void;
}

async function ip(ns: string, ...args: string[]): Promise<void> {
  const r = await capture(['ip', '-n', ns, ...args]);
  if (r.code !== 0) throw new Error(`ip -n ${ns} ${args.join(' ')}: ${r.stderr}`);
}

async function nsSysctl(ns: string, ...settings: string[]): Promise<void> {
  const r = await capture(inNetns(ns, ['busybox', 'sysctl', '-q', '-w', ...settings]));
  if (r.code !== 0) throw new Error(`sysctl in ${ns}: ${r.stderr}`);
}

/** The lab, its uplink lowered, the chosen address added, and the mid and far namespaces (removed at test end). */
export async function withNatLab<T>(t: ExecutionContext, opts: LabOptions, fn: (n: NatLab) => Promise<T>): Promise<T> {
  return withLab(t, opts, async (lab) => {
    const { upstream: up, host } = lab.record.namespaces;
    const mid = `${lab.name}-mid`;
    const far = `${lab.name}-far`;
    t.teardown(async () => { for (const ns of [mid, far]) await capture(['ip', 'netns', 'del', ns]); });
    await ip(host, 'link', 'set', 'eth0', 'mtu', String(UPLINK_MTU));
    await ip(up, 'link', 'set', 'host0', 'mtu', String(UPLINK_MTU));
    await ip(host, 'addr', 'add', `${CHOSEN}/64`, 'dev', 'eth0', 'nodad');
    // the kernel's own choice (a masquerade's) must be another address than the chosen one, or a test could not
    // tell them apart: among equals it takes the newest, so the primary address is added again after the chosen one
    await ip(host, 'addr', 'del', `${PRIMARY}/64`, 'dev', 'eth0');
    await ip(host, 'addr', 'add', `${PRIMARY}/64`, 'dev', 'eth0', 'nodad');
    for (const ns of [mid, far]) { const r = await capture(['ip', 'netns', 'add', ns]); if (r.code !== 0) throw new Error(r.stderr); }
    await ip(up, 'link', 'add', 'mtu0', 'mtu', '1280', 'type', 'veth', 'peer', 'name', 'up0', 'mtu', '1280', 'netns', mid);
    await ip(mid, 'link', 'add', 'far0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', far);
    for (const ns of [mid, far]) await nsSysctl(ns, 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.forwarding=1');
    await nsSysctl(up, 'net.ipv6.conf.mtu0.accept_dad=0');
    await ip(up, 'addr', 'add', '2001:db8:2::1/64', 'dev', 'mtu0', 'nodad');
    await ip(mid, 'addr', 'add', '2001:db8:2::2/64', 'dev', 'up0', 'nodad');
    await ip(mid, 'addr', 'add', '2001:db8:3::1/64', 'dev', 'far0', 'nodad');
    await ip(far, 'addr', 'add', `${FAR}/64`, 'dev', 'eth0', 'nodad');
    await ip(up, 'link', 'set', 'mtu0', 'up');
    for (const l of ['lo', 'up0', 'far0']) await ip(mid, 'link', 'set', l, 'up');
    for (const l of ['lo', 'eth0']) await ip(far, 'link', 'set', l, 'up');
    await ip(up, '-6', 'route', 'add', '2001:db8:3::/64', 'via', '2001:db8:2::2');
    await ip(mid, '-6', 'route', 'add', 'default', 'via', '2001:db8:2::1');
    await ip(far, '-6', 'route', 'add', 'default', 'via', '2001:db8:3::1');
    let t0 = Date.now();
    const lap = (what: string) => { t.log(`${what}: ${Date.now() - t0} ms`); t0 = Date.now(); };
    return fn({ lab, mid, far, lap });
  });
}

export interface Arrival { from: string; bytes: number; /** the first bytes, as text */ head: string }

/**
 * A TCP listener in namespace `ns` on [addr]:port for one connection: resolves with the peer's address and the bytes
 * it sent once it closes, or with what arrived so far when `timeoutMs` passes (a transfer that hung).
 */
export async function listenOnce(ns: string, addr: string, port: number, timeoutMs: number): Promise<() => Promise<Arrival | undefined>> {
  const script = `const s=require('net').createServer((c)=>{let n=0;let h='';const done=()=>{console.log(JSON.stringify({from:c.remoteAddress,bytes:n,head:h}));process.exit(0)};`
    + `c.on('data',(d)=>{n+=d.length;if(h.length<64)h+=d.toString('latin1').slice(0,64)});c.on('end',()=>{c.end('ok\\n');done()});c.on('error',done);setTimeout(done,${timeoutMs}).unref()});`
    + `s.listen(${port},'${addr}',()=>console.log('listening'));setTimeout(()=>process.exit(3),${timeoutMs + 15_000}).unref()`;
  const child = spawn('nsenter', [`--net=${netnsPath(ns)}`, '--', process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; if (out.includes('listening')) resolve(); });
    child.on('close', (code) => reject(new Error(`listener in ${ns} exited ${code} before listening: ${err}`)));
  });
  await ready;
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return async () => {
    await closed;
    const line = out.split('\n').find((l) => l.startsWith('{'));
    return line ? JSON.parse(line) as Arrival : undefined;
  };
}

/**
 * A container command cut off after `seconds`: busybox timeout signals its own parent, and as the container's PID 1
 * that would ignore SIGTERM, so an outer shell stays PID 1 and the command runs beneath it.
 */
function bounded(seconds: number, script: string): string[] {
  return ['sh', '-c', `timeout ${seconds} sh -c '${script}'; true`];
}

/** What the upstream sees when a container on `network` connects to the stand-in internet host: its source address, and the MTU the container says it has. */
export async function seenUpstream(n: NatLab, network: string, port = 9001): Promise<{ from?: string; mtu?: number }> {
  const result = await listenOnce(n.lab.record.namespaces.upstream, INTERNET, port, 10_000);
  await n.lab.docker(['run', '--rm', '--network', network, n.lab.record.image, ...bounded(8, `read m < /sys/class/net/eth0/mtu; echo mtu=$m | nc -w3 ${INTERNET} ${port}`)]);
  const got = await result();
  const mtu = /^mtu=(\d+)/.exec(got?.head ?? '')?.[1];
  return { from: got?.from, mtu: mtu ? Number(mtu) : undefined };
}

/** The source address the upstream sees from a container on `network`. */
export async function sourceSeen(n: NatLab, network: string, port = 9001): Promise<string | undefined> {
  return (await seenUpstream(n, network, port)).from;
}

/**
 * 100 kB from a container on `network` to the far host, across the 1280 link: the container's first full-size
 * segments are dropped there and only an ICMPv6 Packet Too Big that reaches the container lets the rest through.
 * `within` bounds the whole transfer: a PMTU black hole stalls it.
 */
export async function transfer(n: NatLab, network: string, within = 20, port = 9002): Promise<Arrival | undefined> {
  const result = await listenOnce(n.far, FAR, port, within * 1000);
  await n.lab.docker(['run', '--rm', '--network', network, n.lab.record.image, ...bounded(within, `head -c 100000 /dev/zero | nc -w5 ${FAR} ${port}`)], { timeoutMs: (within + 30) * 1000 });
  return result();
}

export const doctor = async (lab: Lab, args: string[] = []): Promise<Report> => (await runDoctor(lab, args, { timeoutMs: 120_000 })).report;

export function daemonJson(lab: Lab): string {
  return readFileSync(lab.record.dockerd.configFile, 'utf8');
}

/** enable with a source that is not the host's: refused (exit 2) with the addresses to choose from, daemon.json untouched. */
export async function refusesForeignSource(t: ExecutionContext, lab: Lab): Promise<void> {
  const before = daemonJson(lab);
  const r = await lab.exec(['enable', '--yes', '--nat-source', '2001:db8:1::5']);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /--nat-source 2001:db8:1::5 is not one of this host's global IPv6 addresses; choose from: .*2001:db8:1::99 \(eth0\)/);
  t.regex(r.stderr, /2001:db8:1::2 \(eth0\)/);
  t.is(daemonJson(lab), before, 'nothing changed');
}

/**
 * enable --nat-source CHOSEN on the lowered uplink: the default bridge gets the uplink's MTU, network create's
 * network the MTU and (Docker 25+) Docker's own host_ipv6; containers on both leave with CHOSEN, as the upstream sees.
 */
export async function enableWithSource(t: ExecutionContext, n: NatLab, o: { dockerHasHostIpv6: boolean; mtuSetBefore?: boolean }): Promise<void> {
  const { lab } = n;
  const dockerHasHostIpv6 = o.dockerHasHostIpv6;
  const en = await lab.exec(['enable', '--yes', '--nat-source', CHOSEN]);
  t.is(en.code, 0, en.stderr);
  t.true(en.stdout.includes(`Container egress leaves with ${CHOSEN}:`), en.stdout);
  // says so when it lowers the MTU (doctor --fix may have set it already)
  t.is(/MTU 1420, the uplink eth0's/.test(en.stdout), !o.mtuSetBefore, en.stdout);
  t.is(JSON.parse(daemonJson(lab)).mtu, UPLINK_MTU);
  const made = await lab.exec(['network', 'create', 'n1']);
  t.is(made.code, 0, made.stderr);
  const opts = JSON.parse(await docker(lab, ['network', 'inspect', 'n1', '-f', '{{json .Options}}'])) as Record<string, string>;
  t.is(opts['com.docker.network.driver.mtu'], String(UPLINK_MTU));
  t.is(opts['com.docker.network.host_ipv6'] ?? 'absent', dockerHasHostIpv6 ? CHOSEN : 'absent', 'Docker\'s own option where the daemon honours it (25.0+)');
  t.deepEqual(await seenUpstream(n, 'bridge'), { from: CHOSEN, mtu: UPLINK_MTU }, 'the default bridge leaves with the chosen source, its containers with the uplink\'s MTU');
  t.deepEqual(await seenUpstream(n, 'n1', 9003), { from: CHOSEN, mtu: UPLINK_MTU }, 'and so does the network network create made');
}

/**
 * state.json lost after enable --nat-source (a state that is gone means nothing of ours is wanted: the next apply or
 * agent pass would take our SNAT away): recover --rebuild-state reads nat mode, the MTU and the chosen source back
 * from daemon.json and our SNAT rule, and apply keeps the default bridge's egress on the chosen source.
 */
export async function stateLostThenRebuilt(t: ExecutionContext, n: NatLab): Promise<void> {
  const { lab } = n;
  const state = join(lab.record.toolRoot, 'var/lib/docker-ipv6/state.json');
  const saved = JSON.parse(readFileSync(state, 'utf8')) as ToolState;
  renameSync(state, `${state}.lost`);
  t.teardown(() => { if (!existsSync(state) && existsSync(`${state}.lost`)) renameSync(`${state}.lost`, state); });
  const dry = await lab.exec(['recover', '--rebuild-state', '--dry-run']);
  t.is(dry.code, 0, dry.stderr);
  t.regex(dry.stdout, new RegExp(`prefix ${saved.prefix}, mode nat, uplink eth0`));
  t.regex(dry.stdout, new RegExp(`the default bridge's MTU ${UPLINK_MTU} \\("mtu" in `));
  t.regex(dry.stdout, new RegExp(`the chosen NAT66 source ${CHOSEN} our SNAT rule names is recorded again`));
  t.false(existsSync(state), 'the dry run wrote nothing');
  const r = await lab.exec(['recover', '--rebuild-state']);
  t.is(r.code, 0, r.stderr);
  t.like(JSON.parse(readFileSync(state, 'utf8')) as ToolState, { mode: 'nat', prefix: saved.prefix, natSource: CHOSEN, enabled: { mtu: UPLINK_MTU, natByUs: false, filterByUs: false } });
  const ap = await lab.exec(['apply']);
  t.is(ap.code, 0, ap.stderr);
  t.is(await sourceSeen(n, 'bridge'), CHOSEN, 'the default bridge leaves with the chosen source');
  rmSync(`${state}.lost`);
}

/** 100 kB across the 1280 link from a container completes (Packet Too Big reaches it), from a source `from`. */
export async function bigTransferCompletes(t: ExecutionContext, n: NatLab, network: string, from: RegExp): Promise<void> {
  const got = await transfer(n, network);
  t.is(got?.bytes, 100_000, `100 kB arrived across the 1280 link: ${JSON.stringify(got)}`);
  t.regex(got?.from ?? '', from);
}

/**
 * The same transfer with Packet Too Big dropped on the host: it stalls. This is what proves the transfer above needs
 * the PTB to get through (it is not small enough to pass anyway).
 */
export async function blackHoleStalls(t: ExecutionContext, n: NatLab, network: string): Promise<void> {
  // both ways a PTB reaches the container: forwarded from the router before the 1280 link, and sent by the host
  // itself once it has learned the path's MTU (a route exception for the far host; flushed first, for the same reason)
  const drops = ['FORWARD', 'OUTPUT'].map((chain) => [chain, '-p', 'ipv6-icmp', '--icmpv6-type', 'packet-too-big', '-j', 'DROP']);
  for (const d of drops) await sh(n.lab, ['ip6tables', '-I', ...d]);
  await sh(n.lab, ['ip', '-6', 'route', 'flush', 'cache']);
  try {
    // a working transfer takes well under a second here; the stalled one never completes (no PMTU probing by default)
    const got = await transfer(n, network, 5, 9004);
    t.true((got?.bytes ?? 0) < 100_000, `with Packet Too Big dropped the transfer stalls: ${JSON.stringify(got)}`);
  } finally {
    for (const d of drops) await sh(n.lab, ['ip6tables', '-D', ...d]);
  }
}

/**
 * dockerd restarts (Docker puts its masquerade of the default bridge first again): on ip6tables doctor warns that the
 * bridge leaves with the kernel's choice and prints docker ipv6 apply; run as printed, the chosen source is back.
 */
export async function restartThenApply(t: ExecutionContext, n: NatLab, shadows: boolean): Promise<void> {
  const { lab } = n;
  const r = await lab.lab(['restart']);
  t.is(r.code, 0, r.stderr);
  const after = await doctor(lab);
  if (shadows) {
    const f = has(t, after, 'outside.nat-source', 'warn', /network "bridge" .* leaves with the kernel's choice \(a masquerade decides first\), not the chosen 2001:db8:1::99/);
    t.is(f.fix, 'docker ipv6 apply');
    t.is(await sourceSeen(n, 'bridge'), PRIMARY, 'before the fix Docker\'s masquerade decides: the kernel\'s choice');
    const fix = await lab.exec(f.fix.split(' ').slice(2));
    t.is(fix.code, 0, fix.stderr);
    t.regex(fix.stdout, /the jump moves above it/);
    t.deepEqual((await doctor(lab)).findings.filter((x) => x.id === 'outside.nat-source').map((x) => x.status), ['ok']);
  } else {
    t.deepEqual(after.findings.filter((f) => f.id === 'outside.nat-source').map((f) => f.status), ['ok'], 'our nftables chain runs before Docker\'s: nothing to move');
  }
  t.is(await sourceSeen(n, 'bridge'), CHOSEN);
}

/** doctor --probe against the far host: the 1280 path MTU, learned from a Packet Too Big in a probe container. */
export async function probeFindsPathMtu(t: ExecutionContext, lab: Lab): Promise<void> {
  const r = await doctor(lab, ['--probe', '--probe-target', FAR]);
  const f = r.findings.find((x) => x.id === 'outside.path-mtu');
  t.is(f?.status, 'ok', JSON.stringify(f));
  t.regex(f?.detail ?? '', new RegExp(`the path MTU to ${FAR} is 1280, below the container's ${UPLINK_MTU}: a Packet Too Big came back`));
  t.deepEqual(r.findings.filter((x) => x.id === 'networks.mtu').map((x) => x.status), ['ok']);
}

/** The chosen address leaves the host: doctor fails with the command that picks another; run as printed, egress follows. */
export async function sourceGoneThenFixed(t: ExecutionContext, n: NatLab): Promise<void> {
  const { lab } = n;
  await sh(lab, ['ip', '-6', 'addr', 'del', `${CHOSEN}/64`, 'dev', 'eth0']);
  const f = has(t, await doctor(lab), 'outside.nat-source', 'fail', /the chosen NAT66 source 2001:db8:1::99 is no longer an address of this host/);
  const cmd = f.fix.split(' (')[0];
  t.is(cmd, `docker ipv6 enable --nat-source ${PRIMARY}`);
  const r = await lab.exec([...cmd.split(' ').slice(2), '--yes']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual((await doctor(lab)).findings.filter((x) => x.id === 'outside.nat-source').map((x) => x.status), ['ok']);
  t.is(await sourceSeen(n, 'bridge'), PRIMARY);
  t.is(await sourceSeen(n, 'n1', 9003), PRIMARY, 'our rule decides before Docker\'s own SNAT to the address that went');
}

/** disable puts daemon.json back byte for byte and removes our nat chain wherever it lives. */
export async function disableRestores(t: ExecutionContext, lab: Lab, before: string): Promise<void> {
  const r = await lab.exec(['disable', '--yes']);
  t.is(r.code, 0, r.stderr);
  t.is(daemonJson(lab), before, 'daemon.json byte for byte');
  const nat = await sh(lab, ['sh', '-c', lab.record.firewallBackend === 'nftables' ? 'nft list table ip6 docker-ipv6 2>&1 || true' : 'ip6tables-save -t nat']);
  t.false(nat.includes('D6-NAT'), nat);
}

/** routed mode with the upstream's route: the same 100 kB transfer across the 1280 link, from the container's own address. */
export async function routedTransfer(t: ExecutionContext, n: NatLab): Promise<void> {
  const { lab } = n;
  const en = await lab.exec(['enable', '--yes', '--prefix', '2001:db8:100::/48', '--mode', 'routed']);
  t.is(en.code, 0, en.stderr);
  const r = await capture(inNetns(lab.record.namespaces.upstream, ['ip', '-6', 'route', 'replace', '2001:db8:100::/48', 'via', PRIMARY]));
  t.is(r.code, 0, r.stderr);
  await bigTransferCompletes(t, n, 'bridge', /^2001:db8:100::/);
}

/** A printed fix run as printed: a shell in the lab host with the environment `lab exec` gives (docker ipv6 reaches the lab). */
export async function runPrinted(lab: Lab, fix: string): Promise<void> {
  const r = await capture(inNetns(lab.record.namespaces.host, ['sh', '-ec', fix]), { env: withoutNode(labExecEnv(lab.record, process.env, CLI)) });
  if (r.code !== 0) throw new Error(`${fix} exited ${r.code}: ${r.stderr}`);
}

/** A network made by plain docker network create keeps Docker's 1500: doctor warns, and its re-create command fixes it. */
export async function plainNetworkMtuFixed(t: ExecutionContext, lab: Lab): Promise<void> {
  await docker(lab, ['network', 'create', '--ipv6', '--subnet', 'fd00:77::/64', 'plain']);
  const f = has(t, await doctor(lab), 'networks.mtu', 'warn', /network "plain" gives containers MTU 1500, above the uplink eth0's 1420/);
  t.regex(f.fix, /^docker network rm plain && docker ipv6 network create --subnet \S+ --subnet fd00:77::\/64 --opt com\.docker\.network\.driver\.mtu=1420 plain$/);
  await runPrinted(lab, f.fix);
  t.is(JSON.parse(await docker(lab, ['network', 'inspect', 'plain', '-f', '{{json .Options}}']))['com.docker.network.driver.mtu'], '1420');
  t.false((await doctor(lab)).findings.some((x) => x.id === 'networks.mtu' && x.status !== 'ok'));
  await docker(lab, ['network', 'rm', 'plain']);
}

/**
 * A container interface above the uplink's MTU on a network that is right (a container started before the MTU was
 * lowered; the lab's dockerd keeps no container across its restart, so the host end of its veth is raised by hand):
 * doctor warns with the restart command, and run as printed the container comes back with the network's MTU.
 */
export async function containerMtuFixed(t: ExecutionContext, lab: Lab, network: string): Promise<void> {
  await docker(lab, ['run', '-d', '--name', 'old-mtu', '--network', network, lab.record.image, 'sleep', '600']);
  const peer = await docker(lab, ['exec', 'old-mtu', 'cat', '/sys/class/net/eth0/iflink']);
  const veth = (await sh(lab, ['ip', '-o', 'link', 'show'])).split('\n').find((l) => l.startsWith(`${peer}: `))?.split(': ')[1].split('@')[0];
  t.truthy(veth, `the host end of the container's interface (ifindex ${peer})`);
  await sh(lab, ['ip', 'link', 'set', 'dev', veth!, 'mtu', '1500']);
  const f = has(t, await doctor(lab), 'containers.mtu', 'warn', new RegExp(`1 container interface\\(s\\) on network "${network}" have MTU 1500, above the uplink eth0's ${UPLINK_MTU}`));
  t.is(f.fix, `docker restart $(docker ps -q --filter network=${network})`);
  await runPrinted(lab, f.fix);
  t.false((await doctor(lab)).findings.some((x) => x.id === 'containers.mtu'), 'after the restart its interface has the network\'s MTU');
  await docker(lab, ['rm', '-f', 'old-mtu']);
}

/** Before enable, on the 1420 uplink: doctor warns about the default bridge's 1500 and --fix sets "mtu" (Docker restarted). */
export async function bridgeMtuBeforeEnable(t: ExecutionContext, lab: Lab): Promise<void> {
  const f = has(t, await doctor(lab), 'networks.mtu', 'warn', /the default bridge gives containers MTU 1500, above the uplink eth0's 1420/);
  t.regex(f.fix, /^docker ipv6 doctor --fix \(sets "mtu": 1420 in \S+daemon\.json and restarts dockerd\)$/);
  const fixed = await lab.exec(['doctor', '--fix', '--yes', '--json'], { timeoutMs: 120_000 });
  t.true(JSON.parse(fixed.stdout).fixed.some((x: { id: string }) => x.id === 'networks.mtu'), fixed.stdout);
  t.is(JSON.parse(daemonJson(lab)).mtu, UPLINK_MTU);
}
