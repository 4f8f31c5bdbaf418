// Facts network create/upgrade decide from: Docker's networks, daemon.json pools, host addresses/routes, saved state.
import type { RunContext } from '../cli/context';
import { parseDaemonJson } from '../daemon/parse';
import type { DockerClient } from '../host/docker-api';
import { ConfigError } from '../errors';
import type { HostAdapters } from '../host/interfaces';
import type { NetState } from '../model/net';
import { type ToolState } from '../model/state';
import { parseCidr6, type Cidr6 } from '../model/ip';
import type { Pool } from '../model/pools';
import type { UsedSpace } from '../model/alloc';
import { networkFacts, type ApiNetwork, type NetworkFacts } from '../model/docker';
import { liveAllocations, usedSpace, v4Pools } from '../model/space';

export interface SpaceFacts {
  state: ToolState;
  prefix?: Cidr6;
  networks: NetworkFacts[];
  used: UsedSpace;
  /** allocations of networks that no longer exist, dropped from `state` (write the state to make it stick) */
  released: string[];
  pools: Pool[];
  net?: NetState;
}

/** Every network from one list call, in the tool's one normalised form (model/docker.ts). */
export async function listNetworkFacts(docker: DockerClient): Promise<NetworkFacts[]> {
  return (await docker.listNetworks()).map((n) => networkFacts(n as ApiNetwork));
}

async function daemonPools(host: HostAdapters, path: string): Promise<unknown[] | undefined> {
  let text: string | undefined;
  try { text = await host.files.readText(path); } catch (e) {
    throw new ConfigError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (text === undefined) return undefined;
  const v = parseDaemonJson(text, path).value as Record<string, unknown>;
  const p = v['default-address-pools'];
  return Array.isArray(p) ? p : undefined;
}

async function hostNet(host: HostAdapters): Promise<NetState> {
  const net = await host.openNet();
  try { return await net.read(); } finally { net.close(); }
}

/** One look at everything that occupies address space (call it while holding the lock). */
export async function observeSpace(ctx: RunContext, docker: DockerClient, exclude?: { network: string; bridge: string }): Promise<SpaceFacts> {
  const [networks, pools, net, saved] = await Promise.all([
    listNetworkFacts(docker), daemonPools(ctx.host, ctx.globals.configFile), hostNet(ctx.host), ctx.host.state.read(),
  ]);
  const state = saved ?? { version: 1 as const };
  const { kept, released } = liveAllocations(state.allocations, networks.map((n) => n.name));
  if (released.length) state.allocations = kept;
  const prefix = state.prefix ? parseCidr6(state.prefix) : undefined;
  // upgrade re-creates a network on its own IPv4 subnet: its entry, bridge address and route do not count
  const others = exclude ? networks.filter((n) => n.name !== exclude.network) : networks;
  const hostNetSeen = exclude ? { ...net, addresses: net.addresses.filter((a) => a.ifname !== exclude.bridge), routes: net.routes.filter((r) => r.ifname !== exclude.bridge) } : net;
  const allocations = exclude ? Object.fromEntries(Object.entries(state.allocations ?? {}).filter(([k]) => k !== exclude.network)) : state.allocations;
  const used = usedSpace({ networks: others, pools, net: hostNetSeen, allocations, prefix });
  return { state, prefix, networks, used, pools: v4Pools(pools), net, released };
}
