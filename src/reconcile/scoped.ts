// The renumbering pass's observe and desired (npt): only what depends on the outside prefix, from the state alone.
//
// What a new outside prefix changes, and why nothing else: the translation is two NETMAP rules (D6-NAT, D6-DNAT;
// nft `snat|dnat ip6 prefix to`) naming the inside and outside prefixes and the uplink, whatever networks Docker
// has (desiredNatRules); the unreachable routes are the two prefixes (unreachableRoutes). The filter never names
// the outside prefix: translation happens before FORWARD on the way in and after it on the way out, so it sees
// inside addresses only, and npt's "came in untranslated" rule matches conntrack's DNAT status, not a prefix
// (firewall/batches.ts inboundRules). Sysctls (forwarding) and NDP proxy entries (ndp mode only) do not depend
// on it either. So the pass reads the state, our nat table and the IPv6 routes, asks Docker nothing, and builds
// its wants with the same pure functions as the full pass: the agent's next full pass finds nothing to change.
import type { NetOps } from '../host/interfaces';
import type { NetState } from '../model/net';
import { desiredNatRules, natWanted, unreachableRoutes, type Desired } from './desired';
import { readStateOrLost } from './lost-state';
import type { ReconcileDeps } from './observe';
import type { Observed, Owned } from './owned';

/** The facts the translation depends on; Docker's lists and the sysctls stay empty (nothing is planned from them). */
export async function observeTranslation(deps: ReconcileDeps, net: NetOps, read?: NetState): Promise<Observed> {
  const got = await readStateOrLost(deps);
  if (got.error) throw got.error;
  if (got.lost) throw got.lost;
  const [tables, ns] = await Promise.all([deps.firewall.read('nat'), read ?? net.read({ routes: 6 })]);
  return {
    docker: { networks: [], containers: [] }, tables, links: ns.links, addresses: ns.addresses,
    routes: ns.routes.filter((r) => r.family === 6), proxies: ns.proxies, sysctls: {}, state: got.state,
  };
}

/** The full pass's wants for the nat table and the routes (npt's need no Docker facts); the rest as the state has it. */
export function desiredTranslation(owned: Owned | undefined): Desired {
  if (owned?.mode !== 'npt') throw new Error(`a translation-scoped pass is npt mode's (the state says ${owned ? `mode ${owned.mode}` : 'not enabled'})`);
  return {
    nat: natWanted(owned) ? desiredNatRules(owned, { networks: [], containers: [] }) : undefined,
    // the filter is not planned: the bridges the last full pass recorded for the boot skeleton stay recorded
    ...(owned.bridges ? { bridges: owned.bridges } : {}),
    routes: unreachableRoutes(owned),
    // npt mode has no proxy entries (the full pass wants none either) and its sysctls do not depend on the prefix
    proxies: [],
    sysctls: [],
  };
}
