// The one seam to the host: every outside system behind a narrow interface (the real ones: host/adapters.ts).
//
// Engines (enable, disable, the undo kinds, verify, network, observe, doctor, reconcile, the agent) take a
// HostAdapters and never construct an adapter themselves. RunContext.host makes the real ones on first use;
// unit tests hand in the strict fakes of test/fakes/. A second firewall backend (nftables) plugs in here as
// another FirewallAdapter, chosen once per run.
import type { DockerdProcess } from '../daemon/keys';
import type { DockerdValidation } from '../daemon/validate';
import type { Endpoint } from '../model/endpoint';
import type { DockerMasq, FirewallFacts, ParsedRuleset } from '../model/ip6tables-save';
import type { NetState } from '../model/net';
import type { ToolState } from '../model/state';
import type { DaemonConfigStore, StoreOptions } from './daemon-json';
import type { DockerClient } from './docker-api';
import type { ProbeRun } from './probe-container';

/** What engines need from netlink: one read of the namespace, proxy entries and unreachable routes. */
export interface NetOps {
  /** `routes: 6`: IPv6 routes only (a reconcile needs no IPv4 route; 1000 networks make ~3000 of each to parse) */
  read(opts?: { routes?: 6 }): Promise<NetState>;
  addProxy(address: string, ifindex: number): Promise<void>;
  delProxy(address: string, ifindex: number): Promise<void>;
  addUnreachable(dst: string): Promise<void>;
  delUnreachable(dst: string): Promise<void>;
  close(): void;
}

/** /proc/sys/net of the current network namespace. */
export interface SysctlStore {
  read(key: string): Promise<string | undefined>;
  write(key: string, value: string): Promise<void>;
}

/**
 * The IPv6 firewall where our rules live: ip6tables chains, or our own nftables table when Docker uses its
 * nftables backend (chosen once per run, host/firewall-select.ts). Both speak the ip6tables language of our
 * chains: tables of chains and rule lines, and `ip6tables-restore --noflush` batches (nftables translates them).
 */
export interface FirewallAdapter {
  /** where our rules live (known once the run has chosen) */
  kind?: 'ip6tables' | 'nftables';
  /** the ruleset (ip6tables) or our table (nftables) as tables of chains and rule lines; `table`: only that one */
  read(table?: 'nat' | 'filter'): Promise<ParsedRuleset>;
  /** applies a whole batch or nothing of it */
  restore(batch: string): Promise<void>;
  /** availability, backend and the parsed ruleset, for observation */
  facts(): Promise<FirewallFacts>;
  /** Docker's own IPv6 source NAT (masquerades, SNAT to a network's host_ipv6), wherever its firewall backend writes them */
  dockerMasquerades(): Promise<DockerMasq[]>;
}

export type XtablesVariant = 'nft' | 'legacy';

/**
 * Read-only looks at the firewalls beside the one our rules live in (doctor): after a switch of Docker's backend,
 * or an admin's own rules, every base chain on a hook still sees each packet, wherever it was written.
 */
export interface FirewallSurvey {
  /** `iptables-<variant>-save` / `ip6tables-<variant>-save`, every table; undefined when that variant is not there */
  xtables(family: 4 | 6, variant: XtablesVariant): Promise<ParsedRuleset | undefined>;
  /** `nft -j list tables`; undefined when nft is not installed */
  nftTables(): Promise<Array<{ family: string; name: string }> | undefined>;
  /** `firewall-cmd --state`; undefined when firewalld is not installed */
  firewalldState(): Promise<'running' | 'not running' | undefined>;
}

/** The Docker Engine API of the run's endpoint (or of a journaled one). */
export interface DockerApi {
  /** a client that has not contacted the daemon yet */
  client(opts?: { timeoutMs?: number; endpoint?: Endpoint }): Promise<DockerClient>;
  /** a client that has answered /_ping, or a PreconditionError saying why not */
  connect(opts?: { timeoutMs?: number; endpoint?: Endpoint }): Promise<DockerClient>;
}

/** The probe container on the run's Docker host (host/probe-container.ts): what our image reads there, read-only. */
export interface HostProbe {
  run(o: { image: string; args: string[]; timeoutMs: number }): Promise<ProbeRun>;
}

/** The dockerd service: restart it and wait until it answers; find its process and flags. */
export interface DockerdService {
  restart(command: readonly string[], endpoint: Endpoint, networks: number, progress?: (s: string) => void, signal?: AbortSignal, deadlineMs?: number): Promise<void>;
  /** polls /_ping until the daemon answers or the deadline passes (progress every few seconds) */
  waitForAnswer(endpoint: Endpoint, deadlineMs: number, progress?: (s: string) => void): Promise<void>;
  processes(opts?: { pidfile?: string }): Promise<DockerdProcess[]>;
  /** Whether the dockerd serving this unix-socket endpoint runs in our network namespace (undefined: /proc does not tell) */
  sameNetns(endpoint: Endpoint): Promise<boolean | undefined>;
  /** `<dockerd> --version` of the binary: the version a daemon that is down would start as ("20.10.24+dfsg1") */
  binaryVersion(dockerdPath: string): Promise<string>;
  /** Would this dockerd start with `text` as its daemon.json: `--validate` where the binary has it, plus our rules */
  validateConfig(dockerdPath: string, text: string, dockerVersion: string): Promise<DockerdValidation>;
}

/** Plain files we write outside the transaction's own capture (the sysctl.d file). */
export interface FilesAdapter {
  readText(path: string): Promise<string | undefined>;
  /** temp file, fsync, rename; parent folders made */
  writeAtomic(path: string, text: string, mode: number): Promise<void>;
  remove(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
}

/** One of our units as the service manager knows it. */
export interface UnitFacts {
  name: string;
  /** its unit file (undefined: not installed in any unit folder) */
  path?: string;
  /** `systemctl is-enabled` says enabled */
  enabled: boolean;
  /** `systemctl is-active` says active (undefined: systemd does not run this host's services) */
  active?: boolean;
}

/**
 * The service manager (systemd): whether it runs this host's services, and our units' files, links and
 * activity. Only docker-ipv6's own units are ever named; where systemd does not run, nothing is started.
 */
export interface ServiceManager {
  running(): Promise<boolean>;
  units(names: readonly string[]): Promise<UnitFacts[]>;
  /** `systemctl daemon-reload` (where systemd runs) after unit files changed */
  reload(): Promise<void>;
  enable(units: readonly string[]): Promise<void>;
  disable(units: readonly string[]): Promise<void>;
  /** wait: false queues the start (`--no-block`): a unit that waits for our lock must not be waited for while we hold it */
  start(units: readonly string[], opts?: { wait?: boolean }): Promise<void>;
  stop(units: readonly string[]): Promise<void>;
}

/** The tool's own state file. */
export interface StateFile {
  read(): Promise<ToolState | undefined>;
  write(state: ToolState): Promise<void>;
}

/** daemon.json, read with an identity and written only over the bytes that were read. */
export type DaemonConfigFile = Pick<DaemonConfigStore, 'path' | 'read' | 'readRaw' | 'write' | 'remove'>;

export interface HostAdapters {
  firewall: FirewallAdapter;
  /** read-only: the other firewalls (doctor) */
  survey: FirewallSurvey;
  /** a netlink session of the current namespace; close it when done */
  openNet(): Promise<NetOps>;
  sysctl: SysctlStore;
  daemonConfig(path: string, opts?: StoreOptions): DaemonConfigFile;
  dockerd: DockerdService;
  docker: DockerApi;
  files: FilesAdapter;
  state: StateFile;
  /** read-only: another host's kernel, firewall and files, through its Docker API */
  probe: HostProbe;
  /** systemd, for our units */
  services: ServiceManager;
}
