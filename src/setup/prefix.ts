// Chooses and checks the host's IPv6 prefix: a generated RFC 4193 ULA /48, or one the user gave (pure).
import type { PrefixFacts } from '../observe/prefix-facts';
import { UsageError } from '../errors';
import { addressAt, classifyV6, formatCidr, contains, overlaps, parseCidr6, type Cidr6 } from '../model/ip';
import { bridgeSubnet } from '../model/pools';
import { judgePrefix } from '../model/prefix-rules';
import { generateUla } from '../model/ula';

function refuse(why: string, hint: string): never {
  throw new UsageError(why, hint);
}

/** The checks that need no facts about the host: run before anything is observed (exit 2 even with Docker down). */
export function checkPrefixSyntax(input: string): Cidr6 {
  const j = judgePrefix(input);
  if ('problem' in j) refuse(`--prefix ${input} ${j.problem.why}`, j.problem.hint);
  return j.cidr;
}

/**
 * Canonicalises and checks a user prefix. Overlap with the uplink's on-link prefix is allowed only
 * when the prefix is a strictly smaller part of it (the NDP case).
 */
export function checkPrefix(input: string, f: PrefixFacts): Cidr6 {
  const c = checkPrefixSyntax(input);
  // Containers get addresses from the whole prefix (and NDP answers for them on the link): it must
  // hold neither the host's own addresses nor its router's, or the host would hijack them.
  for (const a of f.hostAddresses) {
    if (contains(c, parseCidr6(a.split('/')[0])!)) {
      refuse(`--prefix ${input} contains the host's own address ${a}`, 'pick a prefix that does not hold the host\'s addresses (for NDP: a part of the on-link prefix away from them, e.g. its upper half)');
    }
  }
  for (const g of f.gateways ?? []) {
    if (contains(c, parseCidr6(g)!)) {
      refuse(`--prefix ${input} contains the router's address ${g}`, 'pick a part of the on-link prefix that holds no router or host address');
    }
  }
  for (const u of f.uplinkPrefixes) {
    const up = parseCidr6(u)!;
    if (!overlaps(up, c)) continue;
    if (contains(up, c) && c.length > up.length) continue; // NDP case: a strict part of the on-link prefix
    refuse(`--prefix ${input} overlaps the uplink's on-link prefix ${u} without being a strict part of it`,
      `to use NDP proxy give a smaller part of it, e.g. ${formatCidr({ network: up.network, length: Math.min(up.length + 16, 112) })}... ; or use a prefix routed to this host`);
  }
  for (const r of f.hostRoutes) {
    const rc = parseCidr6(r);
    if (rc && overlaps(rc, c) && !f.uplinkPrefixes.some((u) => parseCidr6(u)!.start === rc.start && parseCidr6(u)!.length === rc.length)) {
      refuse(`--prefix ${input} overlaps the host's route to ${r}`, 'pick a prefix the host does not already route elsewhere');
    }
  }
  for (const d of f.dockerSubnets) {
    if (overlaps(parseCidr6(d.subnet)!, c)) refuse(`--prefix ${input} overlaps Docker network "${d.network}" (${d.subnet})`, `remove or recreate that network, or pick another prefix`);
  }
  for (const p of f.pools) {
    if (overlaps(parseCidr6(p)!, c)) refuse(`--prefix ${input} overlaps the address pool ${p} in daemon.json`, 'remove that pool from default-address-pools, or pick another prefix');
  }
  return c;
}

/** A generated ULA that collides with nothing (tries the given random draws in order). */
export function pickUla(draws: Uint8Array[], f: PrefixFacts): Cidr6 {
  for (const r of draws) {
    const c = generateUla(r);
    const all = [...f.hostAddresses.map((a) => a.split('/')[0]), ...f.hostRoutes, ...f.dockerSubnets.map((d) => d.subnet), ...f.pools];
    if (!all.some((s) => { const x = parseCidr6(s); return x && overlaps(x, c); })) return c;
  }
  throw new UsageError('could not generate a ULA prefix that overlaps nothing', 'give one with --prefix fdXX:XXXX:XXXX::/48');
}

/**
 * The prefix whose first network subnet (the default bridge's, model/pools.ts) is exactly `bridge`, so enable can
 * keep a hand-set fixed-cidr-v6: a /64 that opens a /48 or /56 (networks then get /64s), or a longer subnet that
 * opens the prefix 8 bits shorter (networks get subnets of its length). Undefined when no such prefix exists.
 */
export function prefixHolding(bridge: Cidr6): Cidr6 | undefined {
  const lengths = bridge.length === 64 ? [48, 56] : bridge.length > 64 ? [bridge.length - 8] : [];
  for (const len of lengths) {
    // parseCidr6 clears the host bits: the prefix of that length around the subnet
    const outer = len >= 16 ? parseCidr6(`${bridge.network}/${len}`) : undefined;
    if (outer && formatCidr(bridgeSubnet(outer)) === formatCidr(bridge)) return outer;
  }
  return undefined;
}

/** What enable does with a hand-set fixed-cidr-v6 when no --prefix is given and none is saved. */
export type HandMade = { keep: Cidr6; why: string } | { replace: true; why: string } | { refuse: true };

/**
 * A hand-set ULA (the common guide's fd00::/80 among them) says "IPv6 with NAT on a ULA": it is kept when a prefix
 * holding it as the bridge's subnet overlaps nothing of the host, else replaced by a generated ULA, and either way
 * enable says why. A global prefix set by hand is the operator's routing decision: enable asks for --prefix.
 */
export function judgeHandMade(value: string, f: PrefixFacts): HandMade {
  const c = parseCidr6(value);
  if (!c || !value.includes('/')) return { replace: true, why: `"${value}" is not an IPv6 prefix` };
  if (classifyV6(c) !== 'ula') return { refuse: true };
  const keep = prefixHolding(c);
  if (!keep) return { replace: true, why: `no prefix of docker ipv6 starts with ${value} (a /64 must open a /48 or /56, a longer subnet the prefix 8 bits shorter)` };
  try {
    checkPrefix(formatCidr(keep), f);
  } catch (e) {
    return { replace: true, why: (e as Error).message.replace(`--prefix ${formatCidr(keep)} `, `${formatCidr(keep)} (the prefix that holds ${value}) `) };
  }
  return { keep, why: `it overlaps nothing on this host; the prefix ${formatCidr(keep)} holds it and the subnets of the other networks` };
}

/**
 * Why a default bridge on `fixedCidr` would cut the host off (undefined: it would not): the bridge takes the
 * subnet's first address, and the host routes the whole subnet to the bridge. So it must hold neither the host's
 * addresses nor its router's, and not be (or hold) the uplink's on-link prefix: a strict part of it is the NDP case.
 */
export function bridgeHazard(fixedCidr: string, f: Pick<PrefixFacts, 'hostAddresses' | 'gateways' | 'uplinkPrefixes'>): string | undefined {
  const c = parseCidr6(fixedCidr);
  if (!c) return undefined;
  const gw = addressAt(c, 1n);
  for (const a of f.hostAddresses) {
    const addr = a.split('/')[0];
    if (contains(c, parseCidr6(addr)!)) return `"fixed-cidr-v6": "${fixedCidr}" holds the host's own address ${addr}${addr === gw ? ', which the bridge would take' : ''}`;
  }
  for (const g of f.gateways ?? []) {
    if (contains(c, parseCidr6(g)!)) return `"fixed-cidr-v6": "${fixedCidr}" holds the router's address ${g}${g === gw ? ': the bridge docker0 would take it, and the host would lose its router' : ': the host would route it to the bridge and lose its router'}`;
  }
  for (const u of f.uplinkPrefixes) {
    const up = parseCidr6(u)!;
    if (overlaps(up, c) && !(contains(up, c) && c.length > up.length)) return `"fixed-cidr-v6": "${fixedCidr}" overlaps the uplink's on-link prefix ${u}: the host would route its own link to the bridge`;
  }
  return undefined;
}
