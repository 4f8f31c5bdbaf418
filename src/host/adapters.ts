// The real host adapters, one per outside system, made lazily once per run (RunContext.host); the
// interfaces they meet are in host/interfaces.ts, their strict fakes in test/fakes/.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Endpoint } from '../model/endpoint';
import { DaemonConfigStore } from './daemon-json';
import { connectDocker, dockerClient } from './docker-api';
import { dockerdBinaryVersion, restartDocker, validateDaemonText, waitForDocker } from './dockerd';
import { dockerdInOurNetns, findDockerdProcesses } from './dockerd-procs';
import { readTextIfExists, replaceFile } from './files';
import { ensureTrustedDir } from './trust';
import type { HostAdapters } from './interfaces';
import { detectDockerFirewall, selectingFirewall } from './firewall-select';
import { firewallSurvey } from './firewall-survey';
import { ip6tablesFirewall } from './ip6tables';
import { nftFirewall } from './nftables';
import { openNetOps } from './netlink';
import { readState, writeState } from './state-file';
import { ProcSysctl } from './sysctl';
import { runProbeContainer } from './probe-container';
import { systemdServices } from './systemd';

export type { HostAdapters } from './interfaces';

/** The real adapters, for a run whose endpoint and state file are given lazily. Nothing is opened until used
 * (dockerode and netlink load on first use inside their adapters). */
export function realHostAdapters(opts: {
  endpoint: () => Endpoint; stateFile: string; configFile: string; root: string;
  /** /proc/sys of this network namespace through another path (the Swarm agent's bind of the host's /proc/sys) */
  procSys?: string;
  /** the host's processes through another /proc (the probe container's /host/proc) */
  procRoot?: string;
  /** Docker's firewall backend when the caller knows it (the probe: the reader asked `docker info`) */
  firewallBackend?: 'iptables' | 'nftables';
  /**
   * Asked at the firewall's first use: false takes Docker's backend from dockerd's flag and daemon.json without
   * `docker info` (renumbering asks Docker nothing: that request alone loads the Docker client)
   */
  askDockerForFirewall?: () => boolean;
}): HostAdapters {
  const processes = (o?: { pidfile?: string }) => findDockerdProcesses({ ...o, procRoot: opts.procRoot });
  // Docker's firewall backend decides where ours go, asked once on first use (`docker info`, else its flag or daemon.json)
  const detect = () => detectDockerFirewall({
    configFile: opts.configFile,
    processes,
    async infoDriver() {
      if (opts.firewallBackend) return opts.firewallBackend;
      if (opts.askDockerForFirewall?.() === false) return undefined;
      // one request: a daemon that does not answer it fails it as a ping would
      const info = await (await dockerClient(opts.endpoint(), 5000)).info() as { FirewallBackend?: { Driver?: string } };
      return info.FirewallBackend?.Driver ?? '';
    },
  });
  return {
    firewall: selectingFirewall(detect, { iptables: () => ip6tablesFirewall(), nftables: () => nftFirewall() }),
    survey: firewallSurvey(),
    openNet: openNetOps,
    sysctl: new ProcSysctl(opts.procSys),
    daemonConfig: (path, o) => new DaemonConfigStore(path, o),
    dockerd: {
      restart: restartDocker, waitForAnswer: (ep, ms, progress) => waitForDocker(ep, ms, progress), processes,
      sameNetns: (ep) => dockerdInOurNetns(ep, opts.procRoot),
      binaryVersion: dockerdBinaryVersion, validateConfig: validateDaemonText,
    },
    docker: {
      client: (o = {}) => dockerClient(o.endpoint ?? opts.endpoint(), o.timeoutMs),
      connect: (o = {}) => connectDocker(o.endpoint ?? opts.endpoint(), { timeoutMs: o.timeoutMs }),
    },
    files: {
      readText: readTextIfExists,
      async writeAtomic(p, text, mode) {
        // our sysctl.d file and the agent's status file: into folders only root can change
        ensureTrustedDir(dirname(p), 0o755, 'the folder');
        await replaceFile(p, text, { mode });
      },
      remove: (p) => rm(p, { force: true }),
      exists: async (p) => existsSync(p),
    },
    state: { read: () => readState(opts.stateFile), write: (s) => writeState(opts.stateFile, s) },
    probe: { run: async (o) => runProbeContainer(await dockerClient(opts.endpoint(), o.timeoutMs), o.image, o.args, o.timeoutMs) },
    services: systemdServices({ root: opts.root }),
  };
}
