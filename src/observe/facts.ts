// The shapes of a host's facts: what Docker says, and what is read beside it (the host side), with where it was read.
import type { FirewallFacts } from '../model/ip6tables-save';
import type { NetState } from '../model/net';
import type { ToolState } from '../model/state';
import type { DockerdProcess } from '../daemon/keys';

export interface DaemonFacts {
  reachable: boolean;
  error?: string;
  hint?: string;
  version?: string;
  apiVersion?: string;
  experimental?: boolean;
  /** true when the default bridge has IPv6 */
  bridgeIPv6?: boolean;
  kernel?: string;
  os?: string;
  /** the daemon's host name (`docker info` Name) */
  name?: string;
  /** `docker info` DockerRootDir: picks the probe's dockerd among several on one machine */
  dataRoot?: string;
  /** `docker info` Labels (a lab host says where its docker-ipv6 files live: docker-ipv6.root=DIR) */
  labels?: string[];
  /** `docker info` FirewallBackend.Driver (Docker 29+) */
  firewallDriver?: string;
}

export interface DaemonConfigFacts {
  path: string;
  exists: boolean;
  text?: string;
  value?: Record<string, unknown>;
  error?: string;
}

export interface HostFacts {
  error?: string;
  uplink?: string;
  uplinkReason: string;
  net?: NetState;
  sysctls: Record<string, string | undefined>;
}

/**
 * Where the facts that do not come through the Docker API (daemon.json, kernel, firewall, state) were read:
 * on this machine (the daemon runs in our network namespace), by the probe container on the daemon's own host,
 * or nowhere (unknown, with the reason and the command that would let us read them). Never this machine's facts
 * for another host.
 */
export interface HostSource {
  kind: 'local' | 'probe' | 'unknown';
  /** unknown: why; probe: the image that read them */
  detail?: string;
  /** unknown: what makes them readable */
  hint?: string;
}

export interface ObserveOptions {
  docker?: boolean;
  host?: boolean;
  firewall?: boolean;
  /** find the dockerd process and its flags (a /proc scan): needed by enable and doctor, not by status */
  dockerdProcess?: boolean;
  /** doctor: a state file that is refused (invalid, untrusted) becomes `stateError` instead of stopping the run */
  keepStateError?: boolean;
  /** doctor: on another host, the probe also reads the facts doctor needs beside the snapshot (snap.remote.extra) */
  doctorFacts?: boolean;
}

/** The facts read outside the Docker API, as one piece: this machine's own, or the probe's reading of another host. */
export interface HostSide {
  daemonConfig: DaemonConfigFacts;
  host: HostFacts;
  firewall: FirewallFacts;
  state?: ToolState;
  stateError?: string;
  /** The dockerd process that reads our daemon.json, when it runs on this machine. */
  dockerd?: DockerdProcess;
  /** Whether any dockerd process reads our daemon.json (undefined: not looked, or /proc unreadable). With Docker
   * not answering, false means it is down (stopped, or it exited at start), not merely slow or refusing us. */
  dockerdRunning?: boolean;
}

/** A host side nobody could read: every fact unknown (shown as such), with the reason. */
export function unknownSide(configPath: string, why: string): HostSide {
  return {
    daemonConfig: { path: configPath, exists: false, error: `unknown: ${why}` },
    host: { uplinkReason: 'unknown', error: `unknown: ${why}`, sysctls: {} },
    firewall: { available: false, error: `unknown: ${why}`, tables: {} },
  };
}

