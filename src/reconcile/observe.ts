// Observe for a reconcile: one Docker list call each for networks and containers, one ip6tables-save,
// one netlink read, the IPv6 sysctls and the saved state, all at once.
import type { SysctlStore } from '../host/interfaces';
import { readIpv6Sysctls } from '../model/sysctl';
import type { ParsedRuleset } from '../model/ip6tables-save';
import type { ToolState } from '../model/state';
import { type Observed } from './owned';
import { dockerFacts, vetBridges, type DockerFacts } from '../model/docker';
import { readStateOrLost } from './lost-state';
import { type ApiContainer, type ApiNetwork } from '../model/docker';
import type { NetOps } from '../host/interfaces';
import type { LinkInfo } from '../model/net';

export interface DockerLister {
  listNetworks(): Promise<ApiNetwork[]>;
  /** running containers only (the API default) */
  listContainers(): Promise<ApiContainer[]>;
}

export interface ReconcileDeps {
  docker(): Promise<DockerLister>;
  /** our chains as ip6tables tables (ip6tables, or our nftables table: host/interfaces.ts FirewallAdapter) */
  firewall: { read(table?: 'nat' | 'filter'): Promise<ParsedRuleset>; restore(batch: string): Promise<void> };
  openNet(): Promise<NetOps>;
  sysctl: SysctlStore;
  readState(): Promise<ToolState | undefined>;
  writeState(s: ToolState): Promise<void>;
  /**
   * daemon.json's keys (undefined: missing or unreadable). Read only when the state says nothing: a lost
   * state file with Docker's IPv6 filter still off must keep the bridges closed (reconcile/lost-state.ts).
   */
  daemonConfig?(): Promise<Record<string, unknown> | undefined>;
  /** where the state file is, for messages */
  stateFile?: string;
}

export async function observeDocker(deps: Pick<ReconcileDeps, 'docker'>): Promise<DockerFacts> {
  const d = await deps.docker();
  const [nets, ctrs] = await Promise.all([d.listNetworks(), d.listContainers()]);
  return dockerFacts(nets, ctrs);
}

/** Docker's networks vetted against the host's links (a bridge not Docker's alone is left out), and the links. */
export async function observeVetted(deps: Pick<ReconcileDeps, 'docker' | 'openNet'>, uplink: string): Promise<{ docker: DockerFacts; links: LinkInfo[] }> {
  const net = await deps.openNet();
  try {
    const [docker, ns] = await Promise.all([observeDocker(deps), net.read()]);
    return { docker: vetBridges(docker, ns, uplink), links: ns.links };
  } finally {
    net.close();
  }
}

/** `withDocker: false` (cleanup) works while Docker is down. */
export async function observeForReconcile(deps: ReconcileDeps, net: NetOps, withDocker = true): Promise<Observed> {
  // a lost state with Docker's IPv6 filter still off is refused: nothing may be planned from "not enabled"
  const read = await readStateOrLost(deps);
  if (read.error) throw read.error;
  if (read.lost) throw read.lost;
  const state = read.state;
  const [docker, save, ns, sysctls] = await Promise.all([
    withDocker ? observeDocker(deps) : Promise.resolve({ networks: [], containers: [] }),
    deps.firewall.read(),
    net.read({ routes: 6 }),
    readIpv6Sysctls(deps.sysctl, state?.uplink),
  ]);
  // a bridge that is not Docker's alone (the uplink, a host bridge) is left out of every rule: vetted against the links
  return {
    docker: withDocker ? vetBridges(docker, ns, state?.uplink) : docker, tables: save, links: ns.links, addresses: ns.addresses,
    routes: ns.routes.filter((r) => r.family === 6), proxies: ns.proxies, sysctls, state,
  };
}
