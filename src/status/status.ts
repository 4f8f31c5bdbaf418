// Renders the host snapshot for `status`: compact tables for people, or --json.
import type { RunContext } from '../cli/context';
import { renderTable } from '../util/table';
import { classifyOutside, OUTSIDE_TEXT } from '../observe/outside';
import { uplinkMtu } from '../model/mtu';
import { observeHost, type HostSnapshot } from '../observe/snapshot';
import { agentJson, agentLine, readAgentStatus, type AgentStatus } from '../agent/status-file';

const DAEMON_KEYS = ['ipv6', 'fixed-cidr-v6', 'ip6tables', 'experimental', 'default-address-pools'];

export function statusJson(snap: HostSnapshot, agent?: AgentStatus): unknown {
  return {
    agent: agentJson(agent),
    endpoint: snap.endpoint,
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
    firewall: { available: snap.firewall.available, backend: snap.firewall.backend, version: snap.firewall.version, error: snap.firewall.error },
    state: snap.state ?? null,
    networks: snap.networks.map((n) => ({
      name: n.name, id: n.id, driver: n.driver, enableIPv6: n.enableIPv6, internal: n.internal,
      ipv4Subnets: n.ipv4Subnets, ipv6Subnets: n.ipv6Subnets, bridge: n.bridge, containers: n.containers,
      outside: classifyOutside(n, snap),
    })),
  };
}

export function statusText(snap: HostSnapshot, agent?: AgentStatus): string {
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
  const mtu = uplinkMtu(snap.host.net?.links ?? [], up, s);
  const lines: Array<[string, string]> = [
    ['Docker', `${snap.endpoint.host} (${snap.endpoint.source})`],
    ['Daemon', d.reachable ? `${d.version} (API ${d.apiVersion}), default bridge IPv6: ${d.bridgeIPv6 ? 'yes' : 'no'}` : `unreachable: ${d.error}`],
    ['daemon.json', cfg.error ? `${cfg.path}: ${cfg.error}` : `${cfg.path}${cfg.exists ? '' : ' (absent)'}: ${keys}`],
    ['Uplink', up ? `${up} (${snap.host.uplinkReason})${mtu ? `, MTU ${mtu}` : ''}${snap.host.error ? `; ${snap.host.error}` : ''}` : `none: ${snap.host.error ?? snap.host.uplinkReason}`],
    ['Sysctls', `forwarding all=${s['net.ipv6.conf.all.forwarding'] ?? '?'}` + (up ? ` ${up}: accept_ra=${s[`net.ipv6.conf.${up}.accept_ra`] ?? '?'} proxy_ndp=${s[`net.ipv6.conf.${up}.proxy_ndp`] ?? '?'}` : '') + ` disable_ipv6=${s['net.ipv6.conf.all.disable_ipv6'] ?? '?'}`],
    ['ip6tables', snap.firewall.available ? `${snap.firewall.version} (${snap.firewall.backend})${snap.firewall.error ? `; ${snap.firewall.error}` : ''}` : `missing: ${snap.firewall.error}`],
    ['Agent', agentLine(agent)],
    ['docker-ipv6', snap.state?.enabled ? `enabled, prefix ${snap.state.prefix}, mode ${snap.state.mode}${snap.state.mode === 'nat' && snap.state.natSource ? `, egress from ${snap.state.natSource}` : ''}` : snap.state?.prefix ? `not enabled (prefix ${snap.state.prefix} saved)` : 'not enabled'],
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
  const [snap, agent] = await Promise.all([observeHost(ctx, { dockerdProcess: false }), readAgentStatus(ctx.paths.stateDir)]);
  if (ctx.globals.json) ctx.outJson(statusJson(snap, agent));
  else ctx.out(statusText(snap, agent));
}
