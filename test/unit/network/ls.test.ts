// network ls rows: the IPv6 status column names a command that works for each kind of network.
import test from 'ava';
import { ipv6Status, networkRows } from '../../../src/network/ls';
import { net } from '../../helpers/snapshot';
import type { NetworkFacts } from '../../../src/model/docker';

/** `subnets` of both families, as Docker lists them, split into the normalised form */
const summary = ({ subnets = [], ...over }: Partial<NetworkFacts> & { name: string; subnets?: string[] }): NetworkFacts =>
  net({ ...over, ipv4Subnets: subnets.filter((s) => !s.includes(':')), ipv6Subnets: subnets.filter((s) => s.includes(':')) });

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
