// Which published ports D6-INBOUND opens (bindings on all addresses only), and the fast path inserting a new
// network's rules where the full pass puts them (the catch-alls stay last).
import test from 'ava';
import { FORWARD_CHAIN } from '../../../src/model/names';
import { desiredForwardRules } from '../../../src/reconcile/desired';
import { dockerFacts } from '../../../src/model/docker';
import { opensToWorld, type ApiContainer } from '../../../src/model/docker';
import { planNetworkCreate } from '../../../src/reconcile/fast';
import { describeChange, reconcileOnce } from '../../../src/reconcile';
import { enabledState, net, world } from '../../fakes/reconcile';

const PREFIX = '2001:db8:100::/56';
const owned = { uplink: 'eth0' };

test('bindings that open a container port to the world, and those that do not', (t) => {
  for (const ip of [undefined, '', '::', '[::]', '0:0::0']) t.true(opensToWorld(ip), String(ip));
  // an IPv4 binding, even on all IPv4 addresses, publishes over IPv4 only; one host IPv6 address is served there by docker-proxy
  for (const ip of ['0.0.0.0', '127.0.0.1', '127.0.0.53', '::1', '192.0.2.5', '10.0.0.1', 'fe80::1', '::ffff:127.0.0.1', 'ff02::1', 'bogus', '2001:db8:1::2', '[2001:db8:1::2]', 'fd00:aa::5']) t.false(opensToWorld(ip), ip);
});

function web(ports: ApiContainer['Ports']): ApiContainer {
  return { Id: 'w'.repeat(64), Names: ['/web'], State: 'running', Ports: ports, NetworkSettings: { Networks: { n1: { GlobalIPv6Address: '2001:db8:100:1::2' } } } };
}
const portRules = (c: ApiContainer) => desiredForwardRules(owned, dockerFacts([net('n1', '1'.repeat(64), '2001:db8:100:1::/64')], [c])).filter((r) => / --dport /.test(r));

test('a port published on loopback or any IPv4 address gets no rule; a plain -p (0.0.0.0 and ::, or one binding on all addresses) gets one', (t) => {
  t.deepEqual(portRules(web([{ IP: '0.0.0.0', PrivatePort: 9999, PublicPort: 8081, Type: 'tcp' }])), [], '-p 0.0.0.0:8081:9999 is IPv4 only');
  t.is(portRules(web([{ IP: '', PrivatePort: 9999, PublicPort: 8081, Type: 'tcp' }])).length, 1, 'one binding on all addresses');
  t.is(portRules(web([{ IP: '::', PrivatePort: 9999, PublicPort: 8081, Type: 'tcp' }])).length, 1, '-p [::]:8081:9999');
  t.deepEqual(portRules(web([{ IP: '::', PrivatePort: 9999, PublicPort: 8081, Type: 'icmp' }])), [], 'a protocol ip6tables would not take as a port match');
  t.deepEqual(portRules(web([{ IP: '::', PrivatePort: 70000, PublicPort: 8081, Type: 'tcp' }])), [], 'a port out of range');
  t.deepEqual(portRules(web([{ IP: '127.0.0.1', PrivatePort: 9999, PublicPort: 8081, Type: 'tcp' }])), []);
  t.deepEqual(portRules(web([{ IP: '::1', PrivatePort: 9999, PublicPort: 8081, Type: 'tcp' }])), []);
  t.deepEqual(portRules(web([{ IP: '192.0.2.5', PrivatePort: 9999, PublicPort: 8081, Type: 'tcp' }])), []);
  t.deepEqual(portRules(web([{ PrivatePort: 9999, Type: 'tcp' }])), [], 'exposed, not published');
  const plain = portRules(web([
    { IP: '0.0.0.0', PrivatePort: 9999, PublicPort: 8081, Type: 'tcp' },
    { IP: '::', PrivatePort: 9999, PublicPort: 8081, Type: 'tcp' },
    { IP: '127.0.0.1', PrivatePort: 53, PublicPort: 5353, Type: 'udp' },
  ]));
  t.deepEqual(plain, ['-A D6-INBOUND -d 2001:db8:100:1::2/128 -p tcp -m tcp --dport 9999 -m comment --comment docker-ipv6 -j ACCEPT']);
  t.deepEqual(portRules(web([{ IP: 'fd00:aa::5', PrivatePort: 9999, PublicPort: 8085, Type: 'tcp' }])), [], 'one host IPv6 address opens nothing at the container (issue 21: it answered on the global address)');
});

test('the fast path inserts a new network\'s rules where the full pass puts them (the catch-alls stay last); the full pass changes nothing', async (t) => {
  const w = world(enabledState('routed', PREFIX));
  w.networks = [net('n1', '1'.repeat(64), '2001:db8:100:1::/64'), net('n5', '5'.repeat(64), 'fd99:5::/64')];
  const r = await reconcileOnce(w.deps);
  const before = w.fw.tables.filter.rules[FORWARD_CHAIN];
  t.is(before.at(-1), '-i br-+ -m comment --comment docker-ipv6 -j DROP');
  for (const [name, id, subnet] of [['n3', '3'.repeat(64), '2001:db8:100:3::/64'], ['n9', '9'.repeat(64), 'fd99:9::/64']]) {
    const view = (await reconcileOnce(w.deps)).view!;
    const fact = dockerFacts([net(name, id, subnet)], []).networks[0];
    const plan = planNetworkCreate(view, fact);
    t.truthy(plan.batch, `${name}: rules inserted, inside the prefix or not`);
    t.notRegex(plan.batch!, /^-A |^-F |^:/m, 'only insertions');
    await w.fw.restore(plan.batch!);
    w.networks.push(net(name, id, subnet));
    const after = w.fw.tables.filter.rules[FORWARD_CHAIN];
    t.deepEqual(after.slice(-4), before.slice(-4), 'the catch-alls stay last');
    t.deepEqual(after, plan.next.rules.filter!.filter((x) => x.startsWith(`-A ${FORWARD_CHAIN} `)).map((x) => x.slice(`-A ${FORWARD_CHAIN} `.length)));
    t.deepEqual((await reconcileOnce(w.deps)).changes.map(describeChange), [], `${name}: the full pass agrees`);
  }
  t.is(r.changes.length > 0, true);
});
