// The shapes doctor works with: findings, the fixes it can apply itself, and the facts its checks read.
import type { HostSnapshot } from '../observe/snapshot';
import type { ParsedRuleset } from '../model/ip6tables-save';
import type { UnitFacts } from '../host/interfaces';

export type Layer = 'kernel' | 'daemon' | 'networks' | 'containers' | 'ports' | 'dns' | 'firewall' | 'outside' | 'compose';
export const LAYERS: readonly Layer[] = ['kernel', 'daemon', 'networks', 'containers', 'ports', 'dns', 'firewall', 'outside', 'compose'];

export type Status = 'ok' | 'warn' | 'fail' | 'skip';

/** A change doctor --fix may make itself: each one is reversible through the transaction engine. */
export type AutoFix =
  | { kind: 'sysctl'; key: string; value: string }
  /** set daemon.json keys, then restart dockerd (one transaction) */
  | { kind: 'daemon-keys'; set: Record<string, unknown> }
  /** restart dockerd so it reads daemon.json again */
  | { kind: 'restart' }
  /** run the enable engine with the saved (or derived) prefix and mode */
  | { kind: 'enable' }
  /** re-apply single steps of the enable engine (firewall-nat, firewall-filter, ndp-proxies) */
  | { kind: 'enable-steps'; ids: string[] }
  /** one reconcile pass: our chains, routes and sysctls as the state and Docker's networks want them (docker ipv6 apply) */
  | { kind: 'apply' };

export interface Finding {
  id: string;
  layer: Layer;
  status: Status;
  /** one sentence: what is wrong (or right) and why it matters */
  detail: string;
  /** the exact command (or edit) that fixes it; empty when nothing is to fix */
  fix: string;
  /** present when doctor --fix can apply the fix itself */
  auto?: AutoFix;
  /** what the finding is about (network, container, key), for --json consumers */
  subject?: string;
}

/** Facts the snapshot does not carry, gathered by facts.ts next to observeHost. */
export interface ExtraFacts {
  /** for a unix endpoint: does the socket exist, and can we open it */
  socket?: { path: string; exists: boolean; isSocket: boolean; accessible: boolean };
  /** `dockerd --version` of the binary on PATH (what will run when the daemon is down) */
  dockerdBinaryVersion?: string;
  /** ip6tables-save of the backend Docker does not share with our ip6tables (nft vs legacy) */
  otherBackend?: { backend: 'nf_tables' | 'legacy'; dockerChains: string[] };
  /** the running dockerd's start time and daemon.json's mtime, ms since the epoch */
  dockerdStartedMs?: number;
  daemonJsonMtimeMs?: number;
  /** the effective uid doctor runs as (reading the firewall needs root) */
  uid?: number;
  /** docker-ipv6-boot.service is enabled (required by docker.service): the closed filter is in place at boot before Docker */
  bootUnitEnabled?: boolean;
  /** our /etc/sysctl.d file as it is (undefined: absent) */
  sysctlConfText?: string;
  /** Docker on nftables: each iptables variant and family that holds any table (rules there still see every packet) */
  xtables?: XtablesView[];
  /** Docker on iptables: every nftables table (`nft list tables`), to find our own one left from the nftables backend */
  nftTables?: Array<{ family: string; name: string }>;
  /** `firewall-cmd --state` (undefined: firewalld not installed) */
  firewalld?: 'running' | 'not running';
  /** systemd and our units (undefined: not looked) */
  services?: { systemd: boolean; units: UnitFacts[] };
  /** the agent's own status file: a process that runs now */
  agent?: { running: boolean; pid?: number };
  /** the command that runs the agent in the background where systemd does not (its log beside our state) */
  agentCommand?: string;
}

export interface XtablesView { family: 4 | 6; variant: 'nft' | 'legacy'; tables: ParsedRuleset }

export interface ProbeResult { id: string; ok: boolean | undefined; detail: string; target?: string; fix?: string }

export interface DoctorInput {
  snap: HostSnapshot;
  extra: ExtraFacts;
  /** --probe results (undefined when not asked for) */
  probes?: ProbeResult[];
  /** the restart command doctor prints in fixes */
  restartCommand: string;
}

export type Check = (input: DoctorInput) => Finding[];
