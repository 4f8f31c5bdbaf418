// The proof engine verify and doctor --probe share: short-lived probe containers and host checks on one network
// (a temporary one made like network create when none is named), judged into pass/fail rows.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { RunContext } from '../cli/context';
import type { HostAdapters } from '../host/interfaces';
import type { DockerClient } from '../host/docker-api';
import { PreconditionError, UsageError } from '../errors';
import { dockerMasqOf, ruleTokens } from '../model/ip6tables-save';
import { NAT_CHAIN } from '../model/names';
import type { NetState } from '../model/net';
import { createManagedNetwork } from '../subnets/create';
import { agentRunning, readAgentStatus } from '../observe/agent-status';
import { agentNeeded } from '../model/state';
import { run } from '../util/exec';
import { classifyV6, isIPv6Address, parseCidr6 } from '../model/ip';
import { judge, type CheckRow, type Observed, type VerifyFacts } from './judge';
import { execIn, removeProbe, requireImage, startProbe, sweepLeftovers, VERIFY_NETWORK_LABEL, PROBE_LIFETIME_S, type ExecResult } from './probe';

export interface VerifyOptions { network?: string; image?: string; target?: string }

export const DEFAULT_IMAGE = 'local/busybox:1';
const LISTEN = 'nc -ll -p 7000 -e echo d6-ok & nc -ll -p 7001 -e echo d6-ok & ';

async function hostNet(host: HostAdapters): Promise<NetState> {
  const net = await host.openNet();
  try { return await net.read(); } finally { net.close(); }
}

/** IPv6 masquerade sources: Docker's (ip6tables nat table or its nftables table) and our D6-NAT chain's. */
async function masqueradeSources(host: HostAdapters): Promise<string[] | undefined> {
  try {
    // one look: Docker's masquerades and our nat chain (with ip6tables one ip6tables-save, not one per question)
    const facts = await host.firewall.facts();
    if (facts.error || !facts.available) return undefined;
    const docker = dockerMasqOf(facts);
    const own = (facts.tables.nat?.rules ?? []).map(ruleTokens).filter((t) => t[1] === NAT_CHAIN && t.includes('MASQUERADE') && t.includes('-s')).map((t) => t[t.indexOf('-s') + 1]);
    return [...docker.map((m) => m.source), ...own];
  } catch { return undefined; }
}

/** ping from the host: iputils, else busybox (the lab's hosts have only busybox). */
async function hostPing(target: string, ifname?: string): Promise<ExecResult> {
  const dev = target.toLowerCase().startsWith('fe80:') && ifname ? ['-I', ifname] : [];
  for (const argv of [['ping', '-6', '-c1', '-W2', ...dev, target], ['busybox', 'ping6', '-c1', '-W2', ...dev, target]]) {
    try {
      const r = await run(argv, { okCodes: [1, 2], timeoutMs: 8_000 });
      return { code: r.code, output: `${r.stdout}${r.stderr}`.trim(), timedOut: false };
    } catch (e) {
      if (e instanceof PreconditionError) continue;
      return { code: null, output: (e as Error).message, timedOut: true };
    }
  }
  return { code: null, output: 'no ping program on the host (install iputils-ping or busybox)', timedOut: false };
}

/** Connects to [addr]:port and waits for the probe's "d6-ok". */
function tcpProbe(addr: string, port: number, timeoutMs = 3_000): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve) => {
    let data = '';
    const s = connect({ host: addr, port, family: 6 });
    const t = setTimeout(() => { s.destroy(); resolve({ ok: false, error: data ? `got "${data.trim()}"` : 'timed out' }); }, timeoutMs);
    s.setEncoding('utf8').on('data', (d: string) => { data += d; if (data.includes('d6-ok')) { clearTimeout(t); s.destroy(); resolve({ ok: true }); } });
    s.on('error', (e) => { clearTimeout(t); resolve({ ok: false, error: e.message }); });
    s.on('close', () => { clearTimeout(t); resolve({ ok: data.includes('d6-ok'), error: data.includes('d6-ok') ? undefined : 'closed without an answer (the proxy could not reach the container)' }); });
  });
}

async function retry<T>(n: number, fn: () => Promise<T>, good: (v: T) => boolean): Promise<T> {
  let v = await fn();
  for (let i = 1; i < n && !good(v); i++) { await new Promise((r) => setTimeout(r, 500)); v = await fn(); }
  return v;
}

async function probe(docker: DockerClient, network: string, image: string, facts: VerifyFacts): Promise<Observed> {
  const tag = randomBytes(3).toString('hex');
  const names = { a: `d6-probe-${tag}-a`, b: `d6-probe-${tag}-b` };
  const ids: string[] = [];
  const o: Observed = {};
  try {
    ids.push(await startProbe(docker, { name: names.b, image, network, cmd: ['sh', '-c', `${LISTEN}sleep ${PROBE_LIFETIME_S}`], publish: 7001 }));
    ids.push(await startProbe(docker, { name: names.a, image, network, cmd: ['sleep', String(PROBE_LIFETIME_S)] }));
    const [b, a] = await Promise.all(ids.map((id) => docker.getContainer(id).inspect()));
    o.addressA = a.NetworkSettings.Networks[network]?.GlobalIPv6Address || undefined;
    o.addressB = b.NetworkSettings.Networks[network]?.GlobalIPv6Address || undefined;
    const bound = b.NetworkSettings.Ports?.['7001/tcp']?.find((p) => p.HostPort)?.HostPort;
    const a1 = ids[1];
    if (o.addressA) {
      o.dns = await execIn(docker, a1, ['nslookup', names.b]);
      o.ping = await execIn(docker, a1, ['ping6', '-c1', '-W2', names.b]);
      if (o.addressB) o.tcp = await retry(4, () => execIn(docker, a1, ['nc', '-w2', o.addressB!, '7000']), (r) => r.output.includes('d6-ok'));
      if (facts.target) o.egress = await retry(2, () => execIn(docker, a1, ['ping6', '-c1', '-W2', facts.target!]), (r) => r.code === 0);
    }
    if (facts.hostAddress) {
      o.published = bound ? await retry(4, () => tcpProbe(facts.hostAddress!, Number(bound)), (r) => r.ok).then((r) => ({ port: Number(bound), ...r })) : { ok: false, error: 'Docker bound no host port for [::]:7001' };
    }
    return o;
  } finally {
    await Promise.all(ids.map((id) => removeProbe(docker, id)));
  }
}

async function gatherFacts(ctx: RunContext, docker: DockerClient, network: string, target?: string): Promise<VerifyFacts> {
  const [net, state, forwarding, masq] = await Promise.all([
    hostNet(ctx.host), ctx.host.state.read().catch(() => undefined), ctx.host.sysctl.read('net.ipv6.conf.all.forwarding'), masqueradeSources(ctx.host),
  ]);
  // the name goes into the API path: encoded (a name may hold spaces or control characters)
  const info = await docker.getNetwork(encodeURIComponent(network)).inspect().catch((e: { statusCode?: number }) => {
    if (e.statusCode === 404) throw new UsageError(`no network named ${network}`, 'list them: docker ipv6 network ls');
    throw e;
  });
  const dr = net.routes.find((r) => r.family === 6 && r.dst === '::/0' && r.table === 254);
  const uplink = ctx.globals.uplink ?? dr?.ifname ?? state?.uplink;
  const hostAddress = net.addresses.find((a) => a.family === 6 && a.ifname === uplink && a.scope === 0 && !a.flags.includes('tentative'))?.address;
  let targetWhy = '';
  let tgt = target;
  if (!tgt) {
    if (!dr?.gateway) targetWhy = 'no target: the host has no IPv6 default gateway; pass --target';
    else if (classifyV6(parseCidr6(dr.gateway)!) === 'link-local') targetWhy = `the default target, the gateway ${dr.gateway}, is link-local and containers cannot reach it: pass --target with a global address`;
    else tgt = dr.gateway;
  }
  return {
    network: { name: network, enableIPv6: !!info.EnableIPv6, ipv6Only: (info as { EnableIPv4?: boolean }).EnableIPv4 === false, subnets6: (info.IPAM?.Config ?? []).map((c) => c.Subnet ?? '').filter((s) => s.includes(':')) },
    mode: state?.mode, prefix: state?.prefix, uplink, hostAddress,
    defaultRoute: dr ? { gateway: dr.gateway, ifname: dr.ifname } : undefined,
    forwarding, masqueraded: masq, proxies: net.proxies.map((p) => p.address),
    target: tgt, targetWhy,
  };
}

export interface Proof { network: string; temporary: boolean; ipv6Only: boolean; target?: string; mode?: string; rows: CheckRow[]; ok: boolean }

/** Proves IPv6 on one network (a temporary one when none is named) and judges it; the test network is always removed. */
export async function prove(ctx: RunContext, o: VerifyOptions): Promise<Proof> {
  ctx.requireLocalDaemon('verify IPv6 on this host');
  const image = o.image ?? DEFAULT_IMAGE;
  if (o.target && !isIPv6Address(o.target) && !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(o.target)) throw new UsageError(`--target ${o.target} is not an IPv6 address or a host name`);
  const docker = await ctx.host.docker.connect();
  await requireImage(docker, image);
  const swept = await sweepLeftovers(docker);
  if (swept) ctx.note(`removed ${swept} probe container(s)/network(s) left behind by an earlier run`);
  let network = o.network;
  let temp: string | undefined;
  try {
    if (!network) {
      temp = `d6-verify-${randomBytes(3).toString('hex')}`;
      const state = await ctx.host.state.read().catch(() => undefined);
      if (!state?.prefix) throw new PreconditionError('no saved IPv6 prefix to make a test network from', 'run docker ipv6 enable first, or name a network to test with --network');
      // read-only: the test network gets from docker-ipv6 what any new network gets, from the agent if it runs
      await createManagedNetwork(ctx, docker, temp, {}, { record: false, extraLabels: { [VERIFY_NETWORK_LABEL]: 'true' } });
      if (agentNeeded(state) && !agentRunning(await readAgentStatus(ctx.paths.stateDir))) {
        ctx.note(`note: the docker-ipv6 agent is not running (${state.mode} mode) and verify changes nothing on the host: the test network gets no rules or NDP proxy entries of ours, as any network made now would not (docker ipv6 doctor says how to run the agent)`);
      }
      network = temp;
    }
    const facts = await gatherFacts(ctx, docker, network, o.target);
    const [hostReach, observed] = await Promise.all([
      facts.target ? hostPing(facts.target, facts.uplink) : Promise.resolve(undefined),
      probe(docker, network, image, facts),
    ]);
    const rows = judge(facts, { ...observed, hostReach });
    // a skipped row depends on a failed one: the failure decides the exit, not the skip
    return { network, temporary: !!temp, ipv6Only: !!facts.network.ipv6Only, target: facts.target, mode: facts.mode, rows, ok: rows.every((r) => r.status !== 'fail') };
  } finally {
    if (temp) await docker.getNetwork(temp).remove().catch((e: Error) => ctx.note(`warning: could not remove the test network ${temp}: ${e.message}`));
  }
}
