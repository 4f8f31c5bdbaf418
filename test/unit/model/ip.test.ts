import test from 'ava';
import { addressAt, allocateSubnet, classifyV6, contains, formatCidr, hasHostBits, isGlobalV6, isUla, nthSubnet, overlaps, parseAddress, parseCidr, parseCidr4, parseCidr6 } from '../../../src/model/ip';

test('parseCidr6 canonicalises and clears host bits', (t) => {
  const c = parseCidr6('FD00:0:0:1::5/64')!;
  t.is(c.network, 'fd00:0:0:1::');
  t.is(c.length, 64);
  t.true(hasHostBits('fd00:0:0:1::5/64'));
  t.false(hasHostBits('fd00:0:0:1::/64'));
  t.is(parseCidr6('10.0.0.0/8'), undefined);
  t.is(parseCidr6('fd00::/129'), undefined);
  t.is(parseCidr6('nonsense'), undefined);
  t.is(parseCidr6('fd00::/64')!.end - parseCidr6('fd00::/64')!.start, (1n << 64n) - 1n);
});

test('overlap and containment', (t) => {
  const a = parseCidr6('2001:db8:1::/64')!;
  const b = parseCidr6('2001:db8:1::/80')!;
  const c = parseCidr6('2001:db8:2::/64')!;
  t.true(overlaps(a, b));
  t.true(contains(a, b));
  t.false(contains(b, a));
  t.false(overlaps(a, c));
});

test('nth subnet and addresses', (t) => {
  const p = parseCidr6('fd12:3456:789a::/48')!;
  t.is(nthSubnet(p, 64, 0n).network, 'fd12:3456:789a::');
  t.is(nthSubnet(p, 64, 1n).network, 'fd12:3456:789a:1::');
  t.is(nthSubnet(p, 64, 65535n).network, 'fd12:3456:789a:ffff::');
  t.throws(() => nthSubnet(p, 64, 65536n));
  t.is(addressAt(nthSubnet(p, 64, 1n), 1n), 'fd12:3456:789a:1::1');
});

test('classification', (t) => {
  const k = (s: string) => classifyV6(parseCidr6(s)!);
  t.is(k('fe80::/64'), 'link-local');
  t.is(k('ff02::1/128'), 'multicast');
  t.is(k('::1/128'), 'loopback');
  t.is(k('::/128'), 'unspecified');
  t.is(k('::ffff:10.0.0.0/104'), 'ipv4-mapped');
  t.is(k('fd00:1::/48'), 'ula');
  t.is(k('2001:db8::/32'), 'documentation');
  t.is(k('2a01:4f8::/32'), 'global');
});

test('parseCidr4', (t) => {
  const c = parseCidr4('172.17.5.9/16')!;
  t.is(c.network, '172.17.0.0');
  t.is(parseCidr4('300.1.1.1/8'), undefined);
  t.is(parseCidr4('0.0.0.0/0')!.end, 0xffffffffn);
});

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
  t.is(formatCidr(allocateSubnet(outer, 64, used, 1n)!), 'fd12:3456:789a:4::/64');
  t.is(allocateSubnet(parseCidr('fd00::/64')!, 64, [parseCidr('fd00::/64')!]), undefined);
});
