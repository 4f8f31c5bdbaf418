import test from 'ava';
import { realHostAdapters } from '../../../src/host/adapters';
import { toHostNetworks, fetchHostNetworks } from '../../../src/lint/host';

test('host networks: subnets and compose labels from the API listing', (t) => {
  t.deepEqual(toHostNetworks([
    { Name: 'shop_net', Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.network': 'net' }, IPAM: { Config: [{ Subnet: '172.18.0.0/16' }, { Subnet: 'fd00:30::/64' }] } },
    { Name: 'none', Labels: null, IPAM: { Config: null } },
  ]), [
    { name: 'shop_net', subnets: ['172.18.0.0/16', 'fd00:30::/64'], composeProject: 'shop', composeNetwork: 'net' },
    { name: 'none', subnets: [], composeProject: undefined, composeNetwork: undefined },
  ]);
});

test('an unreachable daemon yields a reason, never an exception', async (t) => {
  const r = await fetchHostNetworks(realHostAdapters({ endpoint: () => ({ host: 'unix:///nonexistent/docker.sock', source: 'test', local: true }), stateFile: '/nonexistent/state.json', configFile: '/nonexistent/daemon.json', root: '/' }).docker, 500);
  t.false(r.ok);
  if (!r.ok) t.regex(r.reason, /no socket|not running|cannot reach/i);
});
