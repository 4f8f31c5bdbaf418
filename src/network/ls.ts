// `network ls`: every network with its IPv4 and IPv6 subnets, IPv6 status and whether docker-ipv6 manages it.
import type { RunContext } from '../cli/context';
import { shellQuote } from '../util/shell-quote';
import { renderTable } from '../util/table';
import type { NetworkFacts } from '../model/docker';
import { listNetworkFacts } from '../subnets/observe';
import { MANAGED_LABEL } from '../subnets/plan';

export interface NetworkRow { name: string; driver: string; ipv4: string[]; ipv6: string[]; ipv6Status: string; managed: boolean; /** false: a Docker 28+ IPv6-only network */ ipv4Enabled: boolean }

/** Docker's predefined "bridge" network (docker0), as opposed to a user network that happens to use the bridge driver. */
export function isDefaultBridge(n: Pick<NetworkFacts, 'name' | 'driver' | 'options'>): boolean {
  return n.driver === 'bridge' && (n.options['com.docker.network.bridge.default_bridge'] === 'true' || n.name === 'bridge');
}

export function ipv6Status(n: NetworkFacts): string {
  if (n.driver === 'host' || n.driver === 'null' || n.driver === 'none') return 'n/a';
  // the default bridge cannot be re-created (network upgrade refuses it): daemon.json gives it IPv6
  if (!n.enableIPv6) return isDefaultBridge(n) ? 'off (docker ipv6 enable)' : `off (docker ipv6 network upgrade ${shellQuote(n.name)})`;
  if (!n.ipv6Subnets.length) return 'on, no subnet';
  return n.enableIPv4 === false ? 'on (IPv6-only)' : 'on';
}

export function networkRows(nets: NetworkFacts[]): NetworkRow[] {
  return nets.map((n) => ({
    name: n.name, driver: n.driver,
    ipv4: n.ipv4Subnets, ipv6: n.ipv6Subnets,
    ipv6Status: ipv6Status(n), managed: n.labels[MANAGED_LABEL] === 'true', ipv4Enabled: n.enableIPv4 !== false,
  })).sort((a, b) => a.name.localeCompare(b.name));
}

export async function runNetworkLs(ctx: RunContext): Promise<void> {
  const docker = await ctx.host.docker.connect();
  const rows = networkRows(await listNetworkFacts(docker));
  if (ctx.globals.json) { ctx.outJson({ networks: rows }); return; }
  ctx.out(renderTable(['NAME', 'DRIVER', 'IPV4', 'IPV6', 'IPV6 STATUS', 'MANAGED'],
    rows.map((r) => [r.name, r.driver, r.ipv4Enabled ? r.ipv4.join(',') || '-' : 'off (IPv6-only)', r.ipv6.join(',') || '-', r.ipv6Status, r.managed ? 'yes' : ''])));
}
