// network ls rows: the IPv6 status column names a command that works for each kind of network.
import test from 'ava';
import { ipv6Status, networkRows } from '../../../src/network/ls';
import type { NetworkSummary } from '../../../src/network/observe';

const summary = (over: Partial<NetworkSummary> & { name: string }): NetworkSummary => ({
  id: over.name, driver: 'bridge', enableIPv6: false, internal: false, attachable: false, subnets: [], labels: {}, options: {}, ipam: [], ...over,
});

test('the default bridge without IPv6 points at enable (network upgrade refuses it); user networks at upgrade', (t) => {
  const bridge = summary({ name: 'bridge', subnets: ['172.17.0.0/16'], options: { 'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.name': 'docker0' } });
  t.is(ipv6Status(bridge), 'off (docker ipv6 enable)');
  t.notRegex(ipv6Status(bridge), /upgrade/);
  t.is(ipv6Status(summary({ name: 'bridge' })), 'off (docker ipv6 enable)', 'named bridge without options (older API answers)');
  t.is(ipv6Status(summary({ name: 'app', subnets: ['10.0.0.0/24'] })), 'off (docker ipv6 network upgrade app)');
  t.is(ipv6Status(summary({ name: 'bridge', enableIPv6: true, subnets: ['172.17.0.0/16', 'fd00::/64'] })), 'on');
  t.is(ipv6Status(summary({ name: 'host', driver: 'host' })), 'n/a');
  const rows = networkRows([summary({ name: 'bridge' }), summary({ name: 'app' })]);
  t.deepEqual(rows.map((r) => [r.name, r.ipv6Status]), [['app', 'off (docker ipv6 network upgrade app)'], ['bridge', 'off (docker ipv6 enable)']]);
});
