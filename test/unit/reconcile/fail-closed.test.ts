// Fail closed (issue 12): hostile bridge names, IPv4-only bindings, foreign proxies, the skeleton a pass leaves
// when it cannot do more, and the order of filter before forwarding.
import test from 'ava';
import { dockerFacts, type ApiNetwork } from '../../../src/model/docker';
import { ifNameProblem } from '../../../src/model/names';
import { desiredForwardRules, desiredProxies } from '../../../src/reconcile/desired';
import { reconcileOnce } from '../../../src/reconcile/index';
import { installSkeleton, planSkeleton, raiseSysctls } from '../../../src/reconcile/skeleton';
import { parseSave } from '../../../src/model/ip6tables-save';
import { catchAllRules, skeletonRules } from '../../../src/firewall/batches';
import { persistedSysctls } from '../../../src/model/sysctl-plan';
import { ctr, enabledState, net, world } from '../../fakes/reconcile';

const PREFIX = '2001:db8:100::/48';
const TAG = '-m comment --comment docker-ipv6';
const named = (name: string, id: string, subnet: string, bridge: string): ApiNetwork => ({ ...net(name, id, subnet), Options: { 'com.docker.network.bridge.name': bridge } });

test('interface names ip6tables would misread are unusable; kernel-legal plain names are fine', (t) => {
  for (const bad of ['+', 'br+', '!x', 'a"b', "a'b", 'a b', '-x', 'a/b', 'x'.repeat(16), '', 'a\nb', 'a;b', 'a$b']) t.truthy(ifNameProblem(bad), JSON.stringify(bad));
  for (const ok of ['docker0', 'br-0123456789ab', 'my.bridge', 'dock_er@1', 'x'.repeat(15)]) t.is(ifNameProblem(ok), undefined, ok);
  t.regex(ifNameProblem('+')!, /wildcard/);
});

test('a network whose bridge is named "+" is left out (listed as skipped) and closed by its subnets; the others keep their rules', (t) => {
  const nets = [
    named('evil', 'e'.repeat(64), '2001:db8:100:1::/64', '+'),
    named('quote', 'q'.repeat(64), '2001:db8:100:2::/64', 'br"x'),
    net('good', 'g'.repeat(64), '2001:db8:100:3::/64'),
  ];
  const docker = dockerFacts(nets, [ctr('web', { good: '2001:db8:100:3::2', evil: '2001:db8:100:1::2' }, [[80, 'tcp']])]);
  t.deepEqual(docker.skipped?.map((s) => [s.name, s.bridge, s.kind]), [['evil', '+', 'name'], ['quote', 'br"x', 'name']]);
  const rules = desiredForwardRules({ uplink: 'eth0' }, docker);
  t.false(rules.some((r) => / [+]( |$)/.test(r) || r.includes('"')), 'no "+" interface and no quote reaches a rule');
  t.true(rules.includes(`-A D6-INBOUND -d 2001:db8:100:3::2/128 -p tcp -m tcp --dport 80 ${TAG} -j ACCEPT`), 'the good network keeps its published port');
  t.false(rules.some((r) => r.includes('2001:db8:100:1::2')), 'nothing opens the skipped network\'s container');
  for (const sub of ['2001:db8:100:1::/64', '2001:db8:100:2::/64']) {
    t.true(rules.includes(`-A D6-FORWARD -d ${sub} ${TAG} -j DROP`) && rules.includes(`-A D6-FORWARD -s ${sub} ${TAG} -j DROP`), `${sub} closed by address`);
  }
  t.deepEqual(rules.slice(-6), catchAllRules());
});

test('a reconcile pass with a "+" bridge applies the other networks\' rules (one bad network never blocks the batch) and reports it', async (t) => {
  const w = world(enabledState('routed', PREFIX));
  w.networks = [named('evil', 'e'.repeat(64), '2001:db8:100:1::/64', '+'), net('good', 'g'.repeat(64), '2001:db8:100:3::/64')];
  const r = await reconcileOnce(w.deps);
  t.deepEqual(r.skipped.map((s) => s.name), ['evil']);
  t.true(w.fw.tables.filter.rules['D6-FORWARD'].some((x) => x.includes('br-gggggggggggg')));
  t.true(w.fw.tables.filter.rules['D6-FORWARD'].includes(`-d 2001:db8:100:1::/64 ${TAG} -j DROP`), 'the "+" network closed by its subnet');
  t.deepEqual((await reconcileOnce(w.deps)).changes, []);
});

test('ndp: only containers and gateways of bridge networks inside the prefix get proxy entries (never a macvlan container)', (t) => {
  const mac: ApiNetwork = { Id: 'm'.repeat(64), Name: 'lan', Driver: 'macvlan', Options: { parent: 'eth0' }, IPAM: { Config: [{ Subnet: '2001:db8:100:9::/64' }] } };
  const docker = dockerFacts([net('good', 'g'.repeat(64), '2001:db8:100:3::/64', '2001:db8:100:3::1'), mac], [
    ctr('web', { good: '2001:db8:100:3::2' }),
    ctr('onlan', { lan: '2001:db8:100:9::5' }),
    ctr('both', { lan: '2001:db8:100:9::6', good: '2001:db8:100:3::3' }),
  ]);
  const got = desiredProxies({ prefix: PREFIX, uplink: 'eth0' }, docker).map((p) => p.address);
  t.deepEqual(got, ['2001:db8:100:3::1', '2001:db8:100:3::2', '2001:db8:100:3::3']);
});

test('planSkeleton: missing chain -> D6-USER jump + the named bridges closed + catch-alls + our jump; closed chain -> nothing; jump only when the chain still ends closed', (t) => {
  const owned = { prefix: PREFIX, mode: 'routed' as const, uplink: 'eth0', natByUs: false, filterByUs: true, bridges: ['mybr'] };
  const empty = planSkeleton(owned, {}, []);
  const skel = skeletonRules(['mybr'], { uplink: 'eth0' });
  t.is(empty.batch, ['*filter', ':D6-USER - [0:0]', ':D6-INBOUND - [0:0]', '-F D6-INBOUND', ':D6-FORWARD - [0:0]', '-F D6-FORWARD',
    ...skel.filter((r) => r.startsWith('-A D6-INBOUND ')), ...skel.filter((r) => r.startsWith('-A D6-FORWARD ')), `-I FORWARD 1 ${TAG} -j D6-FORWARD`, 'COMMIT', ''].join('\n'));
  t.deepEqual(empty.routes, [{ type: 'unreachable', dst: PREFIX }]);
  const published = `-A D6-INBOUND -d 2001:db8:100:3::2/128 -p tcp -m tcp --dport 80 ${TAG} -j ACCEPT`;
  const tail = [`-A D6-FORWARD -o mybr ${TAG} -j DROP`, `-A D6-FORWARD -i mybr ${TAG} -j DROP`, ...catchAllRules()];
  const closed = parseSave(['*filter', ':FORWARD ACCEPT [0:0]', ':D6-USER - [0:0]', ':D6-FORWARD - [0:0]', ':D6-INBOUND - [0:0]', `-A FORWARD ${TAG} -j D6-FORWARD`, ...tail, published, 'COMMIT', ''].join('\n'));
  const route = [{ family: 6, dst: PREFIX, table: 254, protocol: 'BOOT', type: 'UNREACHABLE', ifindex: 1, ifname: 'lo' }] as never;
  t.deepEqual(planSkeleton(owned, closed, route), { routes: [], changes: [] });
  const noJump = parseSave(['*filter', ':FORWARD ACCEPT [0:0]', ':D6-USER - [0:0]', ':D6-FORWARD - [0:0]', ':D6-INBOUND - [0:0]', ...tail, published, 'COMMIT', ''].join('\n'));
  t.is(planSkeleton(owned, noJump, route).batch, `*filter\n-I FORWARD 1 ${TAG} -j D6-FORWARD\nCOMMIT\n`, 'published rules kept, only the jump back');
  const namedOpen = parseSave(['*filter', ':FORWARD ACCEPT [0:0]', ':D6-USER - [0:0]', ':D6-FORWARD - [0:0]', ':D6-INBOUND - [0:0]', `-A FORWARD ${TAG} -j D6-FORWARD`, ...catchAllRules(), 'COMMIT', ''].join('\n'));
  t.truthy(planSkeleton(owned, namedOpen, route).batch, 'a chain that closes the catch-alls but not a bridge the state names is not closed');
  t.deepEqual(planSkeleton(undefined, {}, []), { routes: [], changes: [] }, 'not enabled: nothing');
  t.deepEqual(planSkeleton({ ...owned, mode: 'nat', filterByUs: false }, {}, []), { routes: [], changes: [] }, 'nat: Docker filters');
});

test('installSkeleton + raiseSysctls (apply --boot): the filter and route are in place before forwarding is raised; the state lists the route', async (t) => {
  const w = world(enabledState('routed', PREFIX));
  const order: string[] = [];
  const deps = { ...w.deps, firewall: { read: () => w.fw.read(), restore: async (b: string) => { order.push('restore'); await w.fw.restore(b); } } };
  const sysctl = { read: (k: string) => w.sysctl.read(k), write: async (k: string, v: string) => { order.push(`sysctl ${k}`); await w.sysctl.write(k, v); } };
  w.sysctl.values.set('net.ipv6.conf.all.forwarding', '0');
  w.sysctl.values.set('net.ipv6.conf.default.forwarding', '0');
  await installSkeleton(deps);
  await raiseSysctls({ ...deps, sysctl });
  t.deepEqual(order, ['restore', 'sysctl net.ipv6.conf.default.forwarding', 'sysctl net.ipv6.conf.all.forwarding']);
  t.deepEqual(w.state!.routes, [`unreachable ${PREFIX}`]);
  t.deepEqual([...w.net.unreachable], [PREFIX]);
  t.deepEqual(await installSkeleton(deps), [], 'idempotent');
});

test('a full pass restores the filter before it raises forwarding; a rejected batch leaves the closed skeleton and raises nothing', async (t) => {
  const w = world(enabledState('routed', PREFIX));
  w.networks = [net('good', 'g'.repeat(64), '2001:db8:100:3::/64')];
  w.sysctl.values.set('net.ipv6.conf.all.forwarding', '0');
  const order: string[] = [];
  let reject = true;
  const deps = {
    ...w.deps,
    firewall: { read: () => w.fw.read(), restore: async (b: string) => { order.push(b.includes('br-gggg') ? 'full batch' : 'skeleton'); if (reject && b.includes('br-gggg')) throw new Error('ip6tables-restore: line 5 failed'); await w.fw.restore(b); } },
    sysctl: { read: (k: string) => w.sysctl.read(k), write: async (k: string, v: string) => { order.push(`sysctl ${k}`); await w.sysctl.write(k, v); } },
  };
  await t.throwsAsync(reconcileOnce(deps), { message: /line 5 failed/ });
  t.deepEqual(order, ['full batch', 'skeleton'], 'no sysctl raised after a rejected batch');
  t.is(w.fw.tables.filter.rules['D6-FORWARD'].at(-1), `-i br-+ ${TAG} -j DROP`);
  t.is(w.sysctl.values.get('net.ipv6.conf.all.forwarding'), '0');
  reject = false; order.length = 0;
  await reconcileOnce(deps);
  t.deepEqual(order, ['full batch', 'sysctl net.ipv6.conf.all.forwarding']);
});

test('sysctl.d keeps forwarding only in nat mode; accept_ra=2 when the uplink takes RAs; proxy_ndp in ndp', (t) => {
  const keys = (mode: 'nat' | 'routed' | 'ndp', ra = '1') => persistedSysctls({ 'net.ipv6.conf.eth0.accept_ra': ra }, 'eth0', mode).map((c) => `${c.key}=${c.to}`);
  t.deepEqual(keys('nat'), ['net.ipv6.conf.eth0.accept_ra=2', 'net.ipv6.conf.default.forwarding=1', 'net.ipv6.conf.all.forwarding=1']);
  t.deepEqual(keys('routed'), ['net.ipv6.conf.eth0.accept_ra=2']);
  t.deepEqual(keys('ndp', '2'), ['net.ipv6.conf.eth0.accept_ra=2', 'net.ipv6.conf.eth0.proxy_ndp=1']);
  t.deepEqual(keys('routed', '0'), [], 'a static uplink (accept_ra=0) is left as it is');
});
