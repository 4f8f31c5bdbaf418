// Chooses IPv6 /64s for --fix: inside the host's prefix when `docker ipv6 enable` recorded one, else a fresh ULA.
import { readState } from '../host/state-file';
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../errors';
import { allocateSubnet, formatCidr, parseCidr, ulaPrefix48, type Cidr } from './cidr';
import type { Allocator } from './fix';

export interface HostAllocation {
  /** the host's IPv6 prefix (e.g. a ULA /48) */
  prefix?: string;
  /** subnets the tool already handed out */
  allocations: string[];
}

/** Reads `prefix` and `allocations` from the state file; undefined when there is none. */
export async function readHostAllocation(stateFile: string): Promise<HostAllocation | undefined> {
  const state = await readState(stateFile);
  if (!state) return undefined;
  return { prefix: state.prefix, allocations: Object.values(state.allocations ?? {}).map(String) };
}

/**
 * An allocator handing out distinct /64s. From the host prefix it skips the first /64 (by
 * convention the default bridge's fixed-cidr-v6) and everything in `used`; without a prefix it
 * takes consecutive /64s of one random RFC 4193 /48.
 */
export function makeAllocator(opts: { prefix?: string; used: string[]; random?: (n: number) => Buffer }): { allocate: Allocator; source: string } {
  const used: Cidr[] = opts.used.map((u) => parseCidr(u)).filter((c): c is Cidr => !!c && c.family === 6);
  let outer: Cidr;
  let skip = 0;
  let source: string;
  const hostPrefix = opts.prefix ? parseCidr(opts.prefix) : undefined;
  if (opts.prefix && (!hostPrefix || hostPrefix.family !== 6 || hostPrefix.length > 64)) {
    throw new ConfigError(`the state file's prefix "${opts.prefix}" is not an IPv6 prefix of /64 or shorter`, 'run docker ipv6 enable again to record a valid prefix');
  }
  if (hostPrefix) {
    outer = hostPrefix;
    skip = hostPrefix.length < 64 ? 1 : 0;
    source = `the host prefix ${opts.prefix}`;
  } else {
    outer = ulaPrefix48((opts.random ?? randomBytes)(5));
    source = `a new ULA prefix ${formatCidr(outer)}`;
  }
  const allocate: Allocator = (network) => {
    const c = allocateSubnet(outer, 64, used, skip);
    if (!c) throw new ConfigError(`no free /64 left in ${formatCidr(outer)} for network "${network}"`, 'free a subnet, or give the network an IPv6 subnet by hand');
    used.push(c);
    return formatCidr(c);
  };
  return { allocate, source };
}
