// The Compose `networks:` block for an allocation, ready to paste (pure).
import { stringify } from 'yaml';
import type { NetworkPlan } from '../subnets/plan';

export function composeBlock(p: NetworkPlan): string {
  const cfg = (c: NetworkPlan['v6']) => ({ subnet: c.subnet, ...(c.gateway ? { gateway: c.gateway } : {}), ...(c.ipRange ? { ip_range: c.ipRange } : {}) });
  // enable_ipv4 is Compose 2.33.1+ (and Docker 28+)
  const net: Record<string, unknown> = { driver: 'bridge', ...(p.v4 ? {} : { enable_ipv4: false }), enable_ipv6: true };
  if (p.internal) net.internal = true;
  if (p.attachable) net.attachable = true;
  if (Object.keys(p.options).length) net.driver_opts = p.options;
  net.ipam = { config: [...(p.v4 ? [cfg(p.v4)] : []), cfg(p.v6)] };
  net.labels = p.labels;
  return stringify({ networks: { [p.name]: net } });
}
