// `docker-ipv6 host-facts`: what runs inside the probe container on a Docker host. It reads that host's side
// (daemon.json, kernel, firewall, state, the agent's status file, and doctor's facts with --doctor) from the
// host's network namespace and its root folder mounted read-only, and prints one JSON report. It changes nothing.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RunContext } from '../cli/context';
import { resolveGlobals } from '../cli/globals';
import { completeExtraFacts, gatherExtraFacts } from '../doctor/extra-facts';
import { agentRunning, readAgentStatus } from '../observe/agent-status';
import { flagValue, type DockerdProcess } from '../daemon/keys';
import { observeLocalSide, type HostSnapshot } from '../observe/snapshot';
import { PROBE_FORMAT, type ProbeReport } from '../model/probe';

export interface HostFactsOptions { hostMount: string; nodeRoot: string; dataRoot?: string; firewallBackend?: 'iptables' | 'nftables'; doctor: boolean }

const under = (mount: string, p: string) => join(mount, p);

/** The daemon the reader talked to, among the host's dockerd processes: the one with its data-root (several run on a lab machine). */
export function pickDockerd(procs: readonly DockerdProcess[], dataRoot: string | undefined): DockerdProcess | undefined {
  const mine = dataRoot ? procs.filter((p) => (flagValue(p.argv, 'data-root') ?? '/var/lib/docker') === dataRoot) : [];
  if (mine.length === 1) return mine[0];
  return procs.length === 1 ? procs[0] : undefined;
}

/** A lab host (docker ipv6 lab) keeps docker-ipv6's files under its tool root, recorded in lab.json beside its daemon.json. */
function labRoot(mount: string, hostConfig: string): string | undefined {
  try {
    const rec = JSON.parse(readFileSync(under(mount, join(dirname(hostConfig), 'lab.json')), 'utf8')) as { toolRoot?: unknown; dockerd?: { configFile?: unknown } };
    return rec.dockerd?.configFile === hostConfig && typeof rec.toolRoot === 'string' && rec.toolRoot.startsWith('/') ? rec.toolRoot : undefined;
  } catch {
    return undefined;
  }
}

export async function hostFacts(base: RunContext, o: HostFactsOptions): Promise<ProbeReport> {
  const procRoot = under(o.hostMount, '/proc');
  // the processes of the host, through its /proc: which dockerd we were asked about, and which daemon.json it reads
  const finder = new RunContext(resolveGlobals({ root: o.hostMount }, {}), { hosts: [], debug: false, tls: false, tlsVerify: false }, {}, base.stdout, base.stderr)
    .withHostOptions({ procRoot });
  const dockerd = pickDockerd(await finder.host.dockerd.processes().catch(() => []), o.dataRoot);
  const hostConfig = (dockerd && flagValue(dockerd.argv, 'config-file')) ?? '/etc/docker/daemon.json';
  const configFrom = dockerd ? (flagValue(dockerd.argv, 'config-file') ? `--config-file of dockerd pid ${dockerd.pid}` : `dockerd pid ${dockerd.pid}, its default`) : 'no dockerd found: Docker\'s default';
  const root = o.nodeRoot !== '/' ? o.nodeRoot : labRoot(o.hostMount, hostConfig) ?? '/';
  const ctx = new RunContext(resolveGlobals({ root: under(o.hostMount, root), configFile: under(o.hostMount, hostConfig) }, {}), { hosts: [], debug: false, tls: false, tlsVerify: false }, {}, base.stdout, base.stderr)
    .withHostOptions({ procRoot, firewallBackend: o.firewallBackend });
  const side = await observeLocalSide(ctx, { keepStateError: true, dockerdProcess: false });
  const shown = { ...side, dockerd, dockerdRunning: dockerd !== undefined, daemonConfig: { ...side.daemonConfig, path: hostConfig }, stateRefused: side.stateError !== undefined };
  let extra: ProbeReport['extra'];
  if (o.doctor) {
    const e0 = await gatherExtraFacts(ctx);
    // the reader's Docker answered (the probe runs through it): no dockerd --version is needed, and no socket is ours to stat
    const snapLike = { ...shown, endpoint: { host: 'probe', source: 'probe', local: true }, daemon: { reachable: true, version: 'probe' }, networks: [], containers: [] } as unknown as HostSnapshot;
    extra = { ...(await completeExtraFacts(ctx, snapLike, { ...e0, socket: undefined }, procRoot)) } as unknown as Record<string, unknown>;
  }
  const status = await readAgentStatus(ctx.paths.stateDir);
  return {
    format: PROBE_FORMAT,
    configFile: hostConfig,
    configFrom,
    root,
    side: shown as unknown as Record<string, unknown>,
    extra,
    agent: status ? { status: status as unknown as Record<string, unknown>, running: agentRunning(status, { procRoot }) } : null,
  };
}
