// kubeadm ClusterConfiguration rules: dual-stack pod and service subnets, their sizes, malformed CIDRs.
import type { DocRule, RawFinding, RuleMeta, LintDoc, Span } from '../types';
import { parseCidr, formatCidr, hostBitCount, type Cidr } from '../../model/ip';
import { firstSpan, nodeAt, spanOf } from '../source';
import { isPlaceholder } from '../interpolate';

export const kubeadmRules: RuleMeta[] = [
  { id: 'kubeadm/not-dual-stack', severity: 'warning', summary: 'podSubnet or serviceSubnet has only one address family', gated: true },
  { id: 'kubeadm/cidr-invalid', severity: 'error', summary: 'a malformed podSubnet/serviceSubnet entry, or two of one family' },
  { id: 'kubeadm/service-subnet-too-large', severity: 'error', summary: 'a serviceSubnet larger than the API server accepts (more than 20 host bits)' },
  { id: 'kubeadm/pod-subnet-too-small', severity: 'error', summary: 'an IPv6 podSubnet that cannot hold the per-node mask' },
];

/** kube-apiserver refuses a service range with more than 2^20 addresses (/12 for IPv4, /108 for IPv6). */
export const MAX_SERVICE_HOST_BITS = 20;

interface Entry { text: string; cidr?: Cidr }

function field(doc: LintDoc, key: 'podSubnet' | 'serviceSubnet'): { entries: Entry[]; span?: Span; placeholder?: boolean } {
  const v = doc.data?.networking?.[key];
  if (v === undefined || v === null || v === '') return { entries: [] };
  const node = nodeAt(doc, ['networking', key]);
  // a value filled in later (${VAR}) is not judged
  if (isPlaceholder(String(v))) return { entries: [] , span: undefined, placeholder: true };
  const entries = String(v).split(',').map((t) => t.trim()).filter(Boolean).map((text) => ({ text, cidr: parseCidr(text) }));
  return { entries, span: node ? spanOf(node) : undefined };
}

/** kube-controller-manager's --node-cidr-mask-size-ipv6 from extraArgs (v1beta3 map or v1beta4 list). */
function nodeMaskV6(doc: LintDoc): number {
  const args = doc.data?.controllerManager?.extraArgs;
  let v: unknown;
  if (Array.isArray(args)) v = args.find((a) => a?.name === 'node-cidr-mask-size-ipv6')?.value;
  else if (args && typeof args === 'object') v = args['node-cidr-mask-size-ipv6'];
  const n = Number(v);
  return Number.isInteger(n) && n > 0 && n <= 128 ? n : 64;
}

const v6Only = (entries: Entry[]) => entries.length === 1 && entries[0].cidr?.family === 6;

const kubeadmNetworking: DocRule = (doc, ctx) => {
  const out: RawFinding[] = [];
  const fallback = firstSpan(doc, ['networking'], ['kind']);
  // an IPv6-only cluster is a choice, not a missing family: respected unless --dual-stack asks for both
  const ipv6Only = v6Only(field(doc, 'podSubnet').entries) && v6Only(field(doc, 'serviceSubnet').entries) && !ctx.dualStackFlag;
  if (ipv6Only) out.push({ rule: 'k8s/single-family-choice', at: field(doc, 'podSubnet').span ?? fallback, message: 'an IPv6-only cluster (podSubnet and serviceSubnet IPv6): respected, no IPv4 asked for', fix: 'nothing to do if intended; for dual-stack give both subnets an IPv4 prefix too' });
  for (const key of ['podSubnet', 'serviceSubnet'] as const) {
    const { entries, span, placeholder } = field(doc, key);
    if (placeholder) continue;
    const at = span ?? fallback;
    for (const e of entries) {
      if (!e.cidr) out.push({ rule: 'kubeadm/cidr-invalid', at, message: `networking.${key} entry "${e.text}" is not a CIDR prefix`, fix: 'write "IPv4/len,IPv6/len", e.g. "10.244.0.0/16,fd00:10:244::/56"' });
      else if (e.cidr.hostBits) out.push({ rule: 'kubeadm/cidr-invalid', severity: 'warning', at, message: `networking.${key} entry "${e.text}" has host bits set`, fix: `use ${formatCidr(e.cidr)}` });
    }
    const good = entries.filter((e) => e.cidr).map((e) => e.cidr!);
    const v4 = good.filter((c) => c.family === 4).length;
    const v6 = good.filter((c) => c.family === 6).length;
    if (entries.length > 2 || v4 > 1 || v6 > 1) {
      out.push({ rule: 'kubeadm/cidr-invalid', at, message: `networking.${key} must hold at most one prefix per family, got "${entries.map((e) => e.text).join(',')}"`, fix: 'keep one IPv4 and one IPv6 prefix' });
    } else if (good.length === entries.length && !(v4 === 1 && v6 === 1) && !ipv6Only) {
      const has = entries.length === 0 ? (key === 'serviceSubnet' ? 'only the IPv4 default 10.96.0.0/12' : 'no value') : `only ${v6 ? 'IPv6' : 'IPv4'}`;
      out.push({
        rule: 'kubeadm/not-dual-stack',
        at,
        message: `networking.${key} has ${has}: the cluster will not be dual-stack`,
        fix: `set ${key} to one IPv4 and one IPv6 prefix, e.g. "${key === 'podSubnet' ? '10.244.0.0/16,fd00:10:244::/56' : '10.96.0.0/16,fd00:10:96::/112'}"`,
      });
    }
    for (const c of good) {
      if (key === 'serviceSubnet' && hostBitCount(c) > MAX_SERVICE_HOST_BITS) {
        const max = c.family === 6 ? 108 : 12;
        out.push({
          rule: 'kubeadm/service-subnet-too-large',
          at,
          message: `serviceSubnet ${formatCidr(c)} is larger than the API server allows (at most /${max} for IPv${c.family}): kube-apiserver will not start`,
          fix: `use a /${max} or smaller, e.g. ${formatCidr({ ...c, length: c.family === 6 ? 112 : 16 })}`,
        });
      }
      if (key === 'podSubnet' && c.family === 6) {
        const mask = nodeMaskV6(doc);
        if (c.length >= mask || mask - c.length > 16) {
          out.push({
            rule: 'kubeadm/pod-subnet-too-small',
            at,
            message: c.length >= mask
              ? `IPv6 podSubnet ${formatCidr(c)} is not larger than the per-node mask /${mask}: kube-controller-manager cannot hand out node ranges`
              : `IPv6 podSubnet ${formatCidr(c)} is more than 16 bits larger than the per-node mask /${mask}: kube-controller-manager refuses it`,
            fix: c.length >= mask ? `use a prefix between /${Math.max(mask - 16, 0)} and /${mask - 1}, e.g. /56 with the default /64 per node` : `use /${mask - 16} or longer, or raise node-cidr-mask-size-ipv6`,
          });
        }
      }
    }
  }
  return out;
};

export const kubeadmDocRules: DocRule[] = [kubeadmNetworking];
