// `docker ipv6 recover --rebuild-state`: a lost state file written again from what enable left in daemon.json
// (pure). The prefix is the one whose keys enable would write, exactly: the default bridge's fixed-cidr-v6
// is its first /64 and default-address-pools its subnets; the mode follows from the prefix and the uplink
// as enable's auto mode decides. What the lost file alone knew (the sysctls' values before enable, the NDP
// entries that were not ours) cannot be rebuilt, and the plan says what disable will do without it.
import { deepEqual, setKeys } from '../daemon/edit';
import { PreconditionError } from '../errors';
import { formatCidr, parseCidr6, type Cidr6 } from '../model/ip';
import { MIN_PREFIX_LENGTH } from '../model/prefix-rules';
import { ABSENT, type ToolState } from '../model/state';
import { planDaemonKeys } from '../daemon/plan-keys';
import { chooseMode } from '../model/mode';

export interface RebuildInput {
  /** daemon.json as it is now: its path, text and keys */
  config: { path: string; text: string; value: Record<string, unknown> };
  /** the copy enable kept of daemon.json before its first change (`daemon.json.before-enable`), when it is still there */
  before?: string;
  /** the dockerd version the keys were written for (the binary's, or the running daemon's) */
  dockerVersion: string;
  /** --prefix: which of several prefixes the keys fit (Docker before 27) */
  prefix?: string;
  uplink: string;
  uplinkPrefixes: string[];
  sysctlFileExists: boolean;
  now: string;
}

export interface RebuiltState { state: ToolState; prefix: string; notes: string[] }

/**
 * The prefixes whose enable keys daemon.json holds now (routed or ndp), longest first. Docker before 27 gets
 * 64 one-subnet pool entries whatever the prefix's length, so there several lengths give the same keys.
 */
export function prefixesFromKeys(config: Record<string, unknown>, version: string, uplinkPrefixes: string[]): Array<{ prefix: Cidr6; mode: 'routed' | 'ndp' }> {
  const bridge = typeof config['fixed-cidr-v6'] === 'string' ? parseCidr6(config['fixed-cidr-v6']) : undefined;
  if (!bridge) return [];
  const out: Array<{ prefix: Cidr6; mode: 'routed' | 'ndp' }> = [];
  for (let len = Math.min(bridge.length, 112); len >= MIN_PREFIX_LENGTH; len--) {
    const prefix = parseCidr6(`${bridge.network}/${len}`)!;
    if (prefix.start !== bridge.start) continue;
    const mode = chooseMode('auto', prefix, uplinkPrefixes);
    if (mode === 'nat') continue;
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
export function prefixFromKeys(config: Record<string, unknown>, version: string, uplinkPrefixes: string[], chosen?: string): { prefix: Cidr6; mode: 'routed' | 'ndp'; others: string[] } | undefined {
  const all = prefixesFromKeys(config, version, uplinkPrefixes);
  const want = chosen ? parseCidr6(chosen) : undefined;
  const hit = want ? all.find((c) => c.prefix.start === want.start && c.prefix.length === want.length) : all[0];
  return hit && { ...hit, others: all.filter((c) => c !== hit).map((c) => formatCidr(c.prefix)) };
}

export function rebuildState(i: RebuildInput): RebuiltState {
  const c = i.config.value;
  if (!(c.ipv6 === true && c.ip6tables === false)) {
    throw new PreconditionError(`${i.config.path} does not run Docker with IPv6 and its IPv6 filter off: there is no routed or ndp setup to rebuild the state from`, 'docker ipv6 enable sets IPv6 up (add --dry-run to see how)');
  }
  const found = prefixFromKeys(c, i.dockerVersion, i.uplinkPrefixes, i.prefix);
  if (!found) {
    const fits = prefixesFromKeys(c, i.dockerVersion, i.uplinkPrefixes).map((x) => formatCidr(x.prefix));
    throw new PreconditionError(
      i.prefix && fits.length
        ? `${i.prefix} is not a prefix whose enable keys ${i.config.path} holds: ${fits.join(', ')} ${fits.length > 1 ? 'are' : 'is'}`
        : `${i.config.path} holds "fixed-cidr-v6": ${JSON.stringify(c['fixed-cidr-v6'])} and address pools that are not what docker ipv6 enable writes for any prefix (Docker ${i.dockerVersion}, uplink ${i.uplink})`,
      i.prefix && fits.length ? `docker ipv6 recover --rebuild-state --prefix ${fits[0]}` : 'put the state file back from a backup; or pass the uplink the host had at enable with --uplink IFACE',
    );
  }
  const prefix = formatCidr(found.prefix);
  // the keys enable writes for it, with the values daemon.json holds now
  const keys = Object.fromEntries(Object.keys(planDaemonKeys({}, i.dockerVersion, found.prefix, found.mode).set).map((k) => [k, c[k]]));
  // what disable puts back: the values of the copy from before enable, else nothing (the keys go)
  const undo = i.before !== undefined
    ? setKeys(i.before, keys, i.config.path).undo
    : { previous: Object.fromEntries(Object.keys(keys).map((k) => [k, ABSENT])) };
  const notes = [
    `prefix ${prefix}, mode ${found.mode}, uplink ${i.uplink}: the keys in ${i.config.path} are exactly what enable writes for them`,
    ...(found.others.length ? [`Docker ${i.dockerVersion}'s pools fit ${found.others.length} other prefix lengths too (${found.others[0]} ... ${found.others.at(-1)}): ${i.prefix ? 'the one given' : 'the longest is taken (a shorter one than yours would route and filter addresses that are not this host\'s)'}; if yours is another, run docker ipv6 recover --rebuild-state --prefix P`] : []),
    i.before !== undefined
      ? `disable will put back the values of ${Object.keys(keys).join(', ')} from the copy enable kept before its first change`
      : `no copy of daemon.json from before enable is left: disable will remove ${Object.keys(keys).join(', ')} instead of restoring earlier values`,
    'the sysctls\' values from before enable were in the lost file: disable will leave forwarding, accept_ra and proxy_ndp as they are now (set them back by hand if you need)',
  ];
  const state: ToolState = {
    version: 1, prefix, mode: found.mode, uplink: i.uplink,
    enabled: {
      at: i.now, daemonJson: { path: i.config.path, undo, fileExisted: true },
      sysctls: {}, sysctlFileWritten: i.sysctlFileExists, natByUs: false, filterByUs: true,
    },
    ...(found.mode === 'routed' ? { routes: [`unreachable ${prefix}`] } : {}),
  };
  return { state, prefix, notes };
}
