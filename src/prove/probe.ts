// Probe containers through the Docker API: create, run bounded commands in them, always remove them.
import { PassThrough } from 'node:stream';
import type { DockerClient } from '../host/docker-api';
import { PreconditionError } from '../errors';

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
