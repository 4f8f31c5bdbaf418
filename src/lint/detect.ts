// Decides what a YAML/JSON document is (Compose, a Kubernetes object, kubeadm, a CNI config) from its content.
import { basename } from 'node:path';
import type { DocKind } from './types';

const CILIUM_KEYS = [
  'routingMode', 'tunnelProtocol', 'tunnel', 'kubeProxyReplacement', 'autoDirectNodeRoutes', 'hubble',
  'ipv4NativeRoutingCIDR', 'ipv6NativeRoutingCIDR', 'enableIPv6Masquerade', 'enableIPv4Masquerade', 'bpf', 'operator',
];

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A DaemonSet running calico-node: its image, or the env variables only calico-node reads. */
function isCalicoNode(data: Record<string, any>): boolean {
  const containers: unknown[] = data.spec?.template?.spec?.containers ?? [];
  return Array.isArray(containers) && containers.some((c: any) => isObj(c) && (
    /calico\/node(:|@|$)/.test(String(c.image ?? ''))
    || (Array.isArray(c.env) && c.env.some((e: any) => /^(CALICO_IPV[46]POOL_|FELIX_IPV6SUPPORT$)/.test(String(e?.name ?? ''))))
  ));
}

export function isComposeFileName(file: string): boolean {
  return /^(docker-)?compose(\.[\w-]+)?\.ya?ml$/i.test(basename(file));
}

export function detectKind(data: unknown, file: string): DocKind {
  if (!isObj(data)) return 'unknown';
  const apiVersion = typeof data.apiVersion === 'string' ? data.apiVersion : '';
  const kind = typeof data.kind === 'string' ? data.kind : '';
  if (apiVersion && kind) {
    if (kind === 'ClusterConfiguration' && apiVersion.startsWith('kubeadm.k8s.io/')) return 'kubeadm';
    if (kind === 'IPPool' && /(^|\.)projectcalico\.org\//.test(apiVersion)) return 'calico-ippool';
    if (kind === 'Installation' && apiVersion.startsWith('operator.tigera.io/')) return 'calico-installation';
    if (kind === 'Cluster' && apiVersion.startsWith('kind.x-k8s.io/')) return 'kind-cluster';
    if (kind === 'Cluster' && apiVersion.startsWith('cluster.x-k8s.io/')) return 'capi-cluster';
    if (kind === 'DaemonSet' && isCalicoNode(data)) return 'calico-node';
    if (kind === 'ConfigMap' && isObj(data.data) && 'net-conf.json' in data.data) return 'flannel-configmap';
    if (kind === 'Service' && apiVersion === 'v1') return 'k8s-service';
    if (kind === 'NetworkPolicy' && apiVersion.startsWith('networking.k8s.io/')) return 'k8s-networkpolicy';
    return 'k8s-other';
  }
  if (isObj(data.services) || (isComposeFileName(file) && (isObj(data.networks) || 'version' in data))) return 'compose';
  if (isObj(data.installation) && isObj(data.installation.calicoNetwork)) return 'calico-values';
  if (typeof data.cniVersion === 'string' && (typeof data.type === 'string' || Array.isArray(data.plugins))) return 'cni-config';
  if (typeof data.Network === 'string' && (isObj(data.Backend) || 'IPv6Network' in data || 'EnableIPv6' in data)) return 'flannel-netconf';
  const ciliumFile = /cilium/i.test(basename(file));
  const familyToggle = (isObj(data.ipv6) && 'enabled' in data.ipv6) || (isObj(data.ipv4) && 'enabled' in data.ipv4);
  // one generic key (tunnel, bpf, hubble) alone is too weak a sign in a directory walk
  const keys = CILIUM_KEYS.filter((k) => k in data).length;
  if (familyToggle || keys >= 2 || (ciliumFile && (keys >= 1 || familyToggle))) return 'cilium-values';
  return 'unknown';
}
