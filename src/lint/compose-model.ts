// Reads the parts of a Compose file the IPv6 rules need (networks, their IPAM subnets, who uses them).
import { basename, dirname } from 'node:path';
import { isMap, isSeq, isScalar, type Node, type YAMLMap } from 'yaml';
import type { LintDoc, Span } from './types';
import { keySpan, nodeAt, spanOf, docStart } from './source';

export interface IpamEntry {
  /** index in ipam.config */
  index: number;
  subnet?: { text: string; span: Span };
  gateway?: { text: string; span: Span };
  ipRange?: { text: string; span: Span };
}

export interface ComposeNetwork {
  name: string;
  /** false for the implicit `default` network that the file never declares */
  declared: boolean;
  external: boolean;
  driver?: string;
  enableIpv6: boolean;
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
}

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const truthy = (v: unknown) => v === true || v === 'true';

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

function scalarEntry(map: YAMLMap, key: string): { text: string; span: Span } | undefined {
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (!pair || !isScalar(pair.value)) return undefined;
  return { text: String(pair.value.value), span: spanOf(pair.value) };
}

export function composeModel(doc: LintDoc): ComposeModel {
  const data = doc.data ?? {};
  const services = isObj(data.services)
    ? Object.keys(data.services).map((name) => ({
      name,
      span: keySpan(doc, ['services', name]) ?? docStart(doc),
      networks: serviceNetworks(data.services[name]),
    }))
    : [];
  const declared = isObj(data.networks) ? data.networks : {};
  const names = new Set<string>(Object.keys(declared));
  for (const s of services) for (const n of s.networks) names.add(n);
  const networks: ComposeNetwork[] = [];
  for (const name of names) {
    const usedBy = services.filter((s) => s.networks.includes(name)).map((s) => s.name);
    const isDeclared = name in declared;
    if (!isDeclared && name !== 'default') continue; // an undeclared custom network is compose's own error
    const cfg = isObj(declared[name]) ? declared[name] : {};
    const firstUser = services.find((s) => s.networks.includes(name));
    const ipam: IpamEntry[] = [];
    const cfgNode = nodeAt(doc, ['networks', name, 'ipam', 'config']);
    if (isSeq(cfgNode)) {
      cfgNode.items.forEach((item, index) => {
        if (!isMap(item)) return;
        ipam.push({ index, subnet: scalarEntry(item, 'subnet'), gateway: scalarEntry(item, 'gateway'), ipRange: scalarEntry(item, 'ip_range') });
      });
    }
    networks.push({
      name,
      declared: isDeclared,
      external: truthy(cfg.external) || isObj(cfg.external),
      driver: typeof cfg.driver === 'string' ? cfg.driver : undefined,
      enableIpv6: truthy(cfg.enable_ipv6),
      span: isDeclared ? keySpan(doc, ['networks', name])! : firstUser?.span ?? docStart(doc),
      enableSpan: (nodeAt(doc, ['networks', name, 'enable_ipv6']) as Node | undefined)?.range ? spanOf(nodeAt(doc, ['networks', name, 'enable_ipv6'])) : undefined,
      ipam,
      usedBy,
    });
  }
  return { project: projectName(doc), networks, services };
}
