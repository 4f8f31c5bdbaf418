// Facts doctor needs beyond the snapshot: socket state, dockerd binary version, the other iptables backend, start/mtime.
// These run next to observeHost; candidates to move into the snapshot are listed in the doctor README section.
import { constants as C, promises as fsp, readFileSync } from 'node:fs';
import type { RunContext } from '../cli/context';
import type { FirewallSurvey } from '../host/interfaces';
import { processStartTime } from '../transaction/lock';
import type { HostSnapshot } from '../observe/snapshot';
import type { ExtraFacts, XtablesView } from './types';
import { agentRunning, readAgentStatus } from '../observe/agent-status';
import { OUR_UNITS } from '../model/names';
import { agentCommand } from '../setup/services';

async function socketFacts(host: string): Promise<ExtraFacts['socket']> {
  if (!host.startsWith('unix://')) return undefined;
  const path = host.slice('unix://'.length);
  try {
    const st = await fsp.stat(path);
    const accessible = await fsp.access(path, C.R_OK | C.W_OK).then(() => true, () => false);
    return { path, exists: true, isSocket: st.isSocket(), accessible };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { path, exists: code !== 'ENOENT', isSocket: false, accessible: code !== 'EACCES' };
  }
}

/**
 * Docker chains in the backend our ip6tables does not use, read through the survey adapter (it reads the legacy
 * tables only when the kernel has some, so the usual nf_tables host spawns nothing extra).
 */
async function otherBackend(survey: FirewallSurvey, ours: 'nf_tables' | 'legacy' | undefined): Promise<ExtraFacts['otherBackend']> {
  if (!ours) return undefined;
  const other = ours === 'nf_tables' ? 'legacy' : 'nf_tables';
  // undefined: that backend has no tables or no tools here, so nothing can be hiding there
  const tables = await survey.xtables(6, other === 'legacy' ? 'legacy' : 'nft').catch(() => undefined);
  if (!tables) return undefined;
  const chains = Object.values(tables).flatMap((t) => Object.keys(t.chains)).filter((c) => c.startsWith('DOCKER'));
  return { backend: other, dockerChains: [...new Set(chains)] };
}

/**
 * The firewalls beside Docker's (Docker 29 backends): with Docker on nftables every iptables variant and family
 * (rules there still see each packet); with Docker on iptables the nftables table list (our table left from the
 * nftables backend); firewalld's state. Read-only, through ctx.host.survey; a look that fails tells nothing.
 */
async function backendFacts(ctx: RunContext, snap: HostSnapshot): Promise<Pick<ExtraFacts, 'xtables' | 'nftTables' | 'firewalld'>> {
  const s = ctx.host.survey;
  const d = snap.firewall.docker;
  const quiet = <T>(p: Promise<T>) => p.catch(() => undefined);
  const views = d?.backend === 'nftables'
    ? Promise.all(([[4, 'nft'], [6, 'nft'], [4, 'legacy'], [6, 'legacy']] as const).map(async ([family, variant]) => {
      const tables = await quiet(s.xtables(family, variant));
      return tables && Object.keys(tables).length ? { family, variant, tables } as XtablesView : undefined;
    }))
    : Promise.resolve(undefined);
  const [xt, nft, fwd] = await Promise.all([views, d?.backend === 'iptables' ? quiet(s.nftTables()) : undefined, quiet(s.firewalldState())]);
  return { xtables: xt?.filter((v): v is XtablesView => !!v), nftTables: nft, firewalld: fwd };
}

/** Started in parallel with observeHost. */
export async function gatherExtraFacts(ctx: RunContext): Promise<ExtraFacts> {
  const sm = ctx.host.services;
  const [socket, mtime, boot, conf, agent, systemd, units] = await Promise.all([
    socketFacts(ctx.endpoint().host),
    fsp.stat(ctx.globals.configFile).then((s) => s.mtimeMs, () => undefined),
    fsp.lstat(ctx.paths.bootUnitLink).then(() => true, () => false),
    fsp.readFile(ctx.paths.sysctlConf, 'utf8').catch(() => undefined),
    readAgentStatus(ctx.paths.stateDir),
    sm.running().catch(() => false),
    sm.units(OUR_UNITS).catch(() => []),
  ]);
  return {
    socket, daemonJsonMtimeMs: mtime, uid: process.geteuid?.(), bootUnitEnabled: boot, sysctlConfText: conf,
    agent: { running: agentRunning(agent), ...(agent ? { pid: agent.pid } : {}) }, services: { systemd, units }, agentCommand: agentCommand(ctx.paths.stateDir),
  };
}

/** What needs the snapshot first: the dockerd version when the daemon is down, the daemon's start time. */
export async function completeExtraFacts(ctx: RunContext, snap: HostSnapshot, extra: ExtraFacts, procRoot = '/proc'): Promise<ExtraFacts> {
  const out = { ...extra };
  if (snap.endpoint.local) {
    const [other, backends] = await Promise.all([
      snap.firewall.available ? otherBackend(ctx.host.survey, snap.firewall.backend) : undefined,
      backendFacts(ctx, snap),
    ]);
    out.otherBackend = other;
    Object.assign(out, backends);
  }
  if (!snap.daemon.version && snap.endpoint.local) {
    try {
      out.dockerdBinaryVersion = await ctx.host.dockerd.binaryVersion(ctx.globals.dockerd);
    } catch { /* no dockerd binary here */ }
  }
  if (snap.dockerd) {
    const start = processStartTime(snap.dockerd.pid, procRoot);
    if (start) out.dockerdStartedMs = bootRelativeToEpoch(start);
  }
  return out;
}

/** processStartTime gives clock ticks since boot (field 22 of /proc/PID/stat) as a string. */
function bootRelativeToEpoch(ticks: string): number | undefined {
  const n = Number(ticks);
  if (!Number.isFinite(n)) return undefined;
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Date.now() - uptime * 1000 + (n / 100) * 1000;
}
