// `docker ipv6 recover --rebuild-state`: a lost state file written again from what enable left in daemon.json
// (pure). The prefix is the one whose keys enable would write, exactly: the default bridge's fixed-cidr-v6
// is its first /64 and default-address-pools its subnets; the mode follows from the prefix and the uplink
// as enable's auto mode decides. What the lost file alone knew (the sysctls' values before enable, the NDP
// entries that were not ours) cannot be rebuilt, and the plan says what disable will do without it; the default
// bridge's MTU enable lowered is read back from daemon.json's "mtu", nat mode's chosen source from our SNAT rule.
// An npt host's keys are routed mode's for a ULA: with the outside prefix given (only the lost file knew it) they
// read as npt.
import { deepEqual, setKeys } from '../daemon/edit';
import { PreconditionError } from '../errors';
import { canonical6, formatCidr, parseCidr6, type Cidr6 } from '../model/ip';
import { MIN_PREFIX_LENGTH } from '../model/prefix-rules';
import { ABSENT, type ToolState } from '../model/state';
import { planDaemonKeys } from '../daemon/plan-keys';
import { chooseMode } from '../model/mode';
import { DOCKER_DEFAULT_MTU, IPV6_MIN_MTU, defaultBridgeMtu } from '../model/mtu';
import { judgeOutside, type OutsideFacts } from '../model/npt';
import { routeKey, unreachableRoutes } from '../reconcile/desired';
import { UsageError } from '../errors';

export interface RebuildInput {
  /** daemon.json as it is now: its path, text and keys */
  config: { path: string; text: string; value: Record<string, unknown> };
  /** the copy enable kept of daemon.json before its first change (`daemon.json.before-enable`), when it is still there */
  before?: string;
  /** the dockerd version the keys were written for (the binary's, or the running daemon's) */
  dockerVersion: string;
  /** --prefix: which of several prefixes the keys fit (Docker before 27) */
  prefix?: string;
  /** --outside-prefix: the host ran npt mode (a ULA inside), translated to this prefix */
  outsidePrefix?: string;
  uplink: string;
  /** the uplink's IPv6 MTU now (model/mtu.ts uplinkMtu), when known: the "mtu" enable writes is this one */
  uplinkMtu?: number;
  /** the host's uplink prefixes, addresses and routers (observe/prefix-facts.ts): the modes and the outside prefix are judged on them as enable judges them */
  host: OutsideFacts;
  /** nat mode: the source our nat chain SNATs to (enable --nat-source) as the firewall shows it, and the host addresses enable would accept as one */
  natSource?: { seen: string; choices: readonly string[] };
  sysctlFileExists: boolean;
  now: string;
}

type RebuiltMode = 'routed' | 'ndp' | 'npt' | 'nat';

export interface RebuiltState { state: ToolState; prefix: string; notes: string[] }

/**
 * The prefixes whose enable keys daemon.json holds now (routed, ndp or nat; npt when asked), longest first. Docker before 27 gets
 * 64 one-subnet pool entries whatever the prefix's length, so there several lengths give the same keys.
 */
export function prefixesFromKeys(config: Record<string, unknown>, version: string, uplinkPrefixes: readonly string[], npt = false): Array<{ prefix: Cidr6; mode: RebuiltMode }> {
  const bridge = typeof config['fixed-cidr-v6'] === 'string' ? parseCidr6(config['fixed-cidr-v6']) : undefined;
  if (!bridge) return [];
  const out: Array<{ prefix: Cidr6; mode: RebuiltMode }> = [];
  for (let len = Math.min(bridge.length, 112); len >= MIN_PREFIX_LENGTH; len--) {
    const prefix = parseCidr6(`${bridge.network}/${len}`)!;
    if (prefix.start !== bridge.start) continue;
    const auto = chooseMode('auto', prefix, uplinkPrefixes);
    // npt: a ULA inside prefix with routed mode's keys; otherwise what enable's auto mode makes of the prefix
    const mode = npt ? (auto === 'nat' ? 'npt' : undefined) : auto === 'routed' || auto === 'ndp' || auto === 'nat' ? auto : undefined;
    if (!mode) continue;
    // every key enable writes for this prefix is there with its value; of the pools, the IPv6 entries (enable keeps the IPv4 ones)
    const want = planDaemonKeys({}, version, prefix, mode).set;
    if (Object.entries(want).every(([k, v]) => (k === 'default-address-pools' ? deepEqual(v6Pools(config[k]), v6Pools(v)) : deepEqual(config[k], v)))) out.push({ prefix, mode });
  }
  return out;
}

function v6Pools(pools: unknown): unknown[] {
  return Array.isArray(pools) ? pools.filter((p) => String((p as { base?: unknown })?.base ?? '').includes(':')) : [];
}

/**
 * The one prefix, `chosen` among several, or the longest: a saved prefix shorter than the real one would
 * route (unreachable) and filter addresses that are not this host's; a longer one only allocates less.
 */
export function prefixFromKeys(config: Record<string, unknown>, version: string, uplinkPrefixes: readonly string[], chosen?: string, npt = false): { prefix: Cidr6; mode: RebuiltMode; others: string[] } | undefined {
  const all = prefixesFromKeys(config, version, uplinkPrefixes, npt);
  const want = chosen ? parseCidr6(chosen) : undefined;
  const hit = want ? all.find((c) => c.prefix.start === want.start && c.prefix.length === want.length) : all[0];
  return hit && { ...hit, others: all.filter((c) => c !== hit).map((c) => formatCidr(c.prefix)) };
}

export function rebuildState(i: RebuildInput): RebuiltState {
  const c = i.config.value;
  // enable writes "ip6tables" in every mode: false where our filter replaces Docker's, true for Docker's NAT66 (nat)
  if (!(c.ipv6 === true && typeof c.ip6tables === 'boolean')) {
    throw new PreconditionError(`${i.config.path} does not run Docker with IPv6 as docker ipv6 enable sets it up ("ipv6": true, "ip6tables" set): there is no setup to rebuild the state from`, 'docker ipv6 enable sets IPv6 up (add --dry-run to see how)');
  }
  const npt = i.outsidePrefix !== undefined;
  // npt maps the inside prefix 1:1 onto the outside one: where the pools fit several lengths (before 27), the
  // outside prefix's length is the inside one's (the longest would be refused as a length mismatch)
  const outLen = npt ? parseCidr6(i.outsidePrefix!)?.length : undefined;
  const sameLength = !i.prefix && outLen !== undefined ? prefixesFromKeys(c, i.dockerVersion, i.host.uplinkPrefixes, true).find((x) => x.prefix.length === outLen) : undefined;
  const found = prefixFromKeys(c, i.dockerVersion, i.host.uplinkPrefixes, i.prefix ?? (sameLength && formatCidr(sameLength.prefix)), npt);
  if (!found) {
    const fits = prefixesFromKeys(c, i.dockerVersion, i.host.uplinkPrefixes, npt).map((x) => formatCidr(x.prefix));
    // a ULA bridge with routed mode's keys: an npt host, whose outside prefix only the lost file knew
    const ula = !npt && prefixesFromKeys(c, i.dockerVersion, i.host.uplinkPrefixes, true).length > 0;
    if (ula) {
      throw new PreconditionError(`${i.config.path} holds the keys of npt mode (the ULA ${String(c['fixed-cidr-v6'])} with Docker's IPv6 filter off): the outside prefix it was translated to was only in the lost file`,
        'docker ipv6 recover --rebuild-state --outside-prefix P (P: the global prefix the upstream routes to this host)');
    }
    throw new PreconditionError(
      i.prefix && fits.length
        ? `${i.prefix} is not a prefix whose enable keys ${i.config.path} holds: ${fits.join(', ')} ${fits.length > 1 ? 'are' : 'is'}`
        : `${i.config.path} holds "fixed-cidr-v6": ${JSON.stringify(c['fixed-cidr-v6'])} and address pools that are not what docker ipv6 enable writes for any prefix (Docker ${i.dockerVersion}, uplink ${i.uplink})`,
      i.prefix && fits.length ? `docker ipv6 recover --rebuild-state --prefix ${fits[0]}` : 'put the state file back from a backup; or pass the uplink the host had at enable with --uplink IFACE',
    );
  }
  const prefix = formatCidr(found.prefix);
  let outside: string | undefined;
  if (i.outsidePrefix !== undefined) {
    // as enable judges it: an outside prefix holding this host's address or its router's is refused here too
    const j = judgeOutside(i.outsidePrefix, found.prefix, i.host);
    if ('why' in j) throw new UsageError(`--outside-prefix ${i.outsidePrefix} ${j.why}`, j.hint);
    outside = formatCidr(j.cidr);
  }
  const mtu = rebuiltMtu(c, i);
  const natSource = rebuiltNatSource(i.natSource);
  // the keys enable writes for it, with the values daemon.json holds now
  const keys = Object.fromEntries([...Object.keys(planDaemonKeys({}, i.dockerVersion, found.prefix, found.mode).set), ...(mtu?.undo ? ['mtu'] : [])].map((k) => [k, c[k]]));
  // what disable puts back: the values of the copy from before enable, else nothing (the keys go)
  const undo = i.before !== undefined
    ? setKeys(i.before, keys, i.config.path).undo
    : { previous: Object.fromEntries(Object.keys(keys).map((k) => [k, ABSENT])) };
  const notes = [
    `prefix ${prefix}${outside ? ` translated to ${outside}` : ''}, mode ${found.mode}, uplink ${i.uplink}: the keys in ${i.config.path} are exactly what enable writes for them`,
    ...(found.others.length ? [`Docker ${i.dockerVersion}'s pools fit ${found.others.length} other prefix lengths too (${found.others[0]} ... ${found.others.at(-1)}): ${i.prefix ? 'the one given' : 'the longest is taken (a shorter one than yours would route and filter addresses that are not this host\'s)'}; if yours is another, run docker ipv6 recover --rebuild-state --prefix P`] : []),
    i.before !== undefined
      ? `disable will put back the values of ${Object.keys(keys).join(', ')} from the copy enable kept before its first change`
      : `no copy of daemon.json from before enable is left: disable will remove ${Object.keys(keys).join(', ')} instead of restoring earlier values`,
    ...(mtu ? [mtu.note] : []),
    ...(found.mode === 'nat' ? [natSource.note] : []),
    'the sysctls\' values from before enable were in the lost file: disable will leave forwarding, accept_ra and proxy_ndp as they are now (set them back by hand if you need)',
  ];
  const routes = unreachableRoutes({ mode: found.mode, prefix, outsidePrefix: outside }).map(routeKey);
  const state: ToolState = {
    version: 1, prefix, mode: found.mode, uplink: i.uplink,
    enabled: {
      at: i.now, daemonJson: { path: i.config.path, undo, fileExisted: true },
      sysctls: {}, sysctlFileWritten: i.sysctlFileExists, natByUs: found.mode === 'npt', filterByUs: found.mode !== 'nat',
      ...(mtu ? { mtu: mtu.value } : {}),
    },
    ...(outside ? { outsidePrefix: outside } : {}),
    ...(natSource.value ? { natSource: natSource.value } : {}),
    ...(routes.length ? { routes } : {}),
  };
  return { state, prefix, notes };
}

/**
 * The default bridge's MTU, when daemon.json lowers it below Docker's 1500: enable records any such MTU (network
 * create gives it to the networks it makes), and writes "mtu" itself only to lower it to the uplink's. disable
 * undoes the key when the copy from before enable tells its earlier value, or, without the copy, when it is the
 * uplink's (what enable writes); another value is not enable's to remove.
 */
function rebuiltMtu(c: Record<string, unknown>, i: Pick<RebuildInput, 'before' | 'uplink' | 'uplinkMtu' | 'config'>): { value: number; undo: boolean; note: string } | undefined {
  const value = defaultBridgeMtu(c);
  if (value >= DOCKER_DEFAULT_MTU || value < IPV6_MIN_MTU) return undefined;
  const undo = i.before !== undefined || value === i.uplinkMtu;
  const kept = `the default bridge's MTU ${value} ("mtu" in ${i.config.path}) is recorded again: docker ipv6 network create gives it to the networks it makes`;
  return {
    value, undo,
    note: undo ? kept : `${kept}; it is not the uplink ${i.uplink}'s MTU (${i.uplinkMtu ?? 'unknown'}), which is the one enable writes, so disable leaves "mtu" in ${i.config.path}`,
  };
}

/**
 * nat mode: the chosen source (enable --nat-source) our SNAT rule still names, recorded again while it is an address
 * enable would accept; else none, and the note says how to choose one again.
 */
function rebuiltNatSource(n: RebuildInput['natSource']): { value?: string; note: string } {
  const again = 'docker ipv6 enable --nat-source ADDR sets one again (doctor lists the addresses to choose from)';
  if (!n) return { note: `nat mode: no SNAT rule of ours names a chosen NAT66 source, so none is recorded (containers leave with the kernel's choice); if enable had chosen one, ${again}` };
  const value = canonical6(n.seen);
  if (!n.choices.map(canonical6).includes(value)) return { note: `our SNAT rule names ${value}, which is no longer an address of this host a source may be: it is not recorded; ${again}` };
  return { value, note: `the chosen NAT66 source ${value} our SNAT rule names is recorded again: docker ipv6 apply keeps it for every network` };
}
