// The rules a prefix must meet before the tool serves it (pure): shared by `enable --prefix` (a usage error)
// and the state file's check on load (a config error), so a saved prefix is held to what enable accepts.
import { classifyV6, formatCidr, hasHostBits, isIPv6Address, parseCidr6, type Cidr6 } from './ip';

/** Networks get subnets 8 bits longer than a long prefix and Docker's IPAM stops at /120. */
export const MAX_PREFIX_LENGTH = 112;
/** Anything shorter is not a prefix one host is given (and ::/0 would take every address). */
export const MIN_PREFIX_LENGTH = 16;

/** What is wrong with a prefix: `why` completes a sentence whose subject is the prefix; `hint` says what to do. */
export interface PrefixProblem { why: string; hint: string }

/** The canonical prefix, or the first rule it breaks (IPv6, with a length, no host bits, unicast, GUA or ULA, /16../112). */
export function judgePrefix(input: string): { cidr: Cidr6 } | { problem: PrefixProblem } {
  const no = (why: string, hint: string) => ({ problem: { why, hint } });
  if (/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(input)) return no('is IPv4; an IPv6 prefix is needed', 'use --prefix auto for a generated ULA /48, or your provider\'s IPv6 prefix');
  const [addr, len] = input.split('/');
  if (!isIPv6Address(addr ?? '') || input.split('/').length > 2) return no('is not an IPv6 prefix', 'write it as ADDRESS/LENGTH, e.g. 2001:db8:5::/48, or use --prefix auto');
  if (len === undefined) return no('has no length', `add one, e.g. ${input}/64`);
  const c = parseCidr6(input);
  if (!c) return no('is not a valid IPv6 prefix', `write it as ADDRESS/LENGTH with a length from ${MIN_PREFIX_LENGTH} to ${MAX_PREFIX_LENGTH}, e.g. 2001:db8:1::/56`);
  if (hasHostBits(input)) return no('has host bits set', `did you mean ${formatCidr(c)}?`);
  const kind = classifyV6(c);
  const bad: Partial<Record<typeof kind, string>> = {
    unspecified: 'the unspecified address', loopback: 'loopback', 'ipv4-mapped': 'IPv4-mapped space',
    'link-local': 'link-local (fe80::/10), which never leaves a link', multicast: 'multicast (ff00::/8)',
  };
  if (bad[kind] || c.start === 0n) return no(`is ${bad[kind] ?? 'not a unicast prefix'}`, 'use a ULA (fd00::/8, or --prefix auto) or a global prefix routed to this host');
  if (c.length > MAX_PREFIX_LENGTH) return no(`is too small: /${c.length} leaves no room for networks of containers`, `give a /${MAX_PREFIX_LENGTH} or shorter (a /48 or /56 gives each network its own /64)`);
  if (c.length < MIN_PREFIX_LENGTH) return no(`is implausibly large (/${c.length})`, 'give the prefix routed to this host, typically a /48 to /64');
  if (kind === 'other') return no('is not global unicast (2000::/3) or unique local (fc00::/7) space', 'use a ULA (--prefix auto) or the global prefix your provider routes to this host');
  return { cidr: c };
}
