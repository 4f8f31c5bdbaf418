// The namespace's links, addresses, routes and NDP proxy entries as data (read by host/netlink.ts), and the uplink they imply.

export interface LinkInfo {
  index: number; name: string; up: boolean; kind?: string; /** hardware address, hex pairs with colons */ mac?: string;
  mtu?: number;
  /** ifindex of the bridge (or other master) the link is a port of: a container's veth on a Docker bridge */
  master?: number;
}
export interface AddrInfo { ifindex: number; ifname: string; family: 4 | 6; address: string; prefixlen: number; scope: number; flags: string[] }
export interface RouteInfo { family: 4 | 6; dst: string; gateway?: string; ifindex?: number; ifname?: string; table: number; protocol: string; type: string }
export interface ProxyEntry { address: string; ifindex: number; ifname: string; /** NDA_PROTOCOL, when set */ protocol?: number }

export interface NetState {
  links: LinkInfo[];
  addresses: AddrInfo[];
  routes: RouteInfo[];
  proxies: ProxyEntry[];
}

/** The uplink: the interface of the IPv6 default route, else of the IPv4 one. */
export function findUplink(state: NetState): { name?: string; reason: string } {
  const main = state.routes.filter((r) => r.table === 254 && r.ifname);
  const v6 = main.find((r) => r.family === 6 && r.dst === '::/0');
  if (v6) return { name: v6.ifname, reason: 'interface of the IPv6 default route' };
  const v4 = main.find((r) => r.family === 4 && r.dst === '0.0.0.0/0');
  if (v4) return { name: v4.ifname, reason: 'interface of the IPv4 default route (no IPv6 default route)' };
  return { reason: 'no default route' };
}
