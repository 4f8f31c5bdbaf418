// CNI rules (Calico is in calico.ts): Flannel net-conf.json (in its ConfigMap or alone) and Cilium Helm values.
import { isScalar } from 'yaml';
import type { DocRule, RunRule, RawFinding, RuleMeta, LintDoc, Span } from '../types';
import { parseCidr, formatCidr } from '../../model/ip';
import { isPlaceholder } from '../interpolate';
import { embeddedJson, firstSpan, keySpan, nodeAt, spanOf, docStart } from '../source';

export const cniRules: RuleMeta[] = [
  { id: 'flannel/net-conf-invalid', severity: 'error', summary: 'net-conf.json is not valid JSON' },
  { id: 'flannel/cidr-invalid', severity: 'error', summary: 'Network or IPv6Network malformed or of the wrong family' },
  { id: 'flannel/ipv6-network-missing', severity: 'warning', summary: 'a Flannel config without IPv6Network', gated: true },
  { id: 'flannel/enable-ipv6-missing', severity: 'error', summary: 'IPv6Network set without EnableIPv6: true, so Flannel ignores it' },
  { id: 'cilium/ipv6-disabled', severity: 'warning', summary: 'Cilium values with ipv6.enabled off (the chart default)', gated: true },
  { id: 'cilium/tunnel-removed', severity: 'warning', summary: 'the Helm value "tunnel", removed in Cilium 1.15' },
];

interface NetConf { value: any; errors: string[]; span(key: string, which?: 'key' | 'value'): Span; whole: Span }

function netConf(doc: LintDoc): NetConf | undefined {
  if (doc.kind === 'flannel-netconf') {
    return { value: doc.data, errors: [], whole: docStart(doc), span: (k, which = 'value') => (which === 'key' ? keySpan(doc, [k]) : (() => { const n = nodeAt(doc, [k]); return n ? spanOf(n) : undefined; })()) ?? docStart(doc) };
  }
  const node = nodeAt(doc, ['data', 'net-conf.json']);
  if (!isScalar(node)) return undefined;
  const j = embeddedJson(doc.text, node);
  const whole = spanOf(node);
  return { value: j.value, errors: j.errors, whole, span: (k, which) => (j.value && k in j.value ? j.spanOf([k], which) : whole) };
}

const flannel: DocRule = (doc) => {
  const conf = netConf(doc);
  if (!conf) return [];
  const out: RawFinding[] = [];
  const v = conf.value;
  if (conf.errors.length || typeof v !== 'object' || v === null) {
    out.push({ rule: 'flannel/net-conf-invalid', at: conf.whole, message: `net-conf.json is not a JSON object${conf.errors.length ? ` (${conf.errors[0]})` : ''}`, fix: 'fix the JSON: {"Network": "10.244.0.0/16", "EnableIPv6": true, "IPv6Network": "fd00:10:244::/56", "Backend": {"Type": "vxlan"}}' });
    return out;
  }
  for (const [key, fam] of [['Network', 4], ['IPv6Network', 6]] as const) {
    if (v[key] === undefined || isPlaceholder(String(v[key]))) continue;
    const c = parseCidr(String(v[key]));
    if (!c || c.family !== fam) {
      out.push({ rule: 'flannel/cidr-invalid', at: conf.span(key), message: `${key} "${v[key]}" is not an IPv${fam} prefix`, fix: `write an IPv${fam} CIDR, e.g. ${fam === 4 ? '10.244.0.0/16' : 'fd00:10:244::/56'}` });
    } else if (c.hostBits) {
      out.push({ rule: 'flannel/cidr-invalid', severity: 'warning', at: conf.span(key), message: `${key} "${v[key]}" has host bits set`, fix: `write ${formatCidr(c)}` });
    }
  }
  const enabled = v.EnableIPv6 === true;
  if (v.IPv6Network === undefined) {
    out.push({
      rule: 'flannel/ipv6-network-missing',
      severity: enabled ? 'error' : undefined,
      at: enabled ? conf.span('EnableIPv6') : conf.span('Network', 'key'),
      message: enabled ? 'EnableIPv6 is true but there is no IPv6Network: flanneld fails to start' : 'net-conf.json has no IPv6Network: Flannel gives pods IPv4 only',
      fix: 'add "EnableIPv6": true and "IPv6Network": "<IPv6 prefix>/56" (the vxlan backend supports dual-stack)',
    });
  } else if (!enabled) {
    out.push({
      rule: 'flannel/enable-ipv6-missing',
      at: 'EnableIPv6' in v ? conf.span('EnableIPv6') : conf.span('IPv6Network', 'key'),
      message: 'IPv6Network is set but EnableIPv6 is not true (it defaults to false): Flannel ignores the IPv6 network',
      fix: 'add "EnableIPv6": true to net-conf.json',
    });
  }
  return out;
};

const cilium: DocRule = (doc) => {
  const out: RawFinding[] = [];
  const d = doc.data ?? {};
  if (d.ipv6?.enabled !== true) {
    out.push({
      rule: 'cilium/ipv6-disabled',
      at: firstSpan(doc, ['ipv6', 'enabled'], ['ipv6']),
      message: `Cilium values ${d.ipv6?.enabled === undefined ? 'leave ipv6.enabled at its default, false' : 'set ipv6.enabled off'}: pods get no IPv6 address`,
      fix: 'set ipv6.enabled: true (and ipv4.enabled: true for dual-stack)',
    });
  }
  if ('tunnel' in d) {
    out.push({
      rule: 'cilium/tunnel-removed',
      at: keySpan(doc, ['tunnel'])!,
      message: `"tunnel: ${d.tunnel}" was deprecated in Cilium 1.14 and removed in 1.15: newer charts ignore it`,
      fix: d.tunnel === 'disabled' ? 'use routingMode: native (with ipv4NativeRoutingCIDR / ipv6NativeRoutingCIDR)' : `use routingMode: tunnel and tunnelProtocol: ${d.tunnel}`,
    });
  }
  return out;
};

export const cniDocRules: Partial<Record<LintDoc['kind'], DocRule[]>> = {
  'flannel-configmap': [flannel],
  'flannel-netconf': [flannel],
  'cilium-values': [cilium],
};
export const cniRunRules: RunRule[] = [];
