// The facts a reconcile pass works from: Docker's networks and containers, the host's firewall, routes, proxies, state.
import type { ParsedRuleset } from '../model/ip6tables-save';
import type { AddrInfo, LinkInfo, ProxyEntry, RouteInfo } from '../model/net';
import type { Mode, ToolState } from '../model/state';
import type { DockerFacts } from '../model/docker';

/** What the saved state says we own and how (undefined: not enabled, we own nothing but leftovers). */
export interface Owned {
  prefix: string; mode: Mode; uplink: string; natByUs: boolean; filterByUs: boolean;
  /** nat mode: the address container egress leaves with (enable --nat-source) */
  natSource?: string;
  /** bridges with names of their own the last pass listed (state.bridges): the skeleton closes them */
  bridges?: string[];
  /** npt: the outside prefix the inside one (prefix) is translated to */
  outsidePrefix?: string;
}

export interface Observed {
  docker: DockerFacts;
  tables: ParsedRuleset;
  links: LinkInfo[];
  addresses: AddrInfo[];
  routes: RouteInfo[];
  proxies: ProxyEntry[];
  sysctls: Record<string, string | undefined>;
  state?: ToolState;
}

export function ownedFrom(state: ToolState | undefined): Owned | undefined {
  const en = state?.enabled;
  if (!en || !state?.prefix || !state.mode || !state.uplink) return undefined;
  if (state.mode === 'npt' && !state.outsidePrefix) return undefined;
  return {
    prefix: state.prefix, mode: state.mode, uplink: state.uplink, natByUs: en.natByUs, filterByUs: en.filterByUs,
    ...(state.mode === 'nat' && state.natSource ? { natSource: state.natSource } : {}),
    ...(state.bridges?.length ? { bridges: state.bridges } : {}), ...(state.mode === 'npt' ? { outsidePrefix: state.outsidePrefix } : {}),
  };
}
