// Which published ports D6-FORWARD opens (bindings on all addresses or a global host IPv6 address only),
// and the fast path keeping the prefix-wide tail last, as the full pass does.
import test from 'ava';
import { FORWARD_CHAIN } from '../../../src/model/names';
import { desiredForwardRules } from '../../../src/reconcile/desired';
import { dockerFacts } from '../../../src/model/docker';
import { opensToWorld, type ApiContainer } from '../../../src/model/docker';
import { planNetworkCreate } from '../../../src/reconcile/fast';
import { describeChange, reconcileOnce } from '../../../src/reconcile';
import { enabledState, net, world } from '../../fakes/reconcile';

const PREFIX = '2001:db8:100::/56';
const owned = { prefix: PREFIX };

test('bindings that open a container port to the world, and those that do not', (t) => {
  for (const ip of [undefined, '', '::', '[::]', '2001:db8:1::2', '[2001:db8:1::2]', 'fd00::2']) t.true(opensToWorld(ip), String(ip));
  // an IPv4 binding, even on all IPv4 addresses, publishes over IPv4 only
  for (const ip of ['0.0.0.0', '127.0.0.1', '127.0.0.53', '::1', '192.0.2.5', '10.0.0.1', 'fe80::1', '::ffff:127.0.0.1', 'ff02::1', 'bogus']) t.false(opensToWorld(ip), ip);
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
  t.deepEqual(plain, [`-A ${FORWARD_CHAIN} -d 2001:db8:100:1::2/128 -o br-111111111111 -p tcp -m tcp --dport 9999 -m comment --comment docker-ipv6 -j ACCEPT`]);
  t.is(portRules(web([{ IP: '2001:db8:1::2', PrivatePort: 9999, PublicPort: 8081, Type: 'tcp' }])).length, 1, 'a global host IPv6 address');
});

test('the fast path inserts a network created after all others before the prefix-wide tail; the full pass changes nothing', async (t) => {
  const w = world(enabledState('routed', PREFIX));
  w.networks = [net('n1', '1'.repeat(64), '2001:db8:100:1::/64')];
  const r = await reconcileOnce(w.deps);
  const before = w.fw.tables.filter.rules[FORWARD_CHAIN];
  t.is(before.at(-1), `-d ${PREFIX} -m comment --comment docker-ipv6 -j DROP`);
  const n9 = dockerFacts([net('n9', '9'.repeat(64), '2001:db8:100:9::/64')], []).networks[0];
  const plan = planNetworkCreate(r.view!, n9);
  await w.fw.restore(plan.batch!);
  w.networks.push(net('n9', '9'.repeat(64), '2001:db8:100:9::/64'));
  const after = w.fw.tables.filter.rules[FORWARD_CHAIN];
  t.deepEqual(after.slice(-3), before.slice(-3), 'the tail stays last');
  t.deepEqual(after, plan.next.rules.filter!.map((x) => x.slice(`-A ${FORWARD_CHAIN} `.length)));
  t.deepEqual((await reconcileOnce(w.deps)).changes.map(describeChange), []);
});
