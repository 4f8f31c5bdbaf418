import test from 'ava';
import { parseCidr, parseAddress, overlaps, contains, isUla, isGlobalV6, allocateSubnet, formatCidr, ulaPrefix48 } from '../../../src/lint/cidr';

test('parse both families, host bits, malformed', (t) => {
  t.like(parseCidr('fd00:1::/64'), { family: 6, length: 64, hostBits: false });
  t.like(parseCidr('10.1.2.3/8'), { family: 4, length: 8, hostBits: true });
  for (const bad of ['fd00::/129', '10.0.0.0/33', '10.0.0.256/8', 'fd00::', 'fd00:zz::/64', '', 'fd00::/64/1']) t.is(parseCidr(bad), undefined, bad);
  t.is(parseAddress('fd00::1')?.family, 6);
  t.is(parseAddress('fd00::1/64'), undefined);
});

test('overlap and containment never mix families', (t) => {
  const a = parseCidr('fd00::/48')!;
  t.true(overlaps(a, parseCidr('fd00:0:0:5::/64')!));
  t.false(overlaps(a, parseCidr('fd01::/64')!));
  t.false(overlaps(parseCidr('0.0.0.0/0')!, parseCidr('::/0')!));
  t.true(contains(parseCidr('::/0')!, a));
  t.true(isUla(a));
  t.false(isUla(parseCidr('2001:db8::/32')!));
  t.true(isGlobalV6(parseCidr('2001:db8::/32')!));
});

test('allocation skips used subnets and the reserved first ones', (t) => {
  const outer = parseCidr('fd12:3456:789a::/48')!;
  const used = [parseCidr('fd12:3456:789a:1::/64')!, parseCidr('fd12:3456:789a:2::/63')!];
  t.is(formatCidr(allocateSubnet(outer, 64, used, 1)!), 'fd12:3456:789a:4::/64');
  t.is(allocateSubnet(parseCidr('fd00::/64')!, 64, [parseCidr('fd00::/64')!]), undefined);
  t.is(formatCidr(ulaPrefix48(Buffer.from([0xab, 0xcd, 0xef, 0x01, 0x23]))), 'fdab:cdef:123::/48');
});
