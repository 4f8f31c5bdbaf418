// The ULA prefixes lint suggests (fix texts) and allocates (--fix), derived from what is linted instead of drawn at
// random, so the same files give the same bytes out on every run and every machine.
import { createHash } from 'node:crypto';
import { generateUla } from '../model/ula';
import type { Cidr6 } from '../model/ip';

/** RFC 4193 wants a pseudo-random 40-bit global ID: SHA-256 of the seed parts gives one that is also reproducible. */
export function derivedGlobalId(...parts: string[]): Buffer {
  const h = createHash('sha256').update('docker-ipv6 lint ula');
  for (const p of parts) h.update('\0').update(p);
  return h.digest().subarray(0, 5);
}

export const derivedUla = (...parts: string[]): Cidr6 => generateUla(derivedGlobalId(...parts));

const digests = new WeakMap<object, string>();

/** A digest of a document's file text, computed once per parsed file (thousands of findings must not rehash it). */
export function textDigest(key: object, text: string): string {
  let d = digests.get(key);
  if (d === undefined) { d = createHash('sha256').update(text).digest('hex'); digests.set(key, d); }
  return d;
}
