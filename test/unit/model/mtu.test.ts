// MTUs: the uplink's IPv6 MTU, what each network gives containers, and what enable lowers.
import test from 'ava';
import { networkMtu, planMtu, uplinkMtu } from '../../../src/model/mtu';

const links = [{ index: 1, name: 'lo', up: true, mtu: 65536 }, { index: 2, name: 'eth0', up: true, mtu: 1500 }, { index: 3, name: 'wg0', up: true, mtu: 1420 }];

test('the uplink\'s MTU: its link MTU, lowered by the IPv6 MTU a router advertised', (t) => {
  t.is(uplinkMtu(links, 'eth0', {}), 1500);
  t.is(uplinkMtu(links, 'eth0', { 'net.ipv6.conf.eth0.mtu': '1480' }), 1480);
  t.is(uplinkMtu(links, 'eth0', { 'net.ipv6.conf.eth0.mtu': '9000' }), 1500);
  t.is(uplinkMtu(links, 'wg0', {}), 1420);
  t.is(uplinkMtu(links, 'ppp0', {}), undefined);
  t.is(uplinkMtu(links, undefined, {}), undefined);
});

test('a network\'s MTU: its driver option; the default bridge\'s from daemon.json, 1500 without', (t) => {
  t.is(networkMtu({ name: 'app', options: {} }, { mtu: 1400 }), 1500);
  t.is(networkMtu({ name: 'app', options: { 'com.docker.network.driver.mtu': '1420' } }, {}), 1420);
  t.is(networkMtu({ name: 'bridge', options: {} }, { mtu: 1400 }), 1400);
  t.is(networkMtu({ name: 'bridge', options: {} }, { mtu: 0 }), 1500);
  t.is(networkMtu({ name: 'bridge', options: {} }, {}), 1500);
});

test('enable only lowers, and never below what IPv6 needs', (t) => {
  t.deepEqual(planMtu('wg0', 1420, {}), { uplink: 'wg0', uplinkMtu: 1420, before: 1500, after: 1420 });
  t.deepEqual(planMtu('eth0', 9000, {}), { uplink: 'eth0', uplinkMtu: 9000, before: 1500, after: 1500 });
  t.deepEqual(planMtu('eth0', 1500, { mtu: 1400 }), { uplink: 'eth0', uplinkMtu: 1500, before: 1400, after: 1400 }, 'the admin\'s lower MTU stays');
  t.is(planMtu('eth0', 1200, {}), undefined, 'below 1280 IPv6 does not run on the uplink at all');
  t.is(planMtu('eth0', undefined, {}), undefined);
});
