// Chooses IPv6 subnets for --fix by network create's rules (model/alloc allocateV6): in the host's prefix when `docker ipv6 enable` recorded one, else a fresh ULA.
import type { StateFile } from '../host/interfaces';
import { randomBytes } from 'node:crypto';
import { ConfigError, UsageError } from '../errors';
import { allocateV6, type Used6 } from '../model/alloc';
import { formatCidr, parseCidr, type Cidr6 } from '../model/ip';
import { subnetLength } from '../model/pools';
import { generateUla } from '../model/ula';
import type { Allocator } from './fix';

export interface HostAllocation {
  /** the host's IPv6 prefix (e.g. a ULA /48) */
  prefix?: string;
  /** subnets the tool already handed out */
  allocations: string[];
}

/** Reads `prefix` and `allocations` from the state file; undefined when there is none. */
export async function readHostAllocation(stateFile: Pick<StateFile, 'read'>): Promise<HostAllocation | undefined> {
  const state = await stateFile.read();
  if (!state) return undefined;
  return { prefix: state.prefix, allocations: Object.values(state.allocations ?? {}).map(String) };
}

/**
 * The IPv6 space --fix must not hand out, from what lint already has: the subnets written in the
 * files, Docker's networks (when the host check asked Docker) and the state's allocations.
 * `network create` also counts the host's addresses and routes and daemon.json's pools; lint does
 * not read those (no netlink, no daemon.json here), so a subnet it picks can still meet one of them.
 */
export function lintUsedSpace(i: { files: string[]; networks?: Array<{ name: string; subnets: string[] }>; allocations?: string[] }): Used6[] {
  const used: Used6[] = [];
  const add = (s: string, what: string) => {
    const c = parseCidr(s); // address/length only: a bare address is no subnet
    if (c?.family === 6) used.push({ cidr: c as Cidr6, what });
  };
  for (const s of i.files) add(s, `a subnet in the linted files (${s})`);
  for (const n of i.networks ?? []) for (const s of n.subnets) add(s, `network ${n.name} (${s})`);
  for (const s of i.allocations ?? []) add(s, `an allocation (${s}) in the docker-ipv6 state`);
  return used;
}

/**
 * An allocator handing out distinct subnets with allocateV6, as `network create` does: subnetLength
 * of the prefix (a /64 from a /48), skipping the first one (the default bridge's fixed-cidr-v6) and
 * everything in `used`. Without a host prefix it takes a random RFC 4193 /48; allocateV6 skips its
 * first /64 too, though no bridge sits there: harmless, and one rule for both cases.
 */
export function makeAllocator(opts: { prefix?: string; used: readonly Used6[]; random?: (n: number) => Buffer }): { allocate: Allocator; source: string } {
  const used = [...opts.used];
  let outer: Cidr6;
  let source: string;
  const hostPrefix = opts.prefix ? parseCidr(opts.prefix) : undefined;
  if (opts.prefix && (!hostPrefix || hostPrefix.family !== 6 || hostPrefix.length > 64)) {
    throw new ConfigError(`the state file's prefix "${opts.prefix}" is not an IPv6 prefix of /64 or shorter`, 'run docker ipv6 enable again to record a valid prefix');
  }
  if (hostPrefix) {
    outer = hostPrefix as Cidr6;
    source = `the host prefix ${opts.prefix}`;
  } else {
    outer = generateUla((opts.random ?? randomBytes)(5));
    source = `a new ULA prefix ${formatCidr(outer)}`;
  }
  const allocate: Allocator = (network) => {
    let c: Cidr6;
    try {
      c = allocateV6(outer, used);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      throw new ConfigError(`no free /${subnetLength(outer)} left in ${formatCidr(outer)} for network "${network}"`, 'free a subnet, or give the network an IPv6 subnet by hand');
    }
    used.push({ cidr: c, what: `network ${network} (${formatCidr(c)}), fixed by lint` });
    return formatCidr(c);
  };
  return { allocate, source };
}
