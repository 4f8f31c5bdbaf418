// Reads the parts of a Compose file the IPv6 rules need (networks, their IPAM subnets, who uses them).
import { basename, dirname } from 'node:path';
import { isMap, isSeq, isScalar, type Node, type YAMLMap } from 'yaml';
import type { LintDoc, Span } from './types';
import { keySpan, nodeAt, spanOf, docStart } from './source';
import { hasVariable, interpolate } from './interpolate';
import { parseCidr } from '../model/ip';

/** A scalar as Compose reads it; `unresolved` when it holds a variable with no known value (not judged). */
export interface Value { text: string; span: Span; unresolved?: boolean }

export interface IpamEntry {
  /** index in ipam.config */
  index: number;
  subnet?: Value;
  gateway?: Value;
  ipRange?: Value;
}

export interface ComposeNetwork {
  name: string;
  /** false for the implicit `default` network that the file never declares */
  declared: boolean;
  external: boolean;
  driver?: string;
  enableIpv6: boolean;
  /** enable_ipv6 (or its driver_opts form) depends on a variable with no known value */
  enableUnknown: boolean;
  /** enable_ipv6: false written down: an IPv4-only network by choice */
  enableOff: boolean;
  /** enable_ipv4: false (Compose 2.33.1+, Docker 28+): no IPv4 at all, an IPv6-only network when enable_ipv6 is on */
  ipv4Off: boolean;
  ipv4Span?: Span;
  /** the key of the network entry (or of the first service using an implicit default) */
  span: Span;
  enableSpan?: Span;
  ipam: IpamEntry[];
  /** services attached to it, in file order */
  usedBy: string[];
}

export interface ComposeModel {
  project?: string;
  networks: ComposeNetwork[];
  services: Array<{ name: string; span: Span; networks: string[] }>;
  /** static addresses: services.S.networks.N.ipv4_address / ipv6_address */
  addresses: Array<{ service: string; network: string; family: 4 | 6; value: Value }>;
}

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const truthy = (v: unknown) => v === true || v === 'true';
const unknown = (v: unknown) => typeof v === 'string' && hasVariable(v);

/** Compose's project name: top-level `name`, else the folder of the file, normalised as compose does. */
export function projectName(doc: LintDoc): string | undefined {
  const raw = typeof doc.data?.name === 'string' ? doc.data.name : doc.file === '-' ? undefined : basename(dirname(doc.file));
  return raw ? raw.toLowerCase().replace(/[^a-z0-9_-]/g, '') : undefined;
}

function serviceNetworks(svc: any): string[] {
  if (!isObj(svc) || svc.network_mode !== undefined) return [];
  if (Array.isArray(svc.networks)) return svc.networks.map(String);
  if (isObj(svc.networks)) return Object.keys(svc.networks);
  return ['default'];
}

/** What a value with unknown variables shows of its family in its literal part: "${P}::/64" is IPv6, "${N}.0/24" IPv4. */
function familyHint(text: string): 4 | 6 | undefined {
  let rest = text.replace(/\$\$/g, '');
  for (let prev = ''; prev !== rest;) { prev = rest; rest = rest.replace(/\$\{[^{}]*\}/g, ''); }
  rest = rest.replace(/\$[A-Za-z_][A-Za-z0-9_]*/g, '');
  return rest.includes(':') ? 6 : rest.includes('.') ? 4 : undefined;
}

const isBridge = (n: ComposeNetwork) => n.driver === undefined || n.driver === 'bridge';

/**
 * The family of a subnet entry: its prefix's, or for one with an unknown variable what its literal part shows.
 * A bridge network holds at most one subnet per family (Docker refuses more: "bridge driver doesn't support
 * multiple subnets"), so next to a literal IPv6 subnet a bare "${V4_SUBNET}" can only be the IPv4 one.
 */
export function subnetFamily(n: ComposeNetwork, e: IpamEntry): 4 | 6 | undefined {
  if (!e.subnet) return undefined;
  if (!e.subnet.unresolved) return parseCidr(e.subnet.text)?.family;
  const hint = familyHint(e.subnet.text);
  if (hint || !isBridge(n)) return hint;
  const known = new Set(n.ipam.filter((x) => x.subnet && !x.subnet.unresolved).map((x) => parseCidr(x.subnet!.text)?.family));
  if (known.has(6) && !known.has(4)) return 4;
  if (known.has(4) && !known.has(6)) return 6;
  return undefined;
}

function scalarEntry(doc: LintDoc, map: YAMLMap, key: string): Value | undefined {
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (!pair || !isScalar(pair.value)) return undefined;
  const raw = String(pair.value.value);
  const span = spanOf(pair.value);
  if (!raw.includes('$')) return { text: raw, span };
  const r = interpolate(raw, doc.env ?? {});
  return r.ok ? { text: r.value, span } : { text: raw, span, unresolved: true };
}

const ENABLE_OPT = 'com.docker.network.enable_ipv6';

const models = new WeakMap<LintDoc, ComposeModel>();

/** The model of a Compose document, built once: every Compose rule asks for it. */
export function composeModel(doc: LintDoc): ComposeModel {
  let m = models.get(doc);
  if (!m) { m = buildModel(doc); models.set(doc, m); }
  return m;
}

function buildModel(doc: LintDoc): ComposeModel {
  const data = doc.data ?? {};
  const services = isObj(data.services)
    ? Object.keys(data.services).map((name) => ({
      name,
      span: keySpan(doc, ['services', name]) ?? docStart(doc),
      networks: serviceNetworks(data.services[name]),
    }))
    : [];
  const declared = isObj(data.networks) ? data.networks : {};
  // who uses each network, in one pass (asking per network made many services times many networks)
  const users = new Map<string, typeof services>(Object.keys(declared).map((n) => [n, []]));
  for (const svc of services) {
    for (const n of new Set(svc.networks)) {
      const list = users.get(n);
      if (list) list.push(svc); else users.set(n, [svc]);
    }
  }
  const networks: ComposeNetwork[] = [];
  for (const [name, list] of users) {
    const usedBy = list.map((x) => x.name);
    const isDeclared = Object.prototype.hasOwnProperty.call(declared, name);
    if (!isDeclared && name !== 'default') continue; // an undeclared custom network is compose's own error
    const cfg = isObj(declared[name]) ? declared[name] : {};
    const firstUser = list[0];
    const ipam: IpamEntry[] = [];
    const cfgNode = nodeAt(doc, ['networks', name, 'ipam', 'config']);
    if (isSeq(cfgNode)) {
      cfgNode.items.forEach((item, index) => {
        if (!isMap(item)) return;
        ipam.push({ index, subnet: scalarEntry(doc, item, 'subnet'), gateway: scalarEntry(doc, item, 'gateway'), ipRange: scalarEntry(doc, item, 'ip_range') });
      });
    } else if (Array.isArray(cfg.ipam?.config)) {
      // came in through a merge key (<<: *anchor): no node on this path, so place it at the network
      const at = keySpan(doc, ['networks', name]) ?? docStart(doc);
      const val = (v: unknown): Value | undefined => (typeof v === 'string' ? { text: v, span: at, unresolved: hasVariable(v) } : undefined);
      cfg.ipam.config.forEach((e: any, index: number) => { if (isObj(e)) ipam.push({ index, subnet: val(e.subnet), gateway: val(e.gateway), ipRange: val(e.ip_range) }); });
    }
    networks.push({
      name,
      declared: isDeclared,
      external: truthy(cfg.external) || isObj(cfg.external),
      driver: typeof cfg.driver === 'string' ? cfg.driver : undefined,
      // Docker 28 also honours the driver option (and an explicit enable_ipv6 wins over it)
      enableIpv6: cfg.enable_ipv6 !== undefined ? truthy(cfg.enable_ipv6) : truthy(cfg.driver_opts?.[ENABLE_OPT]),
      enableOff: cfg.enable_ipv6 === false || cfg.enable_ipv6 === 'false' || (cfg.enable_ipv6 === undefined && String(cfg.driver_opts?.[ENABLE_OPT]) === 'false'),
      enableUnknown: unknown(cfg.enable_ipv6) || (cfg.enable_ipv6 === undefined && unknown(cfg.driver_opts?.[ENABLE_OPT])),
      ipv4Off: cfg.enable_ipv4 === false || cfg.enable_ipv4 === 'false',
      ipv4Span: (nodeAt(doc, ['networks', name, 'enable_ipv4']) as Node | undefined)?.range ? spanOf(nodeAt(doc, ['networks', name, 'enable_ipv4'])) : undefined,
      span: isDeclared ? keySpan(doc, ['networks', name])! : firstUser?.span ?? docStart(doc),
      enableSpan: (nodeAt(doc, ['networks', name, 'enable_ipv6']) as Node | undefined)?.range ? spanOf(nodeAt(doc, ['networks', name, 'enable_ipv6'])) : undefined,
      ipam,
      usedBy,
    });
  }
  return { project: projectName(doc), networks, services, addresses: staticAddresses(doc) };
}

function staticAddresses(doc: LintDoc): ComposeModel['addresses'] {
  const out: ComposeModel['addresses'] = [];
  const svcs = isObj(doc.data?.services) ? doc.data.services : {};
  for (const service of Object.keys(svcs)) {
    const nets = svcs[service]?.networks;
    if (!isObj(nets)) continue;
    for (const network of Object.keys(nets)) {
      const node = nodeAt(doc, ['services', service, 'networks', network]);
      if (!isMap(node)) continue;
      for (const [key, family] of [['ipv4_address', 4], ['ipv6_address', 6]] as const) {
        const value = scalarEntry(doc, node, key);
        if (value) out.push({ service, network, family, value });
      }
    }
  }
  return out;
}
