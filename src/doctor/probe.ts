// doctor --probe: live checks with short-lived busybox containers (never pulled): AAAA from the embedded DNS, egress to the upstream, a published port.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { RunContext } from '../cli/context';
import type { HostSnapshot } from '../observe/snapshot';
import { run } from '../util/exec';
import { classifyV6, parseCidr6 } from '../model/ip';
import { defaultRoute6, hostGlobalV6 } from './derive';
import type { ProbeResult } from './types';

export const PROBE_IMAGE = 'local/busybox:1';

export interface ProbeOptions { image?: string; target?: string }

function dockerArgv(ctx: RunContext, args: string[]): string[] {
  return ['docker', '-H', ctx.endpoint().host, ...args];
}

async function inContainer(ctx: RunContext, image: string, network: string, name: string, cmd: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await run(dockerArgv(ctx, ['run', '--rm', '--pull', 'never', '--name', name, '--network', network, image, ...cmd]), { timeoutMs: 30_000, okCodes: [1] });
    return { ok: r.code === 0, out: `${r.stdout}${r.stderr}`.trim() };
  } catch (e) {
    return { ok: false, out: (e as Error).message };
  }
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (err?: string) => { s.destroy(); resolve(err); };
    s.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
    s.on('connect', () => done());
    s.on('error', (e) => done(e.message));
  });
}

/** verify's row ids -> doctor's probe ids (issue 4's verify module runs the probes when it can). */
const FROM_VERIFY: Record<string, string> = {
  dns: 'dns.aaaa', egress: 'outside.egress', published: 'ports.published', 'egress-source': 'outside.egress-source',
  'c2c-ping': 'networks.c2c-ping', 'c2c-tcp': 'networks.c2c-tcp', address: 'containers.probe-address', 'host-reach': 'kernel.host-reach',
};

/** verify's rows as doctor probe results; a row verify skipped (egress-source after a failed egress) stays undecided. */
export function fromVerifyRows(rows: Array<{ id: string; status: string; detail: string; fix?: string }>): ProbeResult[] {
  return rows.filter((r) => FROM_VERIFY[r.id]).map((r) => ({ id: FROM_VERIFY[r.id], ok: r.status === 'skip' ? undefined : r.status === 'pass', detail: r.detail, fix: r.fix }));
}

/** The proof engine verify runs, on a temporary network from the saved prefix; undefined when it cannot (no prefix yet). */
async function viaVerify(ctx: RunContext, o: ProbeOptions): Promise<ProbeResult[] | undefined> {
  const { prove } = await import('../prove/prove');
  try {
    return fromVerifyRows((await prove(ctx, { image: o.image, target: o.target })).rows);
  } catch (e) {
    ctx.note(`note: verify could not run (${(e as Error).message}); using doctor's own probes`);
    return undefined;
  }
}

export async function runProbes(ctx: RunContext, snap: HostSnapshot, o: ProbeOptions = {}): Promise<ProbeResult[]> {
  if (snap.daemon.reachable && snap.state?.prefix) {
    const v = await viaVerify(ctx, o);
    if (v) return v;
  }
  return ownProbes(ctx, snap, o);
}

/** The minimal probes, for hosts without a saved prefix (verify needs one for its test network). */
async function ownProbes(ctx: RunContext, snap: HostSnapshot, o: ProbeOptions = {}): Promise<ProbeResult[]> {
  if (!snap.daemon.reachable) {
    return ['dns.aaaa', 'outside.egress', 'ports.published'].map((id) => ({ id, ok: undefined, detail: 'Docker is not reachable: live checks cannot run' }));
  }
  const image = o.image ?? PROBE_IMAGE;
  const has = await run(dockerArgv(ctx, ['image', 'inspect', '--format', '{{.Id}}', image]), { timeoutMs: 15_000, okCodes: [1] }).then((r) => r.code === 0, () => false);
  if (!has) return ['dns.aaaa', 'outside.egress'].map((id) => ({ id, ok: undefined, detail: `the probe image ${image} is not present (doctor never pulls)` }));
  const v6 = snap.networks.filter((n) => n.driver === 'bridge' && n.enableIPv6 && n.ipv6Subnets.length && !n.internal);
  const user = v6.find((n) => n.name !== 'bridge');
  const suffix = randomBytes(3).toString('hex');
  const out: ProbeResult[] = [];

  const dns = async (): Promise<ProbeResult> => {
    if (!user) return { id: 'dns.aaaa', ok: undefined, detail: 'no user network with IPv6 to test the embedded DNS on (the default bridge has none)' };
    const name = `d6probe-dns-${suffix}`;
    const r = await inContainer(ctx, image, user.name, name, ['nslookup', '-type=aaaa', name, '127.0.0.11']);
    const aaaa = /Address:?\s*(?:\d+:\s*)?([0-9a-f:]*:[0-9a-f:]+)/i.exec(r.out.split(/Name:/i)[1] ?? '')?.[1];
    return aaaa
      ? { id: 'dns.aaaa', ok: true, detail: `the embedded DNS on "${user.name}" answers AAAA ${aaaa} for a container name`, target: user.name }
      : { id: 'dns.aaaa', ok: false, detail: `the embedded DNS on "${user.name}" returned no AAAA record for a container name: ${r.out.split('\n').slice(-2).join(' ')}`, target: user.name };
  };
  const egress = async (): Promise<ProbeResult> => {
    const gw = defaultRoute6(snap)?.gateway;
    const target = o.target ?? (gw && classifyV6(parseCidr6(gw)!) !== 'link-local' ? gw : undefined);
    const net = user ?? v6[0];
    if (!target) return { id: 'outside.egress', ok: undefined, detail: 'no global upstream address to test egress against (pass --probe-target ADDRESS)' };
    if (!net) return { id: 'outside.egress', ok: false, detail: 'no network with IPv6 to send a container\'s traffic from' };
    const r = await inContainer(ctx, image, net.name, `d6probe-out-${suffix}`, ['ping6', '-c1', '-W3', target]);
    return r.ok && /1 packets received/.test(r.out)
      ? { id: 'outside.egress', ok: true, detail: `a container on "${net.name}" reaches ${target} over IPv6`, target }
      : { id: 'outside.egress', ok: false, detail: `a container on "${net.name}" cannot reach ${target} over IPv6`, target };
  };
  const port = async (): Promise<ProbeResult> => {
    const addr = hostGlobalV6(snap).find((a) => a.ifname === snap.host.uplink) ?? hostGlobalV6(snap)[0];
    const c = snap.containers.find((x) => x.state === 'running' && x.ports.some((p) => p.publicPort && p.type === 'tcp' && (p.ip === '::' || p.ip === undefined)));
    const p = c?.ports.find((x) => x.publicPort && x.type === 'tcp' && (x.ip === '::' || x.ip === undefined));
    if (!c || !p || !addr) return { id: 'ports.published', ok: undefined, detail: 'no TCP port published on IPv6 (or no host IPv6 address) to test' };
    const err = await tcpConnect(addr.address, p.publicPort!, 3000);
    return err === undefined
      ? { id: 'ports.published', ok: true, detail: `port ${p.publicPort} of "${c.name}" answers on [${addr.address}]`, target: `[${addr.address}]:${p.publicPort}` }
      : { id: 'ports.published', ok: false, detail: `port ${p.publicPort} of "${c.name}" does not answer on [${addr.address}]: ${err}`, target: `[${addr.address}]:${p.publicPort}` };
  };
  out.push(...(await Promise.all([dns(), egress(), port()])));
  return out;
}
