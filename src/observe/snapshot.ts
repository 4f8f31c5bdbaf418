// observeHost: gathers every fact about the host once, in parallel, into a plain snapshot.
import { normaliseDocker, type ApiContainer, type ApiNetwork, type ContainerFacts, type NetworkFacts } from '../model/docker';
import type { RunContext } from '../cli/context';
import type { Endpoint } from '../model/endpoint';
import { isToolError } from '../errors';
import type { HostAdapters } from '../host/interfaces';
import { findUplink, type NetState } from '../model/net';
import { readIpv6Sysctls } from '../model/sysctl';
import { parseDaemonJson } from '../daemon/parse';
import { dockerdsFor } from '../daemon/keys';
import { type DaemonConfigFacts, type DaemonFacts, type HostFacts, type HostSide, type HostSource, type ObserveOptions } from './facts';

export { unknownSide } from './facts';
export type { DaemonConfigFacts, DaemonFacts, HostFacts, HostSide, HostSource, ObserveOptions } from './facts';

/** What Docker's API says, with the host side (this machine's, or another host's through the probe, or unknown). */
export interface HostSnapshot extends HostSide {
  endpoint: Endpoint;
  /** absent: this machine (local) */
  hostSource?: HostSource;
  /** probe: doctor's facts and the agent's status file as the probe read them on that host */
  remote?: { extra?: unknown; agent?: unknown };
  daemon: DaemonFacts;
  networks: NetworkFacts[];
  containers: ContainerFacts[];
}

async function observeDocker(host: HostAdapters): Promise<Pick<HostSnapshot, 'daemon' | 'networks' | 'containers'>> {
  let client;
  try {
    client = await host.docker.connect({ timeoutMs: 15_000 });
  } catch (e) {
    const te = isToolError(e) ? e : undefined;
    return { daemon: { reachable: false, error: te?.message ?? String(e), hint: te?.hint }, networks: [], containers: [] };
  }
  const [version, info, nets, ctrs] = await Promise.all([
    client.version(), client.info(), client.listNetworks(), client.listContainers({ all: true }),
  ]);
  const { networks, containers } = normaliseDocker(nets as ApiNetwork[], ctrs as ApiContainer[]);
  const bridge = networks.find((n) => n.name === 'bridge');
  return {
    daemon: {
      reachable: true, version: version.Version, apiVersion: version.ApiVersion,
      experimental: !!(info as { ExperimentalBuild?: boolean }).ExperimentalBuild,
      bridgeIPv6: bridge?.enableIPv6, kernel: info.KernelVersion, os: info.OperatingSystem,
      name: info.Name, dataRoot: info.DockerRootDir, labels: info.Labels ?? [],
      firewallDriver: (info as { FirewallBackend?: { Driver?: string } }).FirewallBackend?.Driver,
    },
    networks, containers,
  };
}

async function observeDaemonConfig(host: HostAdapters, path: string): Promise<DaemonConfigFacts> {
  let text: string | undefined;
  try {
    text = await host.files.readText(path);
  } catch (e) {
    return { path, exists: true, error: `cannot read ${path}: ${(e as Error).message}` };
  }
  if (text === undefined) return { path, exists: false, value: {} };
  try {
    return { path, exists: true, text, value: parseDaemonJson(text, path).value };
  } catch (e) {
    return { path, exists: true, text, error: (e as Error).message };
  }
}

async function observeHostNet(host: HostAdapters, uplinkOpt?: string): Promise<HostFacts> {
  let net: NetState | undefined;
  let error: string | undefined;
  try {
    const nl = await host.openNet();
    try { net = await nl.read(); } finally { nl.close(); }
  } catch (e) {
    error = `cannot read interfaces and routes over netlink: ${(e as Error).message}`;
  }
  let uplink = uplinkOpt;
  let uplinkReason = 'given with --uplink';
  if (!uplink && net) ({ name: uplink, reason: uplinkReason } = findUplink(net));
  if (uplinkOpt && net && !net.links.some((l) => l.name === uplinkOpt)) {
    error = `the uplink ${uplinkOpt} does not exist`;
  }
  const sysctls = await readIpv6Sysctls(host.sysctl, uplink && net?.links.some((l) => l.name === uplink) ? uplink : undefined);
  return { error, uplink, uplinkReason: uplinkReason ?? '', net, sysctls };
}

export async function observeLocalSide(ctx: RunContext, opts: ObserveOptions = {}): Promise<HostSide> {
  const adapters = ctx.host;
  const none = Promise.resolve(undefined);
  const [daemonConfig, host, firewall, state, dockerd] = await Promise.all([
    observeDaemonConfig(adapters, ctx.globals.configFile),
    opts.host === false ? none : observeHostNet(adapters, ctx.globals.uplink),
    opts.firewall === false ? none : adapters.firewall.facts(),
    adapters.state.read().then((s) => ({ s }), (e: Error) => ({ e })),
    opts.dockerdProcess !== false ? adapters.dockerd.processes().then((ps) => dockerdsFor(ps, ctx.globals.configFile), () => undefined) : none,
  ]);
  // a refused state file (not valid, not trustworthy) stops every command that would act on it
  if ('e' in state && isToolError(state.e) && !opts.keepStateError) throw state.e;
  return {
    daemonConfig,
    host: host ?? { uplinkReason: 'not observed', sysctls: {} },
    firewall: firewall ?? { available: false, error: 'not observed', tables: {} },
    state: 's' in state ? state.s : undefined,
    stateError: 'e' in state ? state.e.message : undefined,
    dockerd: dockerd?.length === 1 ? dockerd[0] : undefined,
    dockerdRunning: dockerd ? dockerd.length > 0 : undefined,
  };
}

export async function observeHost(ctx: RunContext, opts: ObserveOptions = {}): Promise<HostSnapshot> {
  const ep = ctx.endpoint();
  const adapters = ctx.host;
  let docker: Awaited<ReturnType<typeof observeDocker>> | undefined;
  let side: HostSide;
  let hostSource: HostSource = { kind: 'local' };
  let remote: HostSnapshot['remote'];
  if (await ctx.daemonIsHere()) {
    [docker, side] = await Promise.all([opts.docker === false ? undefined : observeDocker(adapters), observeLocalSide(ctx, opts)]);
  } else {
    // another host (remote, or a daemon in another network namespace): its facts through the API and the probe
    docker = await observeDocker(adapters);
    const { probeHostSide } = await import('./remote');
    const r = await probeHostSide(ctx, docker.daemon, opts);
    ({ side, source: hostSource, remote } = r);
  }
  return {
    endpoint: ep,
    hostSource,
    remote,
    daemon: docker?.daemon ?? { reachable: false, error: 'not observed' },
    networks: docker?.networks ?? [],
    containers: docker?.containers ?? [],
    ...side,
  };
}
