// Compose port bindings by address family: "80:80" both, "0.0.0.0:8080:80" IPv4 only, "[::]:8081:80" IPv6 only.
import { isMap, isScalar, isSeq } from 'yaml';
import type { DocRule, RawFinding, RuleMeta, Span } from '../types';
import { composeModel } from '../compose-model';
import { parseAddress } from '../../model/ip';
import { nodeAt, spanOf } from '../source';
import { interpolate, hasVariable } from '../interpolate';

export const portRules: RuleMeta[] = [
  { id: 'compose/port-ipv4-only', severity: 'warning', summary: 'a port bound to an IPv4 address only, in a service that is otherwise dual-stack' },
  { id: 'compose/port-ipv6-only', severity: 'info', summary: 'a port bound to an IPv6 address only: IPv4 clients cannot reach it' },
];

export type BindFamily = 'both' | 'ipv4' | 'ipv6';

export interface PortBinding {
  text: string;
  span: Span;
  hostIp?: string;
  /** host port or range as written ("" when Docker picks one) */
  published: string;
  target: string;
  protocol: string;
  family: BindFamily;
  loopback: boolean;
}

/**
 * Parse Compose short syntax [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTO]; the host IP may be an
 * IPv4 address or an IPv6 address in brackets. Returns undefined for what it cannot read.
 */
export function parsePortSpec(text: string): Omit<PortBinding, 'span' | 'text'> | undefined {
  let s = text.trim();
  let protocol = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash > s.lastIndexOf(']')) { protocol = s.slice(slash + 1) || 'tcp'; s = s.slice(0, slash); }
  let hostIp: string | undefined;
  const br = /^\[([^\]]*)\]:(.*)$/.exec(s);
  if (br) { hostIp = br[1]; s = br[2]; }
  const parts = s.split(':');
  if (!hostIp && parts.length === 3) hostIp = parts.shift();
  if (parts.length > 2 || parts.some((p) => p !== '' && !/^\d+(-\d+)?$/.test(p))) return undefined;
  const target = parts[parts.length - 1];
  const published = parts.length === 2 ? parts[0] : '';
  if (!target) return undefined;
  return { hostIp, published, target, protocol, ...familyOf(hostIp) };
}

function familyOf(hostIp: string | undefined): { family: BindFamily; loopback: boolean } {
  if (hostIp === undefined || hostIp === '') return { family: 'both', loopback: false };
  const a = parseAddress(hostIp);
  if (!a) return { family: 'both', loopback: false };
  if (a.family === 4) return { family: 'ipv4', loopback: (a.value >> 24n) === 127n };
  return { family: 'ipv6', loopback: a.value === 1n };
}

/** Every binding of a service, short and long syntax, with its position. */
export function serviceBindings(doc: Parameters<DocRule>[0], service: string): PortBinding[] {
  const seq = nodeAt(doc, ['services', service, 'ports']);
  if (!isSeq(seq)) return [];
  const out: PortBinding[] = [];
  for (const item of seq.items) {
    if (isScalar(item)) {
      // judged on what Compose makes of it; a binding from a variable with no known value is skipped
      const r = interpolate(String(item.value), doc.env ?? {});
      if (!r.ok) continue;
      const text = r.value;
      const p = parsePortSpec(text);
      if (p) out.push({ ...p, text, span: spanOf(item) });
    } else if (isMap(item)) {
      const v = item.toJSON() as Record<string, unknown>;
      if (Object.values(v).some((x) => typeof x === 'string' && hasVariable(x))) {
        const r = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? interpolate(x, doc.env ?? {}) : { ok: true, value: x }]));
        if (Object.values(r).some((x: any) => !x.ok)) continue;
        for (const k of Object.keys(r)) v[k] = (r[k] as any).value;
      }
      if (v.target === undefined) continue;
      const hostIp = v.host_ip === undefined ? undefined : String(v.host_ip);
      const text = `${hostIp ? (hostIp.includes(':') ? `[${hostIp}]:` : `${hostIp}:`) : ''}${v.published ?? ''}${v.published !== undefined ? ':' : ''}${v.target}`;
      out.push({ text, span: spanOf(item), hostIp, published: v.published === undefined ? '' : String(v.published), target: String(v.target), protocol: String(v.protocol ?? 'tcp'), ...familyOf(hostIp) });
    }
  }
  return out;
}

/** Is there a binding of the other family (or of both) for the same host port and protocol? */
function hasCounterpart(b: PortBinding, all: PortBinding[], want: 'ipv4' | 'ipv6'): boolean {
  return all.some((o) => o !== b && o.protocol === b.protocol && o.published === b.published && (o.family === 'both' || o.family === want));
}

const suggest = (b: PortBinding, ip: string) => `"${ip.includes(':') ? `[${ip}]` : ip}:${b.published}:${b.target}${b.protocol !== 'tcp' ? `/${b.protocol}` : ''}"`;

const portFamilies: DocRule = (doc) => {
  const out: RawFinding[] = [];
  const model = composeModel(doc);
  for (const svc of model.services) {
    const bindings = serviceBindings(doc, svc.name);
    const onV6Network = model.networks.some((n) => n.enableIpv6 && n.usedBy.includes(svc.name));
    // every network of the service IPv6-only (enable_ipv4: false): IPv6-only ports are the point, not a slip
    const mine = model.networks.filter((n) => n.usedBy.includes(svc.name));
    const v6OnlyService = mine.length > 0 && mine.every((n) => n.enableIpv6 && n.ipv4Off);
    const dualStack = onV6Network || bindings.some((b) => b.family !== 'ipv4');
    for (const b of bindings) {
      if (b.family === 'ipv4' && dualStack && !hasCounterpart(b, bindings, 'ipv6')) {
        out.push({
          rule: 'compose/port-ipv4-only',
          at: b.span,
          severity: b.loopback ? 'info' : undefined,
          message: `"${b.text}" of service "${svc.name}" publishes host port ${b.published || '(random)'} on IPv4${b.loopback ? ' loopback' : ''} only; ${onV6Network
            ? 'IPv6 clients of this dual-stack service cannot reach it'
            : 'IPv6 clients cannot reach it, although the service publishes other ports on IPv6 (its networks have no IPv6)'}`,
          fix: b.loopback ? `also publish ${suggest(b, '::1')}` : `drop the address ("${b.published ? `${b.published}:` : ''}${b.target}" binds both families) or also publish ${suggest(b, '::')}`,
        });
      } else if (b.family === 'ipv6' && !b.loopback && !v6OnlyService && !hasCounterpart(b, bindings, 'ipv4')) {
        out.push({
          rule: 'compose/port-ipv6-only',
          at: b.span,
          message: `"${b.text}" of service "${svc.name}" publishes host port ${b.published || '(random)'} on IPv6 only; IPv4 clients cannot reach it`,
          fix: `if IPv4 clients need it, drop the address ("${b.published ? `${b.published}:` : ''}${b.target}") or also publish ${suggest(b, '0.0.0.0')}`,
        });
      }
    }
  }
  return out;
};

export const portDocRules: DocRule[] = [portFamilies];
