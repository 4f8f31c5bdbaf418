import test from 'ava';
import { Address6 } from 'ip-address';
import { addressAt, allocateSubnet, canonical6, classifyV6, contains, formatAddress, formatIPv6Bytes, formatCidr, hasHostBits, isGlobalV6, isIPv6Address, isUla, nthSubnet, overlaps, parseAddress, parseCidr, parseCidr4, parseCidr6, v6ToBig } from '../../../src/model/ip';

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

test('IPv6 text without ip-address on the common path: the same values and the same RFC 5952 text as ip-address gives', (t) => {
  // random values, and values made of zero runs of every length and place (where "::" goes is the hard part)
  let seed = 25;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed; };
  const values: bigint[] = [0n, 1n, (1n << 128n) - 1n, 0xffffn << 32n];
  for (let i = 0; i < 400; i++) {
    let v = 0n;
    for (let g = 0; g < 8; g++) v = (v << 16n) | BigInt(rnd() % 3 === 0 ? 0 : rnd() % 4 === 0 ? rnd() % 16 : rnd() % 65536);
    values.push(v);
  }
  for (let mask = 0; mask < 256; mask++) {
    let v = 0n;
    for (let g = 0; g < 8; g++) v = (v << 16n) | BigInt(mask & (1 << g) ? 0xab0 + g : 0);
    values.push(v);
  }
  for (const v of values) {
    const text = formatAddress(6, v);
    t.is(text, Address6.fromBigInt(v).correctForm(), `${v.toString(16)}`);
    const full = v.toString(16).padStart(32, '0').match(/.{4}/g)!.join(':');
    for (const s of [text, full, full.toUpperCase(), text.toUpperCase()]) {
      t.is(v6ToBig(s), new Address6(s).bigInt(), s);
      t.is(parseAddress(s)?.value, v, s);
      t.is(parseCidr6(`${s}/64`)?.network, Address6.fromBigInt(v & ~((1n << 64n) - 1n)).correctForm(), s);
      t.true(isIPv6Address(s), s);
      t.is(canonical6(s), text, s);
    }
  }
});

test('IPv6 text: what the common path does not take is still judged by ip-address', (t) => {
  for (const s of ['::ffff:192.0.2.1', '1::2::3', ':::', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', ':1::', '1:2:3:4:5:6:7:8::', '', ':', 'fe80::1%eth0', '::1/128']) {
    t.is(isIPv6Address(s), !s.includes('/') && Address6.isValid(s) && !s.includes('%'), s);
    const ok = /^[0-9A-Fa-f:.]+$/.test(s) && s.includes(':') && Address6.isValid(s);
    t.is(parseAddress(s)?.value, ok ? new Address6(s).bigInt() : undefined, s);
  }
  t.is(canonical6('::ffff:192.0.2.1'), '::ffff:c000:201');
  t.is(parseCidr6('2001:db8::/33')?.network, '2001:db8::');
  t.is(parseCidr6('1::2::3/64'), undefined);
});

test('IPv6 text from the 16 bytes netlink gives is the same text; parsed text is shared, frozen, and the same on every call', (t) => {
  for (const v of [0n, 1n, 0x20010db8000000000000000000000001n, (1n << 128n) - 1n, 0xfe800000000000000000000000000000n]) {
    t.is(formatIPv6Bytes(Buffer.from(v.toString(16).padStart(32, '0'), 'hex')), formatAddress(6, v));
  }
  const a = parseCidr6('2001:db8:1::/64')!;
  t.is(parseCidr6('2001:db8:1::/64'), a);
  t.true(Object.isFrozen(a));
  t.deepEqual(parseCidr('2001:db8:1::5/64'), { ...a, hostBits: true });
  t.is(parseAddress('nope'), undefined);
  t.is(parseAddress('nope'), undefined, 'a miss is kept too');
});
