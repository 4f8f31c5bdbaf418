// A reconcile world on the strict fakes: firewall, netlink, sysctls, Docker lists and the state, as ReconcileDeps.
import type { ReconcileDeps } from '../../src/reconcile/observe';
import type { ApiContainer, ApiNetwork } from '../../src/model/docker';
import type { ToolState } from '../../src/model/state';
import { FakeFirewall } from './firewall';
import { FakeNet } from './net';
import { FakeSysctl } from './sysctl';

export { FakeFirewall, FakeNet, FakeSysctl };

/** The sysctls of a host that reconcile finds enabled: forwarding on, proxy_ndp on the uplink. */
export const ENABLED_SYSCTLS = {
  'net.ipv6.conf.all.disable_ipv6': '0', 'net.ipv6.conf.all.forwarding': '1', 'net.ipv6.conf.default.forwarding': '1',
  'net.ipv6.conf.eth0.accept_ra': '0', 'net.ipv6.conf.eth0.proxy_ndp': '1',
};

export interface World { fw: FakeFirewall; net: FakeNet; sysctl: FakeSysctl; state?: ToolState; networks: ApiNetwork[]; containers: ApiContainer[]; dockerCalls: number; deps: ReconcileDeps }

export function world(state: ToolState | undefined): World {
  const w = { fw: new FakeFirewall(), net: new FakeNet(), sysctl: new FakeSysctl(ENABLED_SYSCTLS), state, networks: [] as ApiNetwork[], containers: [] as ApiContainer[], dockerCalls: 0 } as World;
  w.deps = {
    docker: async () => ({
      listNetworks: async () => { w.dockerCalls++; return JSON.parse(JSON.stringify(w.networks)); },
      listContainers: async () => { w.dockerCalls++; return JSON.parse(JSON.stringify(w.containers)); },
    }),
    firewall: { read: () => w.fw.read(), restore: (b) => w.fw.restore(b) },
    openNet: async () => w.net,
    sysctl: w.sysctl,
    readState: async () => (w.state ? JSON.parse(JSON.stringify(w.state)) : undefined),
    writeState: async (s) => { w.state = JSON.parse(JSON.stringify(s)); },
  };
  return w;
}

export function enabledState(mode: 'nat' | 'routed' | 'ndp', prefix: string, natByUs = false): ToolState {
  return {
    version: 1, prefix, mode, uplink: 'eth0',
    enabled: { at: '2024-01-01T00:00:00Z', daemonJson: { path: '/etc/docker/daemon.json', undo: {} as never, fileExisted: true }, sysctls: {}, sysctlFileWritten: true, natByUs, filterByUs: mode !== 'nat' },
  };
}

export function net(name: string, id: string, subnet: string, gateway?: string): ApiNetwork {
  return { Id: id, Name: name, Driver: 'bridge', Options: {}, IPAM: { Config: [{ Subnet: '10.0.0.0/24' }, { Subnet: subnet, Gateway: gateway }] } };
}

export function ctr(name: string, nets: Record<string, string>, ports: Array<[number, string]> = []): ApiContainer {
  return {
    Id: `${name}0000000000000000`, Names: [`/${name}`], State: 'running',
    Ports: ports.map(([p, t]) => ({ PrivatePort: p, PublicPort: 30000 + p, Type: t })),
    NetworkSettings: { Networks: Object.fromEntries(Object.entries(nets).map(([k, v]) => [k, { GlobalIPv6Address: v }])) },
  };
}
