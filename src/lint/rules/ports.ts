// Compose port bindings, read as Compose reads them (port-spec.ts) and judged by where they listen on the host:
// every address ("80:80"), all IPv4 ("0.0.0.0:"), all IPv6 ("[::]:"), loopback, or one host address.
import { isMap, isScalar, isSeq } from 'yaml';
import type { DocRule, LintDoc, RawFinding, RuleMeta, Span } from '../types';
import { composeModel } from '../compose-model';
import { nodeAt, spanOf } from '../source';
import { interpolate } from '../interpolate';
import { parseCidr } from '../../model/ip';
import { parseShortPort, scopeFamilies, scopeOf, type PortScope } from '../port-spec';

export const portRules: RuleMeta[] = [
  { id: 'compose/port-ipv4-only', severity: 'warning', summary: 'a port published on 0.0.0.0 (IPv4 only) where the file or --dual-stack asks for dual-stack' },
  { id: 'compose/port-ipv6-only', severity: 'info', summary: 'a port bound to an IPv6 address only: IPv4 clients cannot reach it' },
  { id: 'compose/port-invalid', severity: 'error', summary: 'a ports entry Compose refuses (bad address, port, range or protocol), so the file does not load' },
];

export interface PortBinding {
  text: string;
  span: Span;
  hostIp: string;
  /** host port or range as written ("" when Docker picks one) */
  published: string;
  target: string;
  protocol: string;
  /** undefined when the address is not one lint can place (long syntax with an odd host_ip): not judged */
  scope?: PortScope;
}

export type PortEntry = { ok: true; binding: PortBinding } | { ok: false; text: string; span: Span; error: string };

const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));

/** Every ports entry of a service, short and long syntax, with its position; entries with unknown variables are left out. */
export function servicePorts(doc: LintDoc, service: string): PortEntry[] {
  const seq = nodeAt(doc, ['services', service, 'ports']);
  if (!isSeq(seq)) return [];
  const out: PortEntry[] = [];
  for (const item of seq.items) {
    const span = spanOf(item);
    if (isScalar(item)) {
      // Compose reads numbers (- 80) and strings; both go through the same parser after interpolation
      if (typeof item.value !== 'string' && typeof item.value !== 'number') continue;
      const r = interpolate(String(item.value), doc.env ?? {});
      if (!r.ok) continue; // a variable with no known value: compose/interpolation-unresolved says so
      const p = parseShortPort(r.value);
      if (!p.ok) { out.push({ ok: false, text: r.value, span, error: p.error }); continue; }
      out.push({ ok: true, binding: { ...p.spec, text: r.value, span, scope: scopeOf(p.spec.hostIp) } });
    } else if (isMap(item)) {
      const v: Record<string, unknown> = {};
      let unknownVar = false;
      for (const [k, x] of Object.entries(item.toJSON() as Record<string, unknown>)) {
        if (typeof x !== 'string') { v[k] = x; continue; }
        const r = interpolate(x, doc.env ?? {});
        if (r.ok) v[k] = r.value; else unknownVar = true;
      }
      if (unknownVar || v.target === undefined) continue;
      const hostIp = str(v.host_ip) ?? '';
      const published = str(v.published) ?? '';
      const text = `${hostIp ? (hostIp.includes(':') ? `[${hostIp}]:` : `${hostIp}:`) : ''}${published}${published ? ':' : ''}${v.target}`;
      out.push({ ok: true, binding: { text, span, hostIp, published, target: String(v.target), protocol: String(v.protocol ?? 'tcp').toLowerCase(), scope: scopeOf(hostIp) } });
    }
  }
  return out;
}

/** Is there a binding serving the other family for the same host port and protocol? */
function hasCounterpart(b: PortBinding, all: PortBinding[], family: 'v4' | 'v6'): boolean {
  return all.some((o) => o !== b && o.scope && o.protocol === b.protocol && o.published === b.published && scopeFamilies(o.scope)[family]);
}

const suggest = (b: PortBinding, ip: string) => `"${ip.includes(':') ? `[${ip}]` : ip}:${b.published ? `${b.published}:` : ''}${b.target}${b.protocol !== 'tcp' ? `/${b.protocol}` : ''}"`;
const bare = (b: PortBinding) => `"${b.published ? `${b.published}:` : ''}${b.target}${b.protocol !== 'tcp' ? `/${b.protocol}` : ''}"`;

const portFamilies: DocRule = (doc, ctx) => {
  const out: RawFinding[] = [];
  const model = composeModel(doc);
  // the file's networks have IPv6 (or the user asked for it): an IPv4-only port is then a slip, wherever it sits
  const fileV6 = ctx.forced || model.networks.some((n) => n.enableIpv6 || n.ipam.some((e) => e.subnet && !e.subnet.unresolved && parseCidr(e.subnet.text)?.family === 6));
  const byName = new Map(model.networks.map((n) => [n.name, n]));
  for (const svc of model.services) {
    const entries = servicePorts(doc, svc.name);
    const bindings = entries.flatMap((e) => (e.ok ? [e.binding] : []));
    const mine = [...new Set(svc.networks)].flatMap((name) => byName.get(name) ?? []);
    const onV6Network = mine.some((n) => n.enableIpv6);
    // every network of the service IPv6-only (enable_ipv4: false): IPv6-only ports are the point, not a slip
    const v6OnlyService = mine.length > 0 && mine.every((n) => n.enableIpv6 && n.ipv4Off);
    for (const e of entries) {
      if (!e.ok) {
        out.push({ rule: 'compose/port-invalid', at: e.span, message: `"${e.text}" of service "${svc.name}" is not a port Compose accepts (${e.error}): \`docker compose\` refuses to load the file`, fix: 'write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]; an IPv6 host address goes in brackets, e.g. "[::1]:8080:80"' });
        continue;
      }
      const b = e.binding;
      if (!b.scope) continue;
      const where = `"${b.text}" of service "${svc.name}"`;
      const port = b.published || '(random)';
      if (b.scope === 'all-ipv4' && fileV6 && !hasCounterpart(b, bindings, 'v6')) {
        const why = onV6Network ? 'IPv6 clients of this dual-stack service cannot reach it'
          : mine.length ? `IPv6 clients cannot reach it (and the service's network${mine.length > 1 ? 's have' : ' has'} no IPv6 either)`
            : 'IPv6 clients cannot reach it';
        out.push({ rule: 'compose/port-ipv4-only', at: b.span, message: `${where} publishes host port ${port} on 0.0.0.0, IPv4 only, in a file that ${ctx.forced ? 'lint was asked to hold to IPv6' : 'gives its networks IPv6'}: ${why}`, fix: `drop the address (${bare(b)} listens on both families) or also publish ${suggest(b, '::')}` });
      } else if ((b.scope === 'host-ipv4' || b.scope === 'loopback-ipv4') && fileV6 && !hasCounterpart(b, bindings, 'v6')) {
        // one address chosen on purpose: say so, do not call it a mistake
        const loop = b.scope === 'loopback-ipv4';
        out.push({ rule: 'compose/port-ipv4-only', severity: 'info', at: b.span, message: `${where} listens on ${loop ? 'IPv4 loopback' : `the one IPv4 address ${b.hostIp}`} only; clients using IPv6${loop ? ' (localhost resolving to ::1)' : ''} cannot reach it`, fix: loop ? `also publish ${suggest(b, '::1')} if local IPv6 clients need it` : 'also publish it on the host\'s IPv6 address if IPv6 clients need it' });
      } else if ((b.scope === 'all-ipv6' || b.scope === 'host-ipv6') && !v6OnlyService && !hasCounterpart(b, bindings, 'v4')) {
        out.push({ rule: 'compose/port-ipv6-only', at: b.span, message: `${where} publishes host port ${port} on IPv6 only; IPv4 clients cannot reach it`, fix: `if IPv4 clients need it, drop the address (${bare(b)}) or also publish ${suggest(b, '0.0.0.0')}` });
      }
    }
  }
  return out;
};

export const portDocRules: DocRule[] = [portFamilies];
