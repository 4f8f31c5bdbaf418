// planCreate: from the options and the taken space to the exact network to create (pure), and its API body.
import { PreconditionError, UsageError } from '../errors';
import { shellQuote } from '../util/shell-quote';
import type { Pool } from '../model/pools';
import { formatCidr, containsAddress, isIPv6Address, parseCidr4, type Cidr6 } from '../model/ip';
import { allocateV4, allocateV6, checkFree, parseSubnet, type ParsedSubnet, type UsedSpace } from '../model/alloc';

export const MANAGED_LABEL = 'com.docker-ipv6.managed';
export const SUBNET6_LABEL = 'com.docker-ipv6.subnet-v6';
export const SUBNET4_LABEL = 'com.docker-ipv6.subnet-v4';

export interface CreateOptions {
  subnet?: string[];
  gateway?: string[];
  ipRange?: string[];
  internal?: boolean;
  attachable?: boolean;
  label?: string[];
  opt?: string[];
  /** Docker 28+: no IPv4 at all (EnableIPv4=false, Docker's `--ipv4=false`) */
  ipv6Only?: boolean;
}

export interface FamilyConfig { subnet: string; gateway?: string; ipRange?: string; allocated: boolean }

export interface NetworkPlan {
  name: string;
  /** absent for an IPv6-only network */
  v4?: FamilyConfig;
  v6: FamilyConfig;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
}

export interface PlanFacts {
  prefix?: Cidr6;
  used: UsedSpace;
  pools: Pool[];
  existingNames: string[];
}

/** "k=v" pairs (a key alone means an empty value, as docker does for --label). */
export function parsePairs(items: readonly string[] = [], what: string, needValue: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const it of items) {
    const i = it.indexOf('=');
    const k = i < 0 ? it : it.slice(0, i);
    if (!k) throw new UsageError(`${what} "${it}" has no key`, `write it as KEY=VALUE`);
    if (i < 0 && needValue) throw new UsageError(`${what} "${it}" has no value`, `write it as KEY=VALUE`);
    out[k] = i < 0 ? '' : it.slice(i + 1);
  }
  return out;
}

function byFamily(values: readonly string[] = [], flag: string): { 4?: string; 6?: string } {
  const out: { 4?: string; 6?: string } = {};
  for (const v of values) {
    const fam = v.includes(':') ? 6 : 4;
    if (out[fam]) throw new UsageError(`${flag} given twice for IPv${fam}: ${out[fam]} and ${v}`, `give at most one IPv4 and one IPv6 ${flag}`);
    out[fam] = v;
  }
  return out;
}

function checkInside(sub: ParsedSubnet, addr: string | undefined, flag: string): void {
  if (!addr) return;
  if (sub.family === 6) {
    if (!isIPv6Address(addr) || !containsAddress(sub.cidr, addr)) throw new UsageError(`${flag} ${addr} is not an address inside ${sub.text}`);
  } else {
    const a = parseCidr4(addr);
    if (!a || a.length !== 32 || a.start < sub.cidr.start || a.end > sub.cidr.end) throw new UsageError(`${flag} ${addr} is not an address inside ${sub.text}`);
  }
}

function checkRange(sub: ParsedSubnet, range: string | undefined): void {
  if (!range) return;
  const r = parseSubnet(range);
  if (r.family !== sub.family || r.cidr.start < sub.cidr.start || r.cidr.end > sub.cidr.end) {
    throw new UsageError(`--ip-range ${range} is not inside ${sub.text}`);
  }
}

/** Oldest daemon that honours EnableIPv4=false (Docker 28.0, API 1.48); older ones ignore the field and add IPv4. */
export const IPV6_ONLY_SINCE = { version: '28.0', api: '1.48' };

const apiAtLeast = (v: string, min: string) => {
  const [a, b] = v.split('.').map(Number); const [x, y] = min.split('.').map(Number);
  return a > x || (a === x && b >= y);
};

/** Refuses --ipv6-only on a daemon that would quietly create a dual-stack network instead (before any change). */
export function checkIpv6OnlySupport(daemon: { version?: string; apiVersion?: string }): void {
  const { version = '', apiVersion = '' } = daemon;
  const major = Number(/^(\d+)/.exec(version)?.[1] ?? NaN);
  const oldVersion = Number.isFinite(major) && major < 28;
  const oldApi = /^\d+\.\d+$/.test(apiVersion) && !apiAtLeast(apiVersion, IPV6_ONLY_SINCE.api);
  if (!oldVersion && !oldApi && (version || apiVersion)) return;
  throw new PreconditionError(
    `--ipv6-only needs Docker ${IPV6_ONLY_SINCE.version} or later (API ${IPV6_ONLY_SINCE.api}); this daemon is Docker ${version || 'of unknown version'}${apiVersion ? ` (API ${apiVersion})` : ''}, which ignores EnableIPv4=false and would create a dual-stack network: nothing was created`,
    'upgrade Docker to 28 or later, or create a dual-stack network: docker ipv6 network create NAME',
  );
}

export function planCreate(name: string, o: CreateOptions, f: PlanFacts): NetworkPlan {
  if (f.existingNames.includes(name)) throw new UsageError(`a network named ${name} already exists: nothing was created`, `pick another name, or upgrade it: docker ipv6 network upgrade ${shellQuote(name)}`);
  const given = byFamily(o.subnet, '--subnet');
  const gw = byFamily(o.gateway, '--gateway');
  const range = byFamily(o.ipRange, '--ip-range');
  if (o.ipv6Only) {
    // an IPv4 address plan for a network without IPv4 is a contradiction, not something to drop silently
    const v4 = [given[4] && `--subnet ${given[4]}`, gw[4] && `--gateway ${gw[4]}`, range[4] && `--ip-range ${range[4]}`].filter(Boolean);
    if (v4.length) throw new UsageError(`--ipv6-only takes no IPv4 settings: ${v4.join(', ')}`, 'drop them, or create a dual-stack network without --ipv6-only');
  }
  const subs: { 4?: ParsedSubnet; 6?: ParsedSubnet } = {};
  for (const fam of [4, 6] as const) {
    const s = given[fam];
    if (!s) continue;
    const p = parseSubnet(s);
    checkFree(p, f.used);
    subs[fam] = p;
  }
  if (!subs[6] && !f.prefix) {
    throw new PreconditionError('there is no saved IPv6 prefix to allocate a subnet from', 'run docker ipv6 enable first, or give an IPv6 --subnet');
  }
  const v6 = subs[6] ?? ({ family: 6, cidr: allocateV6(f.prefix!, f.used.v6), text: '' } as ParsedSubnet);
  if (!subs[6]) v6.text = formatCidr(v6.cidr as Cidr6);
  const v4 = o.ipv6Only ? undefined : subs[4] ?? (() => { const c = allocateV4(f.pools, f.used.v4); return { family: 4, cidr: c, text: formatCidr(c) } as ParsedSubnet; })();
  for (const [fam, sub] of [[4, v4], [6, v6]] as const) {
    if (!sub) continue;
    if (gw[fam] && !given[fam]) throw new UsageError(`--gateway ${gw[fam]} needs an IPv${fam} --subnet beside it`);
    if (range[fam] && !given[fam]) throw new UsageError(`--ip-range ${range[fam]} needs an IPv${fam} --subnet beside it`);
    checkInside(sub, gw[fam], '--gateway');
    checkRange(sub, range[fam]);
  }
  const labels = {
    ...parsePairs(o.label, '--label', false),
    [MANAGED_LABEL]: 'true', [SUBNET6_LABEL]: v6.text, ...(v4 ? { [SUBNET4_LABEL]: v4.text } : {}),
  };
  return {
    name,
    ...(v4 ? { v4: { subnet: v4.text, gateway: gw[4], ipRange: range[4], allocated: !given[4] } } : {}),
    v6: { subnet: v6.text, gateway: gw[6], ipRange: range[6], allocated: !given[6] },
    internal: !!o.internal, attachable: !!o.attachable, labels,
    options: parsePairs(o.opt, '--opt', true),
  };
}

/** The body of POST /networks/create: every value is data in JSON, never a command-line flag. */
export function createBody(p: NetworkPlan): Record<string, unknown> {
  const cfg = (c: FamilyConfig) => ({ Subnet: c.subnet, ...(c.gateway ? { Gateway: c.gateway } : {}), ...(c.ipRange ? { IPRange: c.ipRange } : {}) });
  return {
    Name: p.name, CheckDuplicate: true, Driver: 'bridge', EnableIPv6: true,
    // Docker 28+ (API 1.48); the caller refuses older daemons, which would ignore it and add IPv4
    ...(p.v4 ? {} : { EnableIPv4: false }),
    Internal: p.internal, Attachable: p.attachable, Labels: p.labels, Options: p.options,
    IPAM: { Driver: 'default', Config: [...(p.v4 ? [cfg(p.v4)] : []), cfg(p.v6)] },
  };
}
