// The probe container's protocol (pure): the image that carries docker-ipv6, what the reader asks it, and the JSON
// report it prints. The probe reads a host's kernel, firewall and files from inside that host's network namespace.

/** Bumped when the report's shape changes: a reader refuses a report of another format rather than misread it. */
export const PROBE_FORMAT = 1;

/** A daemon label that says where a host keeps docker-ipv6's files when that is not / (labs: their tool root). */
export const ROOT_LABEL = 'docker-ipv6.root';

/** Where the probe container sees the host's root folder (a read-only bind of /). */
export const HOST_MOUNT = '/host';

/** The image of this build: version plus a build id, so a host never runs a probe or agent of another build unawares. */
export function imageRef(version: string, build: string): string {
  return `docker-ipv6:${version}-${build}`;
}

/** The docker-ipv6 root on the daemon's host, from its labels (`docker-ipv6.root=DIR`); / when none says. */
export function rootFromLabels(labels: readonly string[] | undefined): string {
  const l = (labels ?? []).find((x) => x.startsWith(`${ROOT_LABEL}=`));
  const dir = l?.slice(ROOT_LABEL.length + 1);
  return dir && dir.startsWith('/') && !dir.split('/').includes('..') ? dir : '/';
}

export interface ProbeRequest {
  /** docker-ipv6's root on that host */
  root: string;
  /** the daemon's DockerRootDir: picks its dockerd (and so its --config-file) among the host's processes */
  dataRoot?: string;
  /** Docker's firewall backend as `docker info` told the reader */
  firewallBackend?: string;
  /** also the facts doctor reads beside the snapshot */
  doctor: boolean;
}

/** The probe command line (after the image's entrypoint, the executable). */
export function probeArgs(r: ProbeRequest): string[] {
  const a = ['host-facts', '--host-mount', HOST_MOUNT, '--node-root', r.root];
  if (r.dataRoot) a.push('--data-root', r.dataRoot);
  if (r.firewallBackend === 'iptables' || r.firewallBackend === 'nftables') a.push('--firewall-backend', r.firewallBackend);
  if (r.doctor) a.push('--doctor');
  return a;
}

export interface ProbeReport {
  format: number;
  /** the daemon.json path on that host, and how the probe found it */
  configFile: string;
  configFrom: string;
  root: string;
  /** observe/snapshot.ts HostSide, read there */
  side: Record<string, unknown>;
  /** doctor's ExtraFacts, read there (with --doctor) */
  extra?: Record<string, unknown>;
  /** the agent's status file there, with whether its process is alive */
  agent?: { status: Record<string, unknown>; running: boolean } | null;
}

/** The report from the probe's stdout, or why it is not one. */
export function parseProbeReport(text: string): ProbeReport | { error: string } {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return { error: `the probe printed no report (${text.trim().slice(0, 120) || 'nothing'})` }; }
  const r = v as ProbeReport;
  if (!r || typeof r !== 'object' || r.format !== PROBE_FORMAT) return { error: `the probe's report is format ${String((r as { format?: unknown })?.format)}, this docker-ipv6 reads format ${PROBE_FORMAT}` };
  if (!r.side || typeof r.side !== 'object' || typeof r.configFile !== 'string') return { error: 'the probe\'s report has no host facts' };
  return r;
}

/** The command that loads this build's image into an endpoint, as the user named that endpoint. */
export function loadImageCommand(ep: { host: string; source: string }): string {
  const ctx = /^context (.+)$/.exec(ep.source)?.[1];
  return `docker ${ctx ? `--context ${ctx}` : `-H ${ep.host}`} ipv6 image`;
}
