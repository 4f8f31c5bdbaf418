// Chooses and checks the host's IPv6 prefix: a generated RFC 4193 ULA /48, or one the user gave (pure).
import type { PrefixFacts } from '../observe/prefix-facts';
import { UsageError } from '../errors';
import { formatCidr, contains, overlaps, parseCidr6, type Cidr6 } from '../model/ip';
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
