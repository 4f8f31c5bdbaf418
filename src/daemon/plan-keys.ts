// The daemon.json keys enable wants for the running Docker version, prefix and mode (pure).
import { dockerVersionAtLeast, needsExperimental } from './version';
import type { Mode } from '../model/state';
import { formatCidr, parseCidr6, type Cidr6 } from '../model/ip';
import { bridgeSubnet, DOCKER_DEFAULT_V4_POOLS, LEGACY_POOL_ENTRIES, oneSubnetPools, v6PoolsFor, type Pool } from '../model/pools';

function isV6Pool(p: unknown): boolean {
  return typeof (p as Pool)?.base === 'string' && (p as Pool).base.includes(':');
}

export interface DaemonKeyPlan {
  /** keys to set with their new values */
  set: Record<string, unknown>;
  notes: string[];
}

/**
 * Computes the keys. `current` is the parsed daemon.json. Docker programs NAT66 itself when its
 * ip6tables support is on, so nat mode relies on it; routed and ndp turn Docker's IPv6 NAT off
 * (ip6tables false) and the tool provides the forwarding filter itself, the same on every version.
 */
export function planDaemonKeys(current: Record<string, unknown>, version: string, prefix: Cidr6, mode: Mode, opts: { mtu?: number } = {}): DaemonKeyPlan {
  const set: Record<string, unknown> = {};
  const notes: string[] = [];
  const want = (k: string, v: unknown) => { if (JSON.stringify(current[k]) !== JSON.stringify(v)) set[k] = v; };
  want('ipv6', true);
  want('fixed-cidr-v6', formatCidr(bridgeSubnet(prefix)));
  if (mode === 'nat' && current.iptables === false) {
    // Docker manages no firewall at all here: dockerd 20.10 even refuses ip6tables without iptables
    // ("cannot create new chains, EnableIPTable is disabled"); docker-ipv6 masquerades itself.
    want('ip6tables', false);
  } else if (mode === 'nat') {
    want('ip6tables', true);
    if (needsExperimental(version)) {
      want('experimental', true);
      notes.push(`Docker ${version} needs "experimental": true for ip6tables (before 27.0)`);
    }
  } else {
    want('ip6tables', false);
    notes.push('Docker\'s IPv6 NAT is turned off ("ip6tables": false): containers use their own global addresses; docker-ipv6 filters inbound traffic itself');
  }
  const existing = Array.isArray(current['default-address-pools']) ? (current['default-address-pools'] as unknown[]) : undefined;
  const v4 = existing ? existing.filter((p) => !isV6Pool(p)) : DOCKER_DEFAULT_V4_POOLS;
  const foreignV6 = existing ? existing.filter((p) => isV6Pool(p) && !isInside(prefix, (p as Pool).base)) : [];
  const legacy = !dockerVersionAtLeast(version, '27.0');
  const pools = [...v4, ...foreignV6, ...(legacy ? oneSubnetPools(prefix) : v6PoolsFor(prefix))];
  if (legacy) notes.push(`Docker ${version} takes one subnet per IPv6 pool entry: ${LEGACY_POOL_ENTRIES} entries give ${LEGACY_POOL_ENTRIES} automatic IPv6 networks; docker ipv6 network create allocates beyond that`);
  want('default-address-pools', pools);
  // the default bridge's MTU (its containers' interfaces): set only to lower it to the uplink's (model/mtu.ts)
  if (opts.mtu !== undefined) want('mtu', opts.mtu);
  return { set, notes };
}

function isInside(prefix: Cidr6, base: string): boolean {
  const c = parseCidr6(base);
  return !!c && c.start >= prefix.start && c.end <= prefix.end;
}
