// Renders the host snapshot for `status`: compact tables for people, or --json.
import type { RunContext } from '../cli/context';
import { renderTable } from '../util/table';
import { classifyOutside, OUTSIDE_TEXT } from '../observe/outside';
import { observeHost, type HostSnapshot } from '../observe/snapshot';
import { agentJson, agentLine, agentRunning, readAgentStatus, type AgentStatus } from '../observe/agent-status';

/** The agent as seen on the daemon's host: its status file and whether it runs; unknown when that host's files are. */
export interface AgentView { status?: AgentStatus; running: boolean; unknown?: string }

/** Where the host-side facts came from, in one line. */
export function hostSourceLine(snap: HostSnapshot): string {
  const src = snap.hostSource;
  if (!src || src.kind === 'local') return 'read on this machine (the daemon runs in its network namespace)';
  if (src.kind === 'probe') return `read on the Docker host by the probe container (${src.detail})`;
  return `unknown: ${src.detail}${src.hint ? `; ${src.hint}` : ''}`;
}

/** The agent where the snapshot was read: this machine's status file, or the one the probe read over there. */
export async function agentView(ctx: RunContext, snap: HostSnapshot): Promise<AgentView> {
  const runningContainers = snap.containers.filter((c) => c.state === 'running').map((c) => c.id);
  const kind = snap.hostSource?.kind ?? 'local';
  if (kind === 'unknown') return { running: false, unknown: snap.hostSource?.detail };
  if (kind === 'local') {
    const status = await readAgentStatus(ctx.paths.stateDir);
    return { status, running: agentRunning(status, { runningContainers }) };
  }
  const seen = snap.remote?.agent as { status: AgentStatus; running: boolean } | undefined;
  if (!seen) return { running: false };
  // an agent in a container (a Swarm task) runs when its container does: Docker says so, not that host's /proc
  return { status: seen.status, running: seen.status.container ? agentRunning(seen.status, { runningContainers }) : seen.running };
}

const DAEMON_KEYS = ['ipv6', 'fixed-cidr-v6', 'ip6tables', 'experimental', 'default-address-pools'];

export function statusJson(snap: HostSnapshot, agent: AgentView): unknown {
  return {
    agent: agent.unknown ? { running: null, unknown: agent.unknown } : agentJson(agent.status, agent.running),
    endpoint: snap.endpoint,
    hostFacts: snap.hostSource ?? { kind: 'local' },
    daemon: snap.daemon,
    daemonConfig: {
      path: snap.daemonConfig.path,
      exists: snap.daemonConfig.exists,
      error: snap.daemonConfig.error,
      ipv6Keys: Object.fromEntries(DAEMON_KEYS.filter((k) => snap.daemonConfig.value?.[k] !== undefined).map((k) => [k, snap.daemonConfig.value![k]])),
    },
    host: {
      uplink: snap.host.uplink, uplinkReason: snap.host.uplinkReason, error: snap.host.error, sysctls: snap.host.sysctls,
      ipv6Addresses: snap.host.net?.addresses.filter((a) => a.family === 6 && a.scope === 0).map((a) => ({ ifname: a.ifname, address: `${a.address}/${a.prefixlen}` })) ?? [],
      ipv6DefaultRoute: snap.host.net?.routes.find((r) => r.family === 6 && r.dst === '::/0' && r.table === 254) ?? null,
    },
    // where our rules live (kind), what Docker filters with (docker), and for ip6tables its kernel interface (backend)
    firewall: {
      available: snap.firewall.available, kind: snap.firewall.kind ?? null, docker: snap.firewall.docker ?? null,
      backend: snap.firewall.backend ?? null, version: snap.firewall.version ?? null, error: snap.firewall.error ?? null,
    },
    state: snap.state ?? null,
    networks: snap.networks.map((n) => ({
      name: n.name, id: n.id, driver: n.driver, enableIPv6: n.enableIPv6, internal: n.internal,
      ipv4Subnets: n.ipv4Subnets, ipv6Subnets: n.ipv6Subnets, bridge: n.bridge, containers: n.containers,
      outside: classifyOutside(n, snap),
    })),
  };
}

/** ip6tables with its kernel interface, or nft where Docker uses its nftables backend (our rules in our own table). */
function firewallLine(snap: HostSnapshot): [string, string] {
  const f = snap.firewall;
  const err = f.error ? `; ${f.error}` : '';
  if (f.kind === 'nftables') return ['Firewall', f.available ? `nft ${f.version ?? '?'} (Docker's nftables backend; our rules in table ip6 docker-ipv6)${err}` : `nft missing: ${f.error}`];
  return ['ip6tables', f.available ? `${f.version ?? '?'} (${f.backend ?? 'unknown backend'})${err}` : `missing: ${f.error}`];
}

export function statusText(snap: HostSnapshot, agent: AgentView): string {
  const d = snap.daemon;
  const cfg = snap.daemonConfig;
  const show = (k: string): string => {
    const v = cfg.value?.[k];
    if (v === undefined) return '-';
    if (k === 'default-address-pools' && Array.isArray(v)) {
      const v6 = v.filter((p) => String((p as { base?: unknown }).base ?? '').includes(':')).length;
      return `${v.length} pools (${v6} IPv6)`;
    }
    return JSON.stringify(v);
  };
  const keys = DAEMON_KEYS.map((k) => `${k}=${show(k)}`).join(' ');
  const s = snap.host.sysctls;
  const up = snap.host.uplink;
  const unknown = snap.hostSource?.kind === 'unknown' ? 'unknown (see Host facts)' : undefined;
  const lines: Array<[string, string]> = [
    ['Docker', `${snap.endpoint.host} (${snap.endpoint.source})`],
    ['Host facts', hostSourceLine(snap)],
    ['Daemon', d.reachable ? `${d.version} (API ${d.apiVersion}), default bridge IPv6: ${d.bridgeIPv6 ? 'yes' : 'no'}` : `unreachable: ${d.error}`],
    ['daemon.json', unknown ?? (cfg.error ? `${cfg.path}: ${cfg.error}` : `${cfg.path}${cfg.exists ? '' : ' (absent)'}: ${keys}`)],
    ['Uplink', unknown ?? (up ? `${up} (${snap.host.uplinkReason})${snap.host.error ? `; ${snap.host.error}` : ''}` : `none: ${snap.host.error ?? snap.host.uplinkReason}`)],
    ['Sysctls', unknown ?? (`forwarding all=${s['net.ipv6.conf.all.forwarding'] ?? '?'}` + (up ? ` ${up}: accept_ra=${s[`net.ipv6.conf.${up}.accept_ra`] ?? '?'} proxy_ndp=${s[`net.ipv6.conf.${up}.proxy_ndp`] ?? '?'}` : '') + ` disable_ipv6=${s['net.ipv6.conf.all.disable_ipv6'] ?? '?'}`)],
    unknown ? ['Firewall', unknown] : firewallLine(snap),
    ['Agent', unknown ?? agentLine(agent.status, agent.running)],
    ['docker-ipv6', unknown ?? (snap.state?.enabled ? `enabled, prefix ${snap.state.prefix}, mode ${snap.state.mode}` : snap.state?.prefix ? `not enabled (prefix ${snap.state.prefix} saved)` : 'not enabled')],
  ];
  const head = lines.map(([k, v]) => `${k.padEnd(12)} ${v}`).join('\n');
  const rows = snap.networks.map((n) => [
    n.name, n.driver, n.enableIPv6 ? 'yes' : 'no', n.ipv4Subnets.join(',') || '-', n.ipv6Subnets.join(',') || '-',
    String(n.containers), OUTSIDE_TEXT[classifyOutside(n, snap)],
  ]);
  const table = snap.daemon.reachable ? `\n\n${renderTable(['NETWORK', 'DRIVER', 'IPV6', 'IPV4 SUBNETS', 'IPV6 SUBNETS', 'CTRS', 'OUTSIDE'], rows)}` : '';
  return `${head}${table}\n`;
}

export async function runStatus(ctx: RunContext): Promise<void> {
  const snap = await observeHost(ctx, { dockerdProcess: false });
  const agent = await agentView(ctx, snap);
  if (ctx.globals.json) ctx.outJson(statusJson(snap, agent));
  else ctx.out(statusText(snap, agent));
}
