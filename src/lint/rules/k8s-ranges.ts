// A cluster's service range inside (or overlapping) its pod range, per family: kubeadm ClusterConfiguration, kind and
// Cluster API clusters, dual-stack lists included, with each tool's defaults where the file leaves a range out.
import type { DocRule, LintDoc, RawFinding, RuleMeta, Span } from '../types';
import { contains, overlaps, parseCidr, type Cidr } from '../../model/ip';
import { firstSpan, nodeAt, spanOf } from '../source';
import { isPlaceholder } from '../interpolate';

export const rangeRules: RuleMeta[] = [
  { id: 'k8s/service-pod-overlap', severity: 'error', summary: "a cluster's service range inside or overlapping its pod range (checked per family, defaults included)" },
];

type Path = Array<string | number>;
interface Range { cidr: Cidr; text: string; span: Span; defaulted?: string }

/** The prefixes of a field: a comma list (kubeadm, kind) or a sequence (Cluster API); undefined when left out or filled in later. */
function ranges(doc: LintDoc, path: Path): Range[] | undefined {
  let v: any = doc.data;
  for (const k of path) v = v?.[k];
  if (v === undefined || v === null || v === '') return undefined;
  const list: unknown[] = Array.isArray(v) ? v : [v];
  if (list.some((x) => isPlaceholder(String(x)))) return [];
  const node = nodeAt(doc, path);
  const whole = node ? spanOf(node) : firstSpan(doc, path.slice(0, -1));
  const items = Array.isArray(v)
    ? v.map((x, i) => { const n = nodeAt(doc, [...path, i]); return { text: String(x).trim(), span: n ? spanOf(n) : whole }; })
    : String(v).split(',').map((t) => ({ text: t.trim(), span: whole }));
  // malformed entries are the cidr-invalid rules' to report
  return items.flatMap((e) => { const cidr = parseCidr(e.text); return cidr ? [{ ...e, cidr }] : []; });
}

const defaults = (doc: LintDoc, path: Path, texts: string[], tool: string): Range[] =>
  texts.map((text) => ({ cidr: parseCidr(text)!, text, span: firstSpan(doc, path.slice(0, -1), ['kind']), defaulted: tool }));

function check(pods: Range[] | undefined, services: Range[] | undefined, names: { pod: string; service: string }): RawFinding[] {
  const out: RawFinding[] = [];
  for (const s of services ?? []) {
    const p = (pods ?? []).find((x) => x.cidr.family === s.cidr.family && overlaps(x.cidr, s.cidr));
    if (!p) continue;
    const relation = contains(p.cidr, s.cidr) ? 'lies inside' : contains(s.cidr, p.cidr) ? 'contains' : 'overlaps';
    const said = (r: Range, name: string) => `${name} ${r.text}${r.defaulted ? ` (${r.defaulted}'s default, the file leaves it out)` : ''}`;
    out.push({
      rule: 'k8s/service-pod-overlap',
      // on the range the file wrote: the service one, or the pod one when the service range is the default
      at: s.defaulted && !p.defaulted ? p.span : s.span,
      message: `IPv${s.cidr.family}: ${said(s, names.service)} ${relation} ${said(p, names.pod)}: cluster IPs and pod addresses come from the same space, so traffic to a Service can reach a pod that holds its address, or a pod cannot be reached at all`,
      fix: `give Services and pods separate IPv${s.cidr.family} ranges, e.g. ${s.cidr.family === 6 ? 'serviceSubnet fd00:10:96::/112 next to podSubnet fd00:10:244::/56' : 'serviceSubnet 10.96.0.0/16 next to podSubnet 10.244.0.0/16'}`,
    });
  }
  return out;
}

const kubeadm: DocRule = (doc) => {
  const pods = ranges(doc, ['networking', 'podSubnet']);
  // kubeadm's serviceSubnet default is 10.96.0.0/12; podSubnet has none
  const services = ranges(doc, ['networking', 'serviceSubnet']) ?? defaults(doc, ['networking', 'serviceSubnet'], ['10.96.0.0/12'], 'kubeadm');
  return check(pods, services, { pod: 'networking.podSubnet', service: 'networking.serviceSubnet' });
};

/** kind's defaults per ipFamily (pkg/internal/apis/config/default.go); no pod default with disableDefaultCNI. */
const KIND_DEFAULTS: Record<string, { pod: string[]; service: string[] }> = {
  ipv4: { pod: ['10.244.0.0/16'], service: ['10.96.0.0/16'] },
  ipv6: { pod: ['fd00:10:244::/56'], service: ['fd00:10:96::/112'] },
  dual: { pod: ['10.244.0.0/16', 'fd00:10:244::/56'], service: ['10.96.0.0/16', 'fd00:10:96::/112'] },
};

const kind: DocRule = (doc) => {
  const net = doc.data?.networking ?? {};
  const dflt = KIND_DEFAULTS[net.ipFamily === undefined ? 'ipv4' : String(net.ipFamily)];
  if (!dflt) return []; // an unknown ipFamily is kind/cidr-invalid's
  const podPath = ['networking', 'podSubnet'];
  const svcPath = ['networking', 'serviceSubnet'];
  const pods = ranges(doc, podPath) ?? (net.disableDefaultCNI === true ? undefined : defaults(doc, podPath, dflt.pod, 'kind'));
  const services = ranges(doc, svcPath) ?? defaults(doc, svcPath, dflt.service, 'kind');
  return check(pods, services, { pod: 'networking.podSubnet', service: 'networking.serviceSubnet' });
};

const capi: DocRule = (doc) => check(
  ranges(doc, ['spec', 'clusterNetwork', 'pods', 'cidrBlocks']),
  ranges(doc, ['spec', 'clusterNetwork', 'services', 'cidrBlocks']),
  { pod: 'spec.clusterNetwork.pods.cidrBlocks', service: 'spec.clusterNetwork.services.cidrBlocks' },
);

export const rangeDocRules: Partial<Record<LintDoc['kind'], DocRule[]>> = {
  kubeadm: [kubeadm],
  'kind-cluster': [kind],
  'capi-cluster': [capi],
};
