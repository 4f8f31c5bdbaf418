import test from 'ava';
import { addressAt, classifyV6, contains, hasHostBits, nthSubnet, overlaps, parseCidr4, parseCidr6 } from '../../src/util/ip';

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
  t.is(parseCidr4('0.0.0.0/0')!.end, 0xffffffff);
});
