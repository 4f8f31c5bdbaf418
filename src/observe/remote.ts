// Another host's facts outside the Docker API (daemon.json, kernel, firewall, state), read by the probe container
// of our own image on that host; unknown, with the reason and the fix, when the probe cannot run. Never ours.
import type { RunContext } from '../cli/context';
import { thisImage } from '../cli/build';
import { ConfigError } from '../errors';
import { loadImageCommand, parseProbeReport, probeArgs, rootFromLabels } from '../model/probe';
import { unknownSide, type DaemonFacts, type HostSide, type HostSource, type ObserveOptions } from './facts';

const DEFAULT_CONFIG = '/etc/docker/daemon.json';
export const PROBE_TIMEOUT_MS = 30_000;

export interface RemoteSide { side: HostSide; source: HostSource; remote?: { extra?: unknown; agent?: unknown } }

function unknown(why: string, hint?: string): RemoteSide {
  return { side: unknownSide(DEFAULT_CONFIG, why), source: { kind: 'unknown', detail: why, hint } };
}

export async function probeHostSide(ctx: RunContext, daemon: DaemonFacts, opts: ObserveOptions): Promise<RemoteSide> {
  const ep = ctx.endpoint();
  if (!daemon.reachable) return unknown('Docker does not answer there, and the probe runs through it');
  const image = thisImage();
  let run;
  try {
    run = await ctx.host.probe.run({
      image,
      args: probeArgs({ root: rootFromLabels(daemon.labels), dataRoot: daemon.dataRoot, firewallBackend: daemon.firewallDriver, doctor: !!opts.doctorFacts }),
      timeoutMs: PROBE_TIMEOUT_MS,
    });
  } catch (e) {
    return unknown(`the probe container could not run there: ${(e as Error).message}`, 'check that this Docker host lets us run a container with the host network (docker run --network host)');
  }
  if (run.kind === 'no-image') {
    return unknown(`the probe image ${image} (this build's) is not on that host`, `load it there: ${loadImageCommand(ep)}`);
  }
  if (run.exitCode !== 0) {
    const tail = run.stderr.trim().split('\n').slice(-2).join(' | ') || `exit ${run.exitCode}`;
    return unknown(`the probe container failed there: ${tail}`);
  }
  const report = parseProbeReport(run.stdout);
  if ('error' in report) return unknown(report.error, `load this build's image there: ${loadImageCommand(ep)}`);
  const side = report.side as unknown as HostSide & { stateRefused?: boolean };
  // as on this host: a state file docker ipv6 refuses stops status (doctor shows it as a finding)
  if (side.stateRefused && side.stateError && !opts.keepStateError) throw new ConfigError(`on ${ep.host}: ${side.stateError}`, 'correct the file or its folder there, as the message says');
  delete side.stateRefused;
  return {
    side,
    source: { kind: 'probe', detail: `${image}, ${report.configFile} (${report.configFrom}), root ${report.root}` },
    remote: { extra: report.extra, agent: report.agent ?? undefined },
  };
}
