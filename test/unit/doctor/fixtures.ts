// A healthy, enabled (NAT66, Docker 28) host as a doctor input; tests break one thing at a time.
import { net, snapshot } from '../../helpers/snapshot';
import type { HostSnapshot } from '../../../src/observe/snapshot';
import type { DoctorInput, ExtraFacts } from '../../../src/doctor/types';

export const PREFIX = 'fd11:2233:4455::/48';
export const BRIDGE6 = 'fd11:2233:4455::/64';
export const APP6 = 'fd11:2233:4455:1::/64';

export function healthySnap(): HostSnapshot {
  const base = snapshot();
  return snapshot({
    daemon: { reachable: true, version: '28.5.1', apiVersion: '1.51', bridgeIPv6: true, experimental: false },
    daemonConfig: {
      path: '/etc/docker/daemon.json', exists: true, text: '{}',
      value: { ipv6: true, 'fixed-cidr-v6': BRIDGE6, ip6tables: true, 'default-address-pools': [{ base: '10.128.0.0/9', size: 24 }, { base: 'fd11:2233:4455:1::/64', size: 64 }] },
    },
    networks: [
      net({ name: 'bridge', enableIPv6: true, ipv4Subnets: ['172.17.0.0/16'], ipv6Subnets: [BRIDGE6], gateways: ['172.17.0.1', 'fd11:2233:4455::1'] }),
      net({ name: 'app', enableIPv6: true, ipv4Subnets: ['10.128.0.0/24'], ipv6Subnets: [APP6], containers: 1 }),
      net({ name: 'host', driver: 'host', bridge: undefined }),
    ],
    containers: [{
      id: 'c1', name: 'web', state: 'running',
      networks: [{ network: 'app', ipv4: '10.128.0.2', ipv6: 'fd11:2233:4455:1::2' }],
      ports: [{ ip: '0.0.0.0', privatePort: 80, publicPort: 8080, type: 'tcp' }, { ip: '::', privatePort: 80, publicPort: 8080, type: 'tcp' }],
    }],
    host: {
      ...base.host,
      sysctls: {
        'net.ipv6.conf.all.disable_ipv6': '0', 'net.ipv6.conf.eth0.disable_ipv6': '0', 'net.ipv6.conf.all.forwarding': '1', 'net.ipv6.conf.default.forwarding': '1',
        'net.ipv6.conf.eth0.accept_ra': '1', 'net.ipv6.conf.eth0.proxy_ndp': '0',
      },
    },
    firewall: {
      available: true, backend: 'nf_tables', version: '1.8.9',
      tables: {
        nat: { chains: { POSTROUTING: 'ACCEPT', DOCKER: '-' }, rules: [`-A POSTROUTING -s ${BRIDGE6} ! -o docker0 -j MASQUERADE`, `-A POSTROUTING -s ${APP6} ! -o br-app -j MASQUERADE`] },
        filter: { chains: { FORWARD: 'DROP', 'DOCKER-FORWARD': '-' }, rules: ['-A FORWARD -j DOCKER-FORWARD'] },
      },
    },
    state: { version: 1, prefix: PREFIX, mode: 'nat', uplink: 'eth0' },
    dockerd: { pid: 42, argv: ['dockerd', '-H', 'fd://'] },
  });
}

export function input(snap: HostSnapshot = healthySnap(), extra: ExtraFacts = {}, probes?: DoctorInput['probes']): DoctorInput {
  return { snap, extra, probes, restartCommand: 'systemctl restart docker.service' };
}
