import test from 'ava';
import { allocateV4, allocateV6, checkFree, parseSubnet, type UsedSpace } from '../../../src/model/alloc';
import { liveAllocations, usedSpace } from '../../../src/model/space';
import { createBody, planCreate, MANAGED_LABEL } from '../../../src/subnets/plan';
import { composeBlock } from '../../../src/network/compose';
import { formatCidr, parseCidr4, parseCidr6 } from '../../../src/model/ip';

const prefix = parseCidr6('fd12:3456:789a::/48')!;
const none: UsedSpace = { v6: [], v4: [] };

test('v6: skips the default bridge subnet and anything used, also big occupants', (t) => {
  t.is(formatCidr(allocateV6(prefix, [])), 'fd12:3456:789a:1::/64');
  const used = usedSpace({ networks: [{ name: 'a', ipv4Subnets: [], ipv6Subnets: ['fd12:3456:789a:1::/64', 'fd12:3456:789a:2::/63'] }] });
  t.is(formatCidr(allocateV6(prefix, used.v6)), 'fd12:3456:789a:4::/64');
  // a host route covering the first 256 /64s pushes the allocation past it in one step
  const big = usedSpace({ networks: [], net: { links: [], addresses: [], proxies: [], routes: [{ family: 6, dst: 'fd12:3456:789a::/56', table: 254, protocol: 'static', type: 'unicast', ifname: 'eth1' }] } });
  t.is(formatCidr(allocateV6(prefix, big.v6)), 'fd12:3456:789a:100::/64');
  t.regex(big.v6[0].what, /route to fd12:3456:789a::\/56 on eth1/);
});

test('v6: a longer prefix hands out subnets 8 bits longer; a full prefix is an error', (t) => {
  const p64 = parseCidr6('2001:db8:1:2::/64')!;
  t.is(formatCidr(allocateV6(p64, [])), '2001:db8:1:2:100::/72');
  t.throws(() => allocateV6(parseCidr6('fd00::/112')!, [{ cidr: parseCidr6('fd00::/112')!, what: 'x' }]), { message: /no free/ });
});

test('v4: from the pools minus networks, host addresses and routes; falls back to 172.16/12', (t) => {
  const pools = [{ base: '10.128.0.0/9', size: 24 }];
  const used = usedSpace({
    networks: [{ name: 'bridge', ipv4Subnets: ['10.128.0.0/24'], ipv6Subnets: [] }],
    net: { links: [], proxies: [], addresses: [{ ifindex: 2, ifname: 'eth0', family: 4, address: '10.128.1.7', prefixlen: 24, scope: 0, flags: [] }], routes: [{ family: 4, dst: '10.128.2.0/23', table: 254, protocol: 'static', type: 'unicast' }] },
  });
  const c = allocateV4(pools, used.v4);
  t.is(`${c.network}/${c.length}`, '10.128.4.0/24');
  const full = [{ cidr: parseCidr4('10.128.0.0/9')!, what: 'x' }, { cidr: parseCidr4('172.16.0.0/16')!, what: 'y' }];
  const f = allocateV4(pools, full);
  t.is(`${f.network}/${f.length}`, '172.17.0.0/24');
});

test('--subnet: malformed, host bits and overlaps are refused with the reason', (t) => {
  t.throws(() => parseSubnet('fd00::zz/64'), { message: /not an IPv6 prefix/ });
  const e = t.throws(() => parseSubnet('fd00::1/64'), { message: /has host bits set/ }) as { hint?: string };
  t.is(e.hint, 'did you mean fd00::/64?');
  t.throws(() => parseSubnet('10.0.0.1/24'), { message: /host bits/ });
  t.throws(() => parseSubnet('10.0.0.0'), { message: /not an IPv4 or IPv6 prefix/ });
  t.throws(() => parseSubnet('10.0.0.0/33'), { message: /not an IPv4/ });
  const used = usedSpace({ networks: [{ name: 'web', ipv4Subnets: ['172.30.0.0/16'], ipv6Subnets: ['fd12:3456:789a:1::/64'] }] });
  t.throws(() => checkFree(parseSubnet('172.30.5.0/24'), used), { message: /overlaps network web \(172\.30\.0\.0\/16\): nothing was created/ });
  t.throws(() => checkFree(parseSubnet('fd12:3456:789a::/56'), used), { message: /overlaps network web/ });
  t.notThrows(() => checkFree(parseSubnet('172.31.0.0/24'), used));
});

test('Docker pools: foreign IPv6 pools are avoided, ours (from enable) are not', (t) => {
  const used = usedSpace({ networks: [], prefix, pools: [{ base: 'fd12:3456:789a:8000::/49', size: 64 }, { base: 'fd12:3456:789a:1::/64', size: 64 }, { base: 'fdff::/48', size: 64 }] });
  t.deepEqual(used.v6.map((u) => formatCidr(u.cidr)), ['fdff::/48']);
});

test('plan: no prefix and no IPv6 --subnet says to enable first; nothing is invented', (t) => {
  t.throws(() => planCreate('n', {}, { used: none, pools: [], existingNames: [] }), { message: /no saved IPv6 prefix/ });
  const p = planCreate('n', { subnet: ['fd99::/64'] }, { used: none, pools: [{ base: '10.128.0.0/9', size: 24 }], existingNames: [] });
  t.is(p.v6.subnet, 'fd99::/64');
  t.is(p.v4?.subnet, '10.128.0.0/24');
});

test('plan: gateway and ip-range must sit inside their subnet; an existing name is refused', (t) => {
  const f = { prefix, used: none, pools: [{ base: '10.128.0.0/9', size: 24 }], existingNames: ['taken'] };
  t.throws(() => planCreate('taken', {}, f), { message: /already exists/ });
  t.throws(() => planCreate('n', { subnet: ['172.30.0.0/24'], gateway: ['172.31.0.1'] }, f), { message: /not an address inside/ });
  t.throws(() => planCreate('n', { gateway: ['fd00::1'] }, f), { message: /needs an IPv6 --subnet/ });
  t.throws(() => planCreate('n', { subnet: ['172.30.0.0/24'], ipRange: ['172.30.1.0/25'] }, f), { message: /not inside/ });
  const p = planCreate('n', { subnet: ['172.30.0.0/24', 'fd12:3456:789a:9::/64'], gateway: ['172.30.0.254', 'fd12:3456:789a:9::fe'], ipRange: ['172.30.0.128/25'] }, f);
  t.deepEqual(p.v4, { subnet: '172.30.0.0/24', gateway: '172.30.0.254', ipRange: '172.30.0.128/25', allocated: false });
  t.is(p.v6.gateway, 'fd12:3456:789a:9::fe');
});

test('API body: labels and options with dashes and shell metacharacters are plain data', (t) => {
  const evil = ['--privileged=$(touch /tmp/pwned)', '-o=; rm -rf / #', 'a`id`=b|c&&d'];
  const p = planCreate('n', { label: evil, opt: ['--x=-y', 'com.docker.network.bridge.name=$(id)'] }, { prefix, used: none, pools: [{ base: '10.128.0.0/9', size: 24 }], existingNames: [] });
  const body = createBody(p);
  t.deepEqual(body.Labels, {
    '--privileged': '$(touch /tmp/pwned)', '-o': '; rm -rf / #', 'a`id`': 'b|c&&d',
    [MANAGED_LABEL]: 'true', 'com.docker-ipv6.subnet-v6': 'fd12:3456:789a:1::/64', 'com.docker-ipv6.subnet-v4': '10.128.0.0/24',
  });
  t.deepEqual(body.Options, { '--x': '-y', 'com.docker.network.bridge.name': '$(id)' });
  t.is(body.EnableIPv6, true);
  t.deepEqual(body.IPAM, { Driver: 'default', Config: [{ Subnet: '10.128.0.0/24' }, { Subnet: 'fd12:3456:789a:1::/64' }] });
  t.throws(() => planCreate('n', { opt: ['novalue'] }, { prefix, used: none, pools: [], existingNames: [] }), { message: /has no value/ });
});

test('compose block: enable_ipv6 and both subnets', (t) => {
  const p = planCreate('web', {}, { prefix, used: none, pools: [{ base: '10.128.0.0/9', size: 24 }], existingNames: [] });
  const text = composeBlock(p);
  t.regex(text, /^networks:\n  web:\n    driver: bridge\n    enable_ipv6: true\n    ipam:\n      config:\n        - subnet: 10\.128\.0\.0\/24\n        - subnet: fd12:3456:789a:1::\/64\n/);
});

test('v4: after an occupant that ends off a block boundary the next aligned block is used, up to the last one of the pool', (t) => {
  // 10.0.0.0/22 in /24s: an occupant ending inside the third block leaves only 10.0.3.0/24, the last one
  const pools = [{ base: '10.0.0.0/22', size: 24 }];
  const range = { cidr: { family: 4 as const, network: '10.0.0.0', length: 0, hostBits: false, start: parseCidr4('10.0.0.0/32')!.start, end: parseCidr4('10.0.2.43/32')!.start }, what: 'a range' };
  const c = allocateV4(pools, [range]);
  t.is(`${c.network}/${c.length}`, '10.0.3.0/24');
  // and the block right after one ending exactly on a boundary is still the next one
  const aligned = { cidr: parseCidr4('10.0.0.0/23')!, what: 'x' };
  const d = allocateV4(pools, [aligned]);
  t.is(`${d.network}/${d.length}`, '10.0.2.0/24');
});

test('allocations: a removed network\'s subnet is free again; Compose reservations and live networks keep theirs', (t) => {
  const allocations = { web: 'fd12:3456:789a:1::/64', gone: 'fd12:3456:789a:2::/64', 'compose:app': 'fd12:3456:789a:3::/64' };
  const { kept, released } = liveAllocations(allocations, ['web', 'bridge']);
  t.deepEqual(kept, { web: 'fd12:3456:789a:1::/64', 'compose:app': 'fd12:3456:789a:3::/64' });
  t.deepEqual(released, ['gone']);
  // the next allocation may take the released subnet (web's own network is listed by Docker as well)
  const used = usedSpace({ networks: [{ name: 'web', ipv4Subnets: [], ipv6Subnets: ['fd12:3456:789a:1::/64'] }], allocations: kept });
  t.is(formatCidr(allocateV6(prefix, used.v6)), 'fd12:3456:789a:2::/64');
  t.deepEqual(liveAllocations(undefined, []), { kept: {}, released: [] });
});

test('v4 is bigint arithmetic: a /8 pool past a /9 occupant, and the /30 end of a pool', (t) => {
  const c = allocateV4([{ base: '10.0.0.0/8', size: 16 }], [{ cidr: parseCidr4('10.0.0.0/9')!, what: 'big' }]);
  t.like(c, { family: 4, network: '10.128.0.0', length: 16, start: parseCidr4('10.128.0.0')!.start, hostBits: false });
  t.is(typeof c.start, 'bigint');
  const last = allocateV4([{ base: '192.168.255.248/29', size: 30 }], [{ cidr: parseCidr4('192.168.255.248/30')!, what: 'x' }]);
  t.is(formatCidr(last), '192.168.255.252/30');
  t.is(last.end, parseCidr4('192.168.255.255')!.start);
});
