// Builds plain HostSnapshot fixtures for pure planner and check tests.
import type { HostSnapshot } from '../../src/observe/snapshot';
import type { NetworkFacts } from '../../src/model/docker';

export function net(over: Partial<NetworkFacts> & { name: string }): NetworkFacts {
  return {
    id: `${over.name}000000000000000000`.slice(0, 24), driver: 'bridge', scope: 'local', enableIPv6: false, internal: false,
    ipv4Subnets: [], ipv6Subnets: [], gateways: [], options: {}, labels: {}, containers: 0,
    bridge: over.name === 'bridge' ? 'docker0' : `br-${over.name}`.slice(0, 15), ...over,
  };
}

export function snapshot(over: Partial<HostSnapshot> = {}): HostSnapshot {
  return {
    endpoint: { host: 'unix:///var/run/docker.sock', source: 'default', local: true },
    daemon: { reachable: true, version: '20.10.24+dfsg1', apiVersion: '1.41', bridgeIPv6: false },
    daemonConfig: { path: '/etc/docker/daemon.json', exists: true, text: '{\n  "log-level": "info"\n}\n', value: { 'log-level': 'info' } },
    networks: [net({ name: 'bridge', ipv4Subnets: ['172.17.0.0/16'] }), net({ name: 'host', driver: 'host', bridge: undefined }), net({ name: 'none', driver: 'null', bridge: undefined })],
    containers: [],
    host: {
      uplink: 'eth0', uplinkReason: 'interface of the IPv6 default route',
      net: {
        links: [{ index: 1, name: 'lo', up: true, mtu: 65536 }, { index: 2, name: 'eth0', up: true, kind: 'veth', mtu: 1500 }],
        addresses: [
          { ifindex: 2, ifname: 'eth0', family: 6, address: '2001:db8:1::2', prefixlen: 64, scope: 0, flags: ['permanent'] },
          { ifindex: 2, ifname: 'eth0', family: 6, address: 'fe80::1', prefixlen: 64, scope: 253, flags: ['permanent'] },
          { ifindex: 2, ifname: 'eth0', family: 4, address: '192.0.2.2', prefixlen: 24, scope: 0, flags: ['permanent'] },
        ],
        routes: [
          { family: 6, dst: '2001:db8:1::/64', ifindex: 2, ifname: 'eth0', table: 254, protocol: 'KERNEL', type: 'UNICAST' },
          { family: 6, dst: '::/0', gateway: '2001:db8:1::1', ifindex: 2, ifname: 'eth0', table: 254, protocol: 'BOOT', type: 'UNICAST' },
        ],
        proxies: [],
      },
      sysctls: {
        'net.ipv6.conf.all.disable_ipv6': '0', 'net.ipv6.conf.all.forwarding': '0', 'net.ipv6.conf.default.forwarding': '0',
        'net.ipv6.conf.eth0.accept_ra': '1', 'net.ipv6.conf.eth0.proxy_ndp': '0',
      },
    },
    firewall: { available: true, backend: 'nf_tables', version: '1.8.9', tables: {} },
    ...over,
  };
}
