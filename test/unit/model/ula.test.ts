import test from 'ava';
import { formatCidr } from '../../../src/model/ip';
import { generateUla, ulaDraws } from '../../../src/model/ula';

test('RFC 4193 ULA from 40 random bits', (t) => {
  t.is(generateUla(Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a])).network, 'fd12:3456:789a::');
  t.is(generateUla(Uint8Array.from([0, 0, 0, 0, 1])).network, 'fd00:0:1::');
  // lint's former ulaPrefix48 case: the same generator, a Buffer works as the random bytes
  t.is(formatCidr(generateUla(Buffer.from([0xab, 0xcd, 0xef, 0x01, 0x23]))), 'fdab:cdef:123::/48');
  t.like(generateUla(Uint8Array.from([0, 0, 0, 0, 1])), { family: 6, length: 48, hostBits: false });
  t.throws(() => generateUla(Uint8Array.from([1, 2, 3, 4])), { instanceOf: RangeError });
});

test('ulaDraws: stable per identity, different between identities, 5 bytes each', (t) => {
  t.deepEqual(ulaDraws('a', 3), ulaDraws('a', 3));
  t.notDeepEqual(ulaDraws('a', 1), ulaDraws('b', 1));
  t.true(ulaDraws('a').every((d) => d.length === 5));
});
