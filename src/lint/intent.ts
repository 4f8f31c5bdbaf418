// Does a file show that it wants IPv6 (so "this has no IPv6" rules apply), and do the inputs aim at dual-stack?
import type { LintDoc } from './types';
import { parseAddress, parseCidr } from '../model/ip';

const families = (text: unknown) => new Set(String(text ?? '').split(',').map((t) => parseCidr(t.trim())?.family).filter(Boolean));
const truthy = (v: unknown) => v === true || v === 'true' || v === 'True';

/** A string that is an IPv6 prefix or address (or a comma list holding one), "[::]:80" host ports included. */
function isV6Text(s: string): boolean {
  return s.split(',').some((part) => {
    const t = part.trim().replace(/^\[([^\]]+)\].*$/, '$1');
    return t.includes(':') && (parseCidr(t)?.family === 6 || parseAddress(t)?.family === 6);
  });
}

const V6_KEYS = new Set(['enable_ipv6', 'EnableIPv6', 'com.docker.network.enable_ipv6', 'FELIX_IPV6SUPPORT', 'enableIPv6Masquerade']);

/**
 * Walks the data for any sign of IPv6: an IPv6 prefix or address, an IPv6 switch turned on, an IPv6 family named.
 * A Compose port's host address is no such sign: a port bound to [::1] or [::] is served by Docker's proxy
 * from the host, whatever the container's network has, so it asks nothing of the networks.
 */
function showsIpv6(v: unknown, key = '', depth = 0, compose = false): boolean {
  if (depth > 60) return false;
  if (compose && key === 'ports') return false;
  // Compose enable_ipv4: false turns IPv4 off: whoever writes it means the network to be IPv6-only
  if (key === 'enable_ipv4' && (v === false || v === 'false')) return true;
  if (typeof v === 'string') {
    if (V6_KEYS.has(key) && truthy(v)) return true;
    if (/^(ipFamily|ipFamilies|IP6)$/.test(key) && /^(ipv6|dual|autodetect|can-reach|interface|first-found)/i.test(v)) return true;
    if (key === 'CALICO_IPV6POOL_CIDR') return true;
    // JSON held in a string (Flannel's net-conf.json, a CNI conflist)
    if (/^\s*\{/.test(v)) { try { return showsIpv6(JSON.parse(v), key, depth + 1); } catch { /* not JSON */ } }
    return isV6Text(v);
  }
  if (v === true) return V6_KEYS.has(key);
  if (Array.isArray(v)) return v.some((x) => showsIpv6(x, key, depth + 1, compose));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    // Cilium values: ipv6: {enabled: true}; calico-node env: {name: X, value: Y}
    if (key === 'ipv6' && truthy(o.enabled)) return true;
    if (typeof o.name === 'string' && 'value' in o && showsIpv6(o.value, o.name, depth + 1, compose)) return true;
    return Object.entries(o).some(([k, x]) => showsIpv6(x, k, depth + 1, compose));
  }
  return false;
}

/** Files (by name) whose documents show IPv6 intent. */
export function filesWithIpv6Intent(docs: LintDoc[]): Set<string> {
  const out = new Set<string>();
  for (const d of docs) if (!out.has(d.file) && d.kind !== 'unknown' && showsIpv6(d.data, '', 0, d.kind === 'compose')) out.add(d.file);
  return out;
}

/**
 * Do the inputs as a whole aim at dual-stack? Any one of: a dual-stack kubeadm config, a Service
 * asking for two families, IPv4 and IPv6 Calico pools, a Flannel config with both networks,
 * Cilium values with both families on, a dual kind or Cluster API cluster.
 */
export function dualStackIntent(docs: LintDoc[]): boolean {
  const calico = new Set<number | undefined>();
  for (const d of docs) {
    const x = d.data ?? {};
    switch (d.kind) {
      case 'kubeadm':
        if (families(x.networking?.podSubnet).size === 2 || families(x.networking?.serviceSubnet).size === 2) return true;
        break;
      case 'kind-cluster':
        if (x.networking?.ipFamily === 'dual') return true;
        break;
      case 'capi-cluster': {
        const n = x.spec?.clusterNetwork ?? {};
        const list = (v: unknown) => (Array.isArray(v) ? v.join(',') : v);
        if (families(list(n.pods?.cidrBlocks)).size === 2 || families(list(n.services?.cidrBlocks)).size === 2) return true;
        break;
      }
      case 'k8s-service':
        if (['PreferDualStack', 'RequireDualStack'].includes(x.spec?.ipFamilyPolicy) || (Array.isArray(x.spec?.ipFamilies) && x.spec.ipFamilies.length === 2)) return true;
        break;
      case 'calico-ippool':
        if (x.spec?.disabled !== true) calico.add(parseCidr(String(x.spec?.cidr ?? ''))?.family);
        if (calico.has(4) && calico.has(6)) return true;
        break;
      case 'cilium-values':
        if (x.ipv6?.enabled === true && x.ipv4?.enabled !== false) return true;
        break;
      case 'flannel-netconf':
      case 'flannel-configmap': {
        let conf = x;
        if (d.kind === 'flannel-configmap') { try { conf = JSON.parse(String(x.data?.['net-conf.json'])); } catch { conf = {}; } }
        if (conf?.Network && conf?.IPv6Network) return true;
        break;
      }
      default:
    }
  }
  return false;
}
