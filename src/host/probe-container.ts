// The probe container adapter: one short-lived, read-only container of our own image in a Docker host's network
// namespace, its output collected and the container removed (also on timeout or failure).
import type { DockerClient } from './docker-api';

export type ProbeRun = { kind: 'ran'; exitCode: number; stdout: string; stderr: string } | { kind: 'no-image' };

/** Docker's multiplexed log stream (no tty): 8-byte frame headers, stream 1 stdout, 2 stderr. */
export function demuxLogs(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for (let i = 0; i + 8 <= buf.length;) {
    const len = buf.readUInt32BE(i + 4);
    const chunk = buf.subarray(i + 8, i + 8 + len);
    (buf[i] === 2 ? err : out).push(chunk);
    i += 8 + len;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/**
 * The host's network namespace (its interfaces, routes, sysctls and firewall), its root folder read-only at
 * /host (files, and /host/proc for its processes), no capability but the two reading the firewall needs
 * (NET_ADMIN; NET_RAW for legacy ip6tables), a read-only image, no new privileges.
 */
export function probeContainerSpec(image: string, args: string[]): Record<string, unknown> {
  return {
    Image: image,
    Cmd: args,
    Env: ['HOME=/root'],
    Labels: { 'com.docker-ipv6.probe': '1' },
    HostConfig: {
      NetworkMode: 'host',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      CapAdd: ['NET_ADMIN', 'NET_RAW'],
      SecurityOpt: ['no-new-privileges'],
      Binds: ['/:/host:ro'],
      Tmpfs: { '/run': 'mode=0755', '/tmp': 'mode=1777' },
    },
  };
}

export async function runProbeContainer(client: DockerClient, image: string, args: string[], timeoutMs: number): Promise<ProbeRun> {
  let c;
  try {
    c = await client.createContainer(probeContainerSpec(image, args) as never);
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return { kind: 'no-image' };
    throw e;
  }
  try {
    await c.start();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`the probe container did not finish within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs); });
    const w = await Promise.race([c.wait(), timeout]).finally(() => clearTimeout(timer)) as { StatusCode: number };
    const logs = await c.logs({ stdout: true, stderr: true, follow: false }) as unknown as Buffer;
    return { kind: 'ran', exitCode: w.StatusCode, ...demuxLogs(Buffer.isBuffer(logs) ? logs : Buffer.from(String(logs))) };
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}
