// Calico's IP pools from every form that carries them: IPPool objects, the operator's Installation,
// tigera-operator Helm values and calico-node's CALICO_IPV*POOL_* env variables.
import type { LintDoc, Span } from './types';
import { parseCidr, type Cidr } from '../model/ip';
import { firstSpan, nodeAt, spanOf } from './source';

export interface CalicoPool {
  /** where the pool comes from, for messages */
  name: string;
  text: string;
  cidr?: Cidr;
  cidrSpan: Span;
  /** undefined when the form leaves it at a default lint does not judge */
  nat?: boolean;
  natSpan: Span;
  disabled: boolean;
}

type Path = Array<string | number>;
const at = (doc: LintDoc, path: Path, ...fallbacks: Path[]) => { const n = nodeAt(doc, path); return n ? spanOf(n) : firstSpan(doc, ...fallbacks); };
const onOff = (v: unknown) => (v === 'Enabled' || v === true || v === 'true' ? true : v === 'Disabled' || v === false || v === 'false' ? false : undefined);

/** calico-node's container and its env as a map name -> { value, path of the value } */
export function calicoNodeEnv(doc: LintDoc): Map<string, { value: string; path: Path }> {
  const out = new Map<string, { value: string; path: Path }>();
  const list = doc.data?.spec?.template?.spec?.containers;
  const containers: any[] = Array.isArray(list) ? list : [];
  containers.forEach((c, ci) => {
    if (!Array.isArray(c?.env)) return;
    c.env.forEach((e: any, ei: number) => {
      if (typeof e?.name === 'string' && e.value !== undefined && !out.has(e.name)) out.set(e.name, { value: String(e.value), path: ['spec', 'template', 'spec', 'containers', ci, 'env', ei, 'value'] });
    });
  });
  return out;
}

function operatorPools(doc: LintDoc, root: Path): CalicoPool[] {
  let pools: any = doc.data;
  for (const k of [...root, 'calicoNetwork', 'ipPools']) pools = pools?.[k];
  if (!Array.isArray(pools)) return [];
  return pools.map((p: any, i: number) => {
    const path = [...root, 'calicoNetwork', 'ipPools', i];
    const text = String(p?.cidr ?? '');
    return {
      name: `${root.join('.')}.calicoNetwork.ipPools[${i}]${p?.name ? ` (${p.name})` : ''}`,
      text, cidr: parseCidr(text), cidrSpan: at(doc, [...path, 'cidr'], path),
      nat: onOff(p?.natOutgoing), natSpan: at(doc, [...path, 'natOutgoing'], [...path, 'cidr'], path),
      disabled: p?.disabled === true || p?.disableNewAllocations === true,
    };
  });
}

export function calicoPools(doc: LintDoc): CalicoPool[] {
  const d = doc.data ?? {};
  switch (doc.kind) {
    case 'calico-ippool': {
      const text = String(d.spec?.cidr ?? '');
      return [{
        name: `IPPool ${d.metadata?.name ?? '(unnamed)'}`, text, cidr: parseCidr(text),
        cidrSpan: at(doc, ['spec', 'cidr'], ['spec']),
        // an IPPool's natOutgoing defaults to false
        nat: d.spec?.natOutgoing === true, natSpan: firstSpan(doc, ['spec', 'natOutgoing'], ['spec', 'cidr'], ['spec']),
        disabled: d.spec?.disabled === true,
      }];
    }
    case 'calico-installation': return operatorPools(doc, ['spec']);
    case 'calico-values': return operatorPools(doc, ['installation']);
    case 'calico-node': {
      const env = calicoNodeEnv(doc);
      const out: CalicoPool[] = [];
      for (const fam of [4, 6]) {
        const cidr = env.get(`CALICO_IPV${fam}POOL_CIDR`);
        if (!cidr) continue;
        const nat = env.get(`CALICO_IPV${fam}POOL_NAT_OUTGOING`);
        out.push({
          name: `calico-node CALICO_IPV${fam}POOL_CIDR`, text: cidr.value, cidr: parseCidr(cidr.value), cidrSpan: at(doc, cidr.path),
          // calico-node's defaults: NAT on for the IPv4 pool, off for the IPv6 one
          nat: nat ? onOff(nat.value.toLowerCase()) : fam === 4, natSpan: at(doc, (nat ?? cidr).path),
          disabled: false,
        });
      }
      return out;
    }
    default: return [];
  }
}

export const CALICO_KINDS: ReadonlyArray<LintDoc['kind']> = ['calico-ippool', 'calico-installation', 'calico-values', 'calico-node'];
