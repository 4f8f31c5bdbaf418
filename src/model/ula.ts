// The one RFC 4193 ULA generator: a /48 from 40 random bits, and the stable draws enable feeds it (pure).
import { createHash } from 'node:crypto';
import { nthSubnet, parseCidr6, type Cidr6 } from './ip';

const ULA_BASE = parseCidr6('fd00::/8')!;

/** RFC 4193: fd00::/8 + a random 40-bit global ID = a /48. `random` holds at least 5 random bytes. */
export function generateUla(random: Uint8Array): Cidr6 {
  if (random.length < 5) throw new RangeError('need 5 random bytes');
  let id = 0n;
  for (let i = 0; i < 5; i++) id = (id << 8n) | BigInt(random[i]);
  return nthSubnet(ULA_BASE, 48, id);
}

/**
 * RFC 4193 section 3.2.2 derives the global ID from SHA-1 of a time stamp and an EUI-64. A stable
 * host identity (machine-id and the uplink's MAC) stands in for both, so `enable --dry-run` and the
 * `enable` after it (and every host rebuilt from the same image with another MAC) agree, while hosts
 * differ. Draw i is the fallback when draw i-1 collides with something on the host.
 */
export function ulaDraws(hostIdentity: string, count = 8): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => createHash('sha1').update(`${hostIdentity}\n${i}`).digest().subarray(15, 20));
}

