// The one seam to the host: every outside system behind a narrow interface, made lazily once per run.
//
// Engines (enable, disable, the undo kinds, verify, network, observe, doctor, reconcile, the agent) take a
// HostAdapters and never construct an adapter themselves. RunContext.host makes the real ones on first use;
// unit tests hand in the strict fakes of test/fakes/. A second firewall backend (nftables) plugs in here as
// another FirewallAdapter, chosen once per run.
import type { DockerdProcess } from '../daemon/keys';
import type { Endpoint } from '../model/endpoint';
import type { FirewallFacts } from '../model/ip6tables-save';
import type { NetState } from '../model/net';
import type { ToolState } from '../model/state';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DaemonConfigStore, type StoreOptions } from './daemon-json';
import { connectDocker, dockerClient, type DockerClient } from './docker-api';
import { restartDocker } from './dockerd';
import { findDockerdProcesses } from './dockerd-procs';
import { readTextIfExists, writeFileAtomic } from './files';
import { Ip6tables } from './ip6tables';
import { openNetOps } from './netlink';
import { readState, writeState } from './state-file';
import { ProcSysctl, type SysctlStore } from './sysctl';

/** What engines need from netlink: one read of the namespace, proxy entries and unreachable routes. */
export interface NetOps {
  read(): Promise<NetState>;
  addProxy(address: string, ifindex: number): Promise<void>;
  delProxy(address: string, ifindex: number): Promise<void>;
  addUnreachable(dst: string): Promise<void>;
  delUnreachable(dst: string): Promise<void>;
  close(): void;
}

/** The IPv6 firewall: the ruleset as ip6tables-save text, and atomic restore batches. */
export interface FirewallAdapter {
  save(table?: 'nat' | 'filter'): Promise<string>;
  /** applies a whole batch or nothing of it */
  restore(batch: string): Promise<void>;
  /** availability, backend and the parsed ruleset, for observation */
  facts(): Promise<FirewallFacts>;
}

/** The Docker Engine API of the run's endpoint (or of a journaled one). */
export interface DockerApi {
  /** a client that has not contacted the daemon yet */
  client(opts?: { timeoutMs?: number; endpoint?: Endpoint }): Promise<DockerClient>;
  /** a client that has answered /_ping, or a PreconditionError saying why not */
  connect(opts?: { timeoutMs?: number; endpoint?: Endpoint }): Promise<DockerClient>;
}

/** The dockerd service: restart it and wait until it answers; find its process and flags. */
export interface DockerdService {
  restart(command: readonly string[], endpoint: Endpoint, networks: number, progress?: (s: string) => void, signal?: AbortSignal, deadlineMs?: number): Promise<void>;
  processes(opts?: { pidfile?: string }): Promise<DockerdProcess[]>;
}

/** Plain files we write outside the transaction's own capture (the sysctl.d file). */
export interface FilesAdapter {
  readText(path: string): Promise<string | undefined>;
  /** temp file, fsync, rename; parent folders made */
  writeAtomic(path: string, text: string, mode: number): Promise<void>;
  remove(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
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
  /** a netlink session of the current namespace; close it when done */
  openNet(): Promise<NetOps>;
  sysctl: SysctlStore;
  daemonConfig(path: string, opts?: StoreOptions): DaemonConfigFile;
  dockerd: DockerdService;
  docker: DockerApi;
  files: FilesAdapter;
  state: StateFile;
}

/** The real adapters, for a run whose endpoint and state file are given lazily. Nothing is opened until used
 * (dockerode and netlink load on first use inside their adapters). */
export function realHostAdapters(opts: { endpoint: () => Endpoint; stateFile: string }): HostAdapters {
  const ip6tables = new Ip6tables();
  return {
    firewall: { save: (table) => ip6tables.save(table), restore: (batch) => ip6tables.restore(batch), facts: () => ip6tables.facts() },
    openNet: openNetOps,
    sysctl: new ProcSysctl(),
    daemonConfig: (path, o) => new DaemonConfigStore(path, o),
    dockerd: { restart: restartDocker, processes: findDockerdProcesses },
    docker: {
      client: (o = {}) => dockerClient(o.endpoint ?? opts.endpoint(), o.timeoutMs),
      connect: (o = {}) => connectDocker(o.endpoint ?? opts.endpoint(), { timeoutMs: o.timeoutMs }),
    },
    files: {
      readText: readTextIfExists,
      async writeAtomic(p, text, mode) {
        await mkdir(dirname(p), { recursive: true });
        await writeFileAtomic(p, text, mode);
      },
      remove: (p) => rm(p, { force: true }),
      exists: async (p) => existsSync(p),
    },
    state: { read: () => readState(opts.stateFile), write: (s) => writeState(opts.stateFile, s) },
  };
}
