// reconcileOnce against strict fakes: converges, a second pass changes nothing, crashes leave nothing
// that a later pass would not clean up, and foreign rules, routes and entries are never touched.
import test from 'ava';
import { reconcileOnce } from '../../../src/reconcile';
import { ctr, enabledState, net, world } from '../../fakes/reconcile';

const ROUTED = '2001:db8:100::/48';
const NDP = '2001:db8:1:0:8000::/65';

test('routed: chain, jump and unreachable route appear; the second pass changes nothing', async (t) => {
  const w = world(enabledState('routed', ROUTED));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:100::/64'), net('n1', 'a'.repeat(64), '2001:db8:100:1::/64')];
  w.containers = [ctr('web', { n1: '2001:db8:100:1::2' }, [[80, 'tcp']])];
  const r1 = await reconcileOnce(w.deps);
  t.deepEqual(r1.changes.map((c) => `${c.action} ${c.kind}`).sort(), ['add route', 'update firewall']);
  t.deepEqual([...w.net.unreachable], [ROUTED]);
  t.is(w.fw.tables.filter.rules.FORWARD[0], '-m comment --comment docker-ipv6 -j D6-FORWARD');
  t.true(w.fw.tables.filter.rules['D6-INBOUND'].includes('-d 2001:db8:100:1::2/128 -p tcp -m tcp --dport 80 -m comment --comment docker-ipv6 -j ACCEPT'));
  t.true(w.fw.tables.filter.rules['D6-FORWARD'].includes(`-o br-${'a'.repeat(12)} -m comment --comment docker-ipv6 -j DROP`));
  t.deepEqual(w.state!.routes, [`unreachable ${ROUTED}`]);
  const save1 = await w.fw.save();
  const restores = w.fw.restores.length;
  const r2 = await reconcileOnce(w.deps);
  t.deepEqual(r2.changes, []);
  t.is(w.fw.restores.length, restores, 'no batch when nothing differs');
  t.is(await w.fw.save(), save1);
  t.is(w.dockerCalls, 4, 'one list call each for networks and containers per pass');
});

test('Docker listing networks in another order is no change', async (t) => {
  const w = world(enabledState('routed', ROUTED));
  w.networks = [net('a', 'a'.repeat(64), '2001:db8:100:1::/64'), net('b', 'b'.repeat(64), '2001:db8:100:2::/64')];
  await reconcileOnce(w.deps);
  w.networks.reverse();
  t.deepEqual((await reconcileOnce(w.deps)).changes, []);
});

test('ndp: proxies for gateways and running containers follow start and stop; unowned entries stay', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.net.proxies.set('2001:db8:1::99%2', 2); // someone else's entry
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:1:0:8000::/73', '2001:db8:1:0:8000::1')];
  await reconcileOnce(w.deps);
  t.deepEqual([...w.net.proxies.keys()].sort(), ['2001:db8:1:0:8000::1%2', '2001:db8:1::99%2']);
  w.containers = [ctr('c1', { bridge: '2001:db8:1:0:8000::2' })];
  const r = await reconcileOnce(w.deps);
  t.deepEqual(r.changes.map((c) => [c.action, c.target, c.reason]), [['add', '2001:db8:1:0:8000::2 on eth0', 'container c1 runs on network bridge']]);
  w.containers = [];
  const r2 = await reconcileOnce(w.deps);
  t.deepEqual(r2.changes.map((c) => `${c.action} ${c.target}`), ['remove 2001:db8:1:0:8000::2 on eth0']);
  t.deepEqual([...w.net.proxies.keys()].sort(), ['2001:db8:1:0:8000::1%2', '2001:db8:1::99%2']);
  t.deepEqual(w.state!.proxies, [{ address: '2001:db8:1:0:8000::1', ifname: 'eth0' }]);
});

test('a crash in the middle of a pass: the next pass finishes without duplicates and cleans up what is no longer wanted', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:1:0:8000::/73', '2001:db8:1:0:8000::1')];
  w.containers = ['a', 'b', 'c', 'd'].map((n, i) => ctr(n, { bridge: `2001:db8:1:0:8000::${i + 2}` }));
  w.net.failAfter = 2;
  await t.throwsAsync(reconcileOnce(w.deps), { message: /crash/ });
  t.is(w.net.proxies.size, 2);
  t.is(w.state!.proxies!.length, 5, 'intent recorded before the first add');
  // meanwhile two containers stopped
  w.containers = w.containers.slice(2);
  w.net.failAfter = Infinity;
  await reconcileOnce(w.deps);
  t.deepEqual([...w.net.proxies.keys()].sort(), ['2001:db8:1:0:8000::1%2', '2001:db8:1:0:8000::4%2', '2001:db8:1:0:8000::5%2']);
  t.deepEqual((await reconcileOnce(w.deps)).changes, []);
});

test('jump duplicated or chain flushed: one batch restores it; foreign rules above it stay where they are (never reordered)', async (t) => {
  const w = world(enabledState('nat', 'fd00:1::/48', true));
  w.networks = [net('bridge', 'b'.repeat(64), 'fd00:1::/64')];
  await reconcileOnce(w.deps);
  const nat = w.fw.tables.nat.rules;
  nat.POSTROUTING.unshift('-s 10.9.0.0/16 -j MASQUERADE', '-m comment --comment docker-ipv6 -j D6-NAT'); // Docker-style insert at the top + a duplicate
  nat['D6-NAT'].length = 0;
  const before = w.fw.restores.length;
  const r = await reconcileOnce(w.deps);
  t.is(w.fw.restores.length, before + 1);
  t.regex(r.changes[0].reason, /2 jumps/);
  t.deepEqual(w.fw.tables.nat.rules.POSTROUTING, ['-s 10.9.0.0/16 -j MASQUERADE', '-m comment --comment docker-ipv6 -j D6-NAT'], 'one jump, where the first one was');
  t.deepEqual(w.fw.tables.nat.rules['D6-NAT'], ['-s fd00:1::/64 ! -o docker0 -m comment --comment docker-ipv6 -j MASQUERADE']);
  t.deepEqual((await reconcileOnce(w.deps)).changes, []);
  // a rule someone inserts above our jump later stays above it: the next passes change nothing
  w.fw.tables.nat.rules.POSTROUTING.unshift('-s 10.8.0.0/16 -j MASQUERADE');
  t.deepEqual((await reconcileOnce(w.deps)).changes, []);
  t.deepEqual(w.fw.tables.nat.rules.POSTROUTING[0], '-s 10.8.0.0/16 -j MASQUERADE');
});

test('cleanup removes our chains, routes and proxies only; disabled state removes leftover chains', async (t) => {
  const w = world(enabledState('routed', ROUTED));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:100::/64')];
  w.fw.tables.filter.rules.FORWARD.push('-s 2001:db8:dead::/64 -j ACCEPT');
  w.net.otherRoutes = [{ family: 6, dst: '2001:db8:200::/48', table: 254, protocol: 'STATIC', type: 'UNREACHABLE', ifindex: 1, ifname: 'lo' }];
  await reconcileOnce(w.deps);
  await reconcileOnce(w.deps, { cleanup: true });
  t.deepEqual(w.fw.tables.filter.rules.FORWARD, ['-s 2001:db8:dead::/64 -j ACCEPT']);
  t.false(w.fw.tables.filter.chains.includes('D6-FORWARD'));
  t.deepEqual([...w.net.unreachable], []);
  t.is(w.state!.routes, undefined);
  // not enabled: a leftover chain (an agent killed before disable) goes, nothing else is touched
  const w2 = world(undefined);
  await w2.fw.restore('*filter\n:D6-FORWARD - [0:0]\n-I FORWARD 1 -m comment --comment docker-ipv6 -j D6-FORWARD\nCOMMIT\n');
  const r = await reconcileOnce(w2.deps);
  t.deepEqual(r.changes.map((c) => c.action), ['remove']);
  t.deepEqual(w2.fw.tables.filter.rules.FORWARD, []);
});

test('sysctls the mode needs come back; the process count of a pass does not depend on the networks', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.sysctl.values.set('net.ipv6.conf.all.forwarding', '0');
  w.networks = Array.from({ length: 300 }, (_, i) => net(`n${i}`, `${i.toString(16).padStart(4, '0')}${'c'.repeat(60)}`, `2001:db8:1:0:8000:${(i + 1).toString(16)}::/96`));
  const r = await reconcileOnce(w.deps);
  t.deepEqual(w.sysctl.writes, ['net.ipv6.conf.all.forwarding=1']);
  t.is(w.net.proxies.size, 300);
  t.is(w.fw.saves, 1, 'one ip6tables-save per pass');
  t.is(w.fw.restores.length, 1, 'one restore per pass');
  t.is(r.spawned, 0, 'fakes spawn nothing; the real adapters are counted in the integration test');
});
