// Observe for a reconcile: one Docker list call each for networks and containers, one ip6tables-save,
// one netlink read, the IPv6 sysctls and the saved state, all at once.
import type { SysctlStore } from '../host/interfaces';
import { readIpv6Sysctls } from '../model/sysctl';
import type { ParsedRuleset } from '../model/ip6tables-save';
import type { ToolState } from '../model/state';
import { type Observed } from './owned';
import { dockerFacts, type DockerFacts } from '../model/docker';
import { type ApiContainer, type ApiNetwork } from '../model/docker';
import type { NetOps } from '../host/interfaces';

export interface DockerLister {
  listNetworks(): Promise<ApiNetwork[]>;
  /** running containers only (the API default) */
  listContainers(): Promise<ApiContainer[]>;
}

export interface ReconcileDeps {
  docker(): Promise<DockerLister>;
  /** our chains as ip6tables tables (ip6tables, or our nftables table: host/interfaces.ts FirewallAdapter) */
  firewall: { read(): Promise<ParsedRuleset>; restore(batch: string): Promise<void> };
  openNet(): Promise<NetOps>;
  sysctl: SysctlStore;
  readState(): Promise<ToolState | undefined>;
  writeState(s: ToolState): Promise<void>;
}

export async function observeDocker(deps: Pick<ReconcileDeps, 'docker'>): Promise<DockerFacts> {
  const d = await deps.docker();
  const [nets, ctrs] = await Promise.all([d.listNetworks(), d.listContainers()]);
  return dockerFacts(nets, ctrs);
}

/** `withDocker: false` (cleanup) works while Docker is down. */
export async function observeForReconcile(deps: ReconcileDeps, net: NetOps, withDocker = true): Promise<Observed> {
  const state = await deps.readState();
  const [docker, save, ns, sysctls] = await Promise.all([
    withDocker ? observeDocker(deps) : Promise.resolve({ networks: [], containers: [] }),
    deps.firewall.read(),
    net.read(),
    readIpv6Sysctls(deps.sysctl, state?.uplink),
  ]);
  return {
    docker, tables: save, links: ns.links,
    routes: ns.routes.filter((r) => r.family === 6), proxies: ns.proxies, sysctls, state,
  };
}
