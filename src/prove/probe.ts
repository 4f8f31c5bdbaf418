// Probe containers through the Docker API: create, run bounded commands in them, always remove them.
import { PassThrough } from 'node:stream';
import type { DockerClient } from '../host/docker-api';
import { PreconditionError } from '../errors';
import { isIPv6Address } from '../model/ip';
import { run } from '../util/exec';

export const PROBE_LABEL = 'com.docker-ipv6.probe';
export const VERIFY_NETWORK_LABEL = 'com.docker-ipv6.verify';
/** Probe containers end by themselves after this long even if we die before removing them. */
export const PROBE_LIFETIME_S = 90;

export interface ExecResult { code: number | null; output: string; timedOut: boolean }

export async function requireImage(docker: DockerClient, image: string): Promise<void> {
  try {
    await docker.getImage(image).inspect();
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    throw new PreconditionError(
      `the probe image ${image} is not on this host, and verify never pulls one`,
      `provide a busybox image: docker pull busybox:1 && docker tag busybox:1 ${image}; or without a registry, from Debian's busybox-static: mkdir -p r/bin && cp /bin/busybox r/bin/ && for a in sh sleep ping6 nc nslookup; do ln -s busybox r/bin/$a; done && tar -C r -c . | docker import -c 'ENV PATH=/bin' - ${image}; or pass --image`,
    );
  }
}

export interface ProbeSpec { name: string; image: string; network: string; cmd: string[]; publish?: number }

export async function startProbe(docker: DockerClient, s: ProbeSpec): Promise<string> {
  const port = s.publish ? `${s.publish}/tcp` : undefined;
  const c = await docker.createContainer({
    name: s.name, Image: s.image, Cmd: s.cmd, Labels: { [PROBE_LABEL]: 'true' },
    ...(port ? { ExposedPorts: { [port]: {} } } : {}),
    HostConfig: {
      NetworkMode: s.network,
      ...(port ? { PortBindings: { [port]: [{ HostIp: '::', HostPort: '' }] } } : {}),
    },
  });
  await c.start();
  return c.id;
}

export async function removeProbe(docker: DockerClient, id: string): Promise<void> {
  await docker.getContainer(id).remove({ force: true }).catch((e: { statusCode?: number }) => { if (e.statusCode !== 404) throw e; });
}

/** Removes probe containers and verify networks left behind by a run that was killed. */
export async function sweepLeftovers(docker: DockerClient, olderThanS = PROBE_LIFETIME_S * 2): Promise<number> {
  const cutoff = Date.now() / 1000 - olderThanS;
  const old = await docker.listContainers({ all: true, filters: { label: [PROBE_LABEL] } });
  let n = 0;
  for (const c of old.filter((c) => c.Created < cutoff)) { await removeProbe(docker, c.Id); n++; }
  const nets = await docker.listNetworks({ filters: { label: [VERIFY_NETWORK_LABEL] } });
  for (const net of nets) {
    const created = Date.parse((net as { Created?: string }).Created ?? '') / 1000;
    if (created < cutoff) { await docker.getNetwork(net.Id).remove().catch(() => {}); n++; }
  }
  return n;
}

/** Runs one command in a probe, bounded by timeoutMs on our side whatever the command does. */
export async function execIn(docker: DockerClient, id: string, cmd: string[], timeoutMs = 8_000): Promise<ExecResult> {
  const ex = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  let output = '';
  const sink = new PassThrough();
  sink.setEncoding('utf8').on('data', (d: string) => { output += d; });
  docker.modem.demuxStream(stream, sink, sink);
  const timedOut = await new Promise<boolean>((resolve) => {
    const t = setTimeout(() => { stream.destroy(); resolve(true); }, timeoutMs);
    const done = () => { clearTimeout(t); resolve(false); };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', done);
  });
  const info = await ex.inspect();
  return { code: timedOut || info.Running ? null : info.ExitCode ?? null, output: output.trim(), timedOut };
}

/** What the path-MTU probe saw: the container's MTU, whether a full-size ping got a reply, and Packet Too Big messages. */
export interface PathMtuSeen {
  /** the probe container's interface MTU */
  mtu?: number;
  /** a ping filling that MTU got a reply */
  replied?: boolean;
  /** ICMPv6 Packet Too Big messages the container received during the big ping */
  tooBig?: number;
  /** the path MTU its kernel learned from them (read from the container's routing cache; needs root) */
  learned?: number;
  output: string;
}

/**
 * The shell the probe runs in the container (busybox sh builtins and ping6 only): its MTU, the Packet Too Big counter
 * before and after two pings that fill the MTU exactly (MTU - 40 bytes IPv6 header - 8 ICMPv6 header).
 */
export function pathMtuScript(target: string): string {
  return 'read m < /sys/class/net/eth0/mtu; echo mtu=$m; '
    + 'ptb() { while read k v; do [ "$k" = Icmp6InPktTooBigs ] && echo $v; done < /proc/net/snmp6; }; '
    + `b=$(ptb); ping6 -c2 -W2 -s $((m - 48)) ${target} >/dev/null 2>&1; echo replied=$?; echo toobig=$(( $(ptb) - b ))`;
}

/** Parses the script's output and `ip -6 -j route get` from the container's namespace (pure). */
export function parsePathMtu(output: string, routeJson?: string): PathMtuSeen {
  const num = (k: string) => { const m = new RegExp(`^${k}=(\\d+)$`, 'm').exec(output); return m ? Number(m[1]) : undefined; };
  const seen: PathMtuSeen = { output, mtu: num('mtu'), tooBig: num('toobig') };
  const r = num('replied');
  if (r !== undefined) seen.replied = r === 0;
  try {
    const routes = routeJson ? JSON.parse(routeJson) as Array<{ metrics?: Array<{ mtu?: number }> }> : [];
    const learned = routes[0]?.metrics?.find((x) => typeof x.mtu === 'number')?.mtu;
    if (learned) seen.learned = learned;
  } catch { /* an ip without JSON output: the value stays unknown */ }
  return seen;
}

/**
 * Probes the path MTU from a running probe container to `target`. The value a Packet Too Big taught the container's
 * kernel is read from its routing cache with the host's ip in the container's network namespace (pid from Docker;
 * needs root and a local daemon; without them only "below the container's MTU" is known).
 */
export async function probePathMtu(docker: DockerClient, id: string, target: string): Promise<PathMtuSeen> {
  if (!isIPv6Address(target)) return { output: `${target} is not an IPv6 address` };
  const r = await execIn(docker, id, ['sh', '-c', pathMtuScript(target)], 12_000);
  let route: string | undefined;
  if (/^toobig=[1-9]/m.test(r.output)) {
    const pid = (await docker.getContainer(id).inspect().catch(() => undefined))?.State?.Pid;
    if (pid) route = await run(['nsenter', `--net=/proc/${pid}/ns/net`, 'ip', '-6', '-j', 'route', 'get', target], { timeoutMs: 5_000 }).then((x) => x.stdout, () => undefined);
  }
  return parsePathMtu(r.output, route);
}
