// Kubernetes Service rules: ipFamilies against ipFamilyPolicy, and single-stack Services in a dual-stack intent.
import type { DocRule, RawFinding, RuleMeta } from '../types';
import { parseAddress } from '../../model/ip';
import { firstSpan, keySpan } from '../source';

export const serviceRules: RuleMeta[] = [
  { id: 'k8s/service-ipfamilies-mismatch', severity: 'error', summary: 'ipFamilies inconsistent with ipFamilyPolicy or clusterIPs' },
  { id: 'k8s/service-lb-single-stack', severity: 'warning', summary: 'a LoadBalancer Service that is single-stack in a dual-stack intent' },
  { id: 'k8s/service-ipfamily-removed', severity: 'error', summary: 'spec.ipFamily, removed in Kubernetes 1.20 and dropped silently; use ipFamilies + ipFamilyPolicy' },
  { id: 'k8s/single-family-choice', severity: 'info', summary: 'an explicit single-family choice (a SingleStack Service, an IPv6-only cluster) is respected; reported once per file', oncePerFile: true },
  { id: 'k8s/service-ipfamilypolicy-missing', severity: 'warning', summary: 'a Service without ipFamilyPolicy (so SingleStack) in a dual-stack intent' },
];

const POLICIES = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];
const FAMILIES = ['IPv4', 'IPv6'];

const familiesVsPolicy: DocRule = (doc) => {
  const out: RawFinding[] = [];
  const spec = doc.data?.spec ?? {};
  const policy = spec.ipFamilyPolicy;
  const families: unknown[] = Array.isArray(spec.ipFamilies) ? spec.ipFamilies : [];
  const famAt = firstSpan(doc, ['spec', 'ipFamilies'], ['spec']);
  const polAt = firstSpan(doc, ['spec', 'ipFamilyPolicy'], ['spec']);
  const name = doc.data?.metadata?.name ?? '(unnamed)';
  if (policy !== undefined && !POLICIES.includes(policy)) {
    out.push({ rule: 'k8s/service-ipfamilies-mismatch', at: polAt, message: `Service ${name}: ipFamilyPolicy "${policy}" is not one of ${POLICIES.join(', ')}`, fix: 'use SingleStack, PreferDualStack or RequireDualStack' });
  }
  const bad = families.filter((f) => !FAMILIES.includes(String(f)));
  if (bad.length) out.push({ rule: 'k8s/service-ipfamilies-mismatch', at: famAt, message: `Service ${name}: ipFamilies holds ${bad.map((b) => `"${b}"`).join(', ')}; only IPv4 and IPv6 exist (case matters)`, fix: 'write IPv4 or IPv6' });
  if (families.length > 2 || new Set(families).size !== families.length) {
    out.push({ rule: 'k8s/service-ipfamilies-mismatch', at: famAt, message: `Service ${name}: ipFamilies must list each family at most once`, fix: 'list IPv4 and IPv6 once each, primary family first' });
  } else if (policy === 'SingleStack' && families.length === 2) {
    out.push({ rule: 'k8s/service-ipfamilies-mismatch', at: polAt, message: `Service ${name}: ipFamilyPolicy SingleStack with two ipFamilies is rejected by the API server`, fix: 'set ipFamilyPolicy: RequireDualStack (or PreferDualStack), or keep one family' });
  }
  const ips: unknown[] = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
  ips.forEach((ip, i) => {
    const a = parseAddress(String(ip));
    const fam = families[i];
    if (a && fam && FAMILIES.includes(String(fam)) && `IPv${a.family}` !== fam) {
      out.push({ rule: 'k8s/service-ipfamilies-mismatch', at: keySpan(doc, ['spec', 'clusterIPs']) ?? famAt, message: `Service ${name}: clusterIPs[${i}] ${ip} is IPv${a.family} but ipFamilies[${i}] is ${fam}`, fix: 'order ipFamilies like clusterIPs, or drop clusterIPs and let the cluster assign them' });
    }
  });
  return out;
};

const ipFamilyRemoved: DocRule = (doc) => {
  const fam = doc.data?.spec?.ipFamily;
  if (fam === undefined) return [];
  const name = doc.data?.metadata?.name ?? '(unnamed)';
  const v6 = String(fam) === 'IPv6';
  return [{
    rule: 'k8s/service-ipfamily-removed',
    at: keySpan(doc, ['spec', 'ipFamily'])!,
    message: `Service ${name}: spec.ipFamily was removed in Kubernetes 1.20 and the API server drops it without a word, so this Service gets the cluster's primary family${v6 ? ' (IPv4 on most clusters), not IPv6' : ''}`,
    fix: `replace it with ipFamilies: [${v6 ? 'IPv6' : String(fam)}] and ipFamilyPolicy: SingleStack (or ipFamilies: [IPv4, IPv6] with ipFamilyPolicy: PreferDualStack)`,
  }];
};

const singleStackInDualIntent: DocRule = (doc, ctx) => {
  if (!ctx.dualStack) return [];
  const spec = doc.data?.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  if (type === 'ExternalName') return [];
  // headless without selector: endpoints are managed by hand, families follow them
  if (spec.clusterIP === 'None' && !spec.selector) return [];
  const policy = spec.ipFamilyPolicy;
  const families: unknown[] = Array.isArray(spec.ipFamilies) ? spec.ipFamilies : [];
  const single = policy === 'SingleStack' || (policy === undefined && families.length < 2);
  if (!single) return [];
  const name = doc.data?.metadata?.name ?? '(unnamed)';
  // SingleStack written down, or one family named: the author chose it; say so once, do not ask for dual-stack
  if (((policy === 'SingleStack' && families.length <= 1) || families.length === 1) && !ctx.dualStackFlag) {
    return [{
      rule: 'k8s/single-family-choice',
      at: firstSpan(doc, ['spec', 'ipFamilyPolicy'], ['spec', 'ipFamilies'], ['spec']),
      message: `Service ${name} chose one family (${policy ? `ipFamilyPolicy ${policy}` : ''}${policy && families.length ? ', ' : ''}${families.length ? `ipFamilies [${families.join(', ')}]` : ''}) in a dual-stack setup: respected${type === 'LoadBalancer' ? `; its load balancer gets no ${families[0] === 'IPv6' ? 'IPv4' : 'IPv6'} frontend` : ''}`,
      fix: 'nothing to do if intended; for both families use ipFamilyPolicy: PreferDualStack and ipFamilies: [IPv4, IPv6]',
    }];
  }
  if (type === 'LoadBalancer') {
    return [{
      rule: 'k8s/service-lb-single-stack',
      at: firstSpan(doc, ['spec', 'ipFamilyPolicy'], ['spec', 'type'], ['spec']),
      message: `LoadBalancer Service ${name} is single-stack (${policy ? 'ipFamilyPolicy SingleStack' : 'no ipFamilyPolicy, so SingleStack'}): its load balancer gets no ${families[0] === 'IPv6' ? 'IPv4' : 'IPv6'} frontend in this dual-stack setup`,
      fix: 'set ipFamilyPolicy: PreferDualStack (or RequireDualStack) and ipFamilies: [IPv4, IPv6]',
    }];
  }
  if (policy !== undefined) return [];
  return [{
    rule: 'k8s/service-ipfamilypolicy-missing',
    at: firstSpan(doc, ['spec', 'ipFamilies'], ['spec']),
    message: `Service ${name} has no ipFamilyPolicy, so it is SingleStack and gets a cluster IP of the primary family only in this dual-stack setup`,
    fix: 'add ipFamilyPolicy: PreferDualStack (or SingleStack to say the single family is intended)',
  }];
};

export const serviceDocRules: DocRule[] = [familiesVsPolicy, ipFamilyRemoved, singleStackInDualIntent];
