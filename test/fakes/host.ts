// fakeHost: every HostAdapters part as a strict fake, wired like a host: dockerd's restart makes the fake
// Docker API take daemon.json's IPv6 settings (and Docker's own masquerade when its ip6tables is on).
// All fakes append to one `log`, so a test can check the order of operations across systems.
import type { HostAdapters } from '../../src/host/interfaces';
import type { NetOps } from '../../src/host/interfaces';
import type { HostSnapshot } from '../../src/observe/snapshot';
import type { ToolState } from '../../src/model/state';
import { parseDaemonJson } from '../../src/daemon/parse';
import { addressAt, parseCidr6 } from '../../src/model/ip';
import { bridgeName } from '../../src/model/docker';
import { snapshot as baseSnapshot } from '../helpers/snapshot';
import { FakeDaemonConfig } from './daemon-config';
import { FakeDocker, type FakeContainer, type FakeNetwork } from './docker';
import { FakeDockerd } from './dockerd';
import { TestRoot } from './disk';
import { FakeFiles } from './files';
import { FakeFirewall } from './firewall';
import { FakeNet } from './net';
import { FakeProbe } from './probe';
import { FakeState } from './state';
import { FakeSurvey } from './survey';
import { FakeSysctl } from './sysctl';
import { FakeServices } from './services';

export { FakeDaemonConfig, FakeDocker, FakeDockerd, FakeFiles, FakeFirewall, FakeNet, FakeProbe, FakeServices, FakeState, FakeSurvey, FakeSysctl, TestRoot };

export interface FakeHostOptions {
  /** a mkdtemp folder: daemon.json, the sysctl.d file and the state folder live under it */
  root: string;
  /** the host to model (networks, containers, links, routes, sysctls, daemon.json text, state); default test/helpers/snapshot */
  snap?: HostSnapshot;
  /** where daemon.json is; default <root>/etc/docker/daemon.json */
  daemonJsonPath?: string;
  state?: ToolState;
}

export interface FakeHost {
  host: HostAdapters;
  fw: FakeFirewall;
  survey: FakeSurvey;
  net: FakeNet;
  sysctl: FakeSysctl;
  daemon: FakeDaemonConfig;
  dockerd: FakeDockerd;
  docker: FakeDocker;
  files: FakeFiles;
  state: FakeState;
  probe: FakeProbe;
  services: FakeServices;
  /** every change (and Docker call) any fake saw, in order */
  log: string[];
  /** netlink sessions opened and not closed */
  openSessions(): number;
}

function fakeNetworks(snap: HostSnapshot): FakeNetwork[] {
  return snap.networks.map((n) => ({
    Id: n.id.padEnd(64, '0'), Name: n.name, Driver: n.driver, EnableIPv6: n.enableIPv6, Internal: n.internal, Scope: n.scope,
    Options: { ...n.options, ...(n.driver === 'bridge' && n.name !== 'bridge' && n.bridge && !n.bridge.startsWith('br-') ? { 'com.docker.network.bridge.name': n.bridge } : {}) },
    Labels: { ...n.labels },
    IPAM: { Driver: 'default', Config: [...n.ipv4Subnets.map((s) => ({ Subnet: s })), ...n.ipv6Subnets.map((s) => ({ Subnet: s }))] },
  }));
}

function fakeContainers(snap: HostSnapshot): FakeContainer[] {
  return snap.containers.map((c) => ({
    Id: c.id.padEnd(64, '0'), Names: [`/${c.name}`], State: c.state,
    Ports: c.ports.map((p) => ({ IP: p.ip, PrivatePort: p.privatePort, PublicPort: p.publicPort, Type: p.type })),
    NetworkSettings: { Networks: Object.fromEntries(c.networks.map((n) => [n.network, { GlobalIPv6Address: n.ipv6 ?? '', IPAddress: n.ipv4 ?? '' }])) },
  }));
}

/** dockerd starting: the default bridge takes daemon.json's ipv6 and fixed-cidr-v6; with ip6tables on Docker masquerades it. */
function dockerdStarts(daemon: FakeDaemonConfig, docker: FakeDocker, fw: FakeFirewall): void {
  const cfg = parseDaemonJson(daemon.text ?? '', daemon.path).value;
  const bridge = docker.bridge();
  const v4 = bridge.IPAM.Config.filter((c) => !c.Subnet?.includes(':'));
  const cidr = cfg.ipv6 === true && typeof cfg['fixed-cidr-v6'] === 'string' ? parseCidr6(cfg['fixed-cidr-v6']) : undefined;
  bridge.EnableIPv6 = !!cidr;
  bridge.IPAM.Config = [...v4, ...(cidr ? [{ Subnet: cfg['fixed-cidr-v6'] as string, Gateway: addressAt(cidr, 1n) }] : [])];
  if (cidr && cfg.ip6tables !== false && cfg.iptables !== false) {
    const rule = `-s ${cfg['fixed-cidr-v6']} ! -o ${bridgeName(bridge)} -j MASQUERADE`;
    const post = fw.tables.nat.rules.POSTROUTING;
    if (!post.includes(rule)) post.push(rule);
  }
}

export function fakeHost(opts: FakeHostOptions): FakeHost {
  const root = new TestRoot(opts.root);
  const snap = opts.snap ?? baseSnapshot();
  const log: string[] = [];
  const fw = new FakeFirewall(log);
  const survey = new FakeSurvey();
  const net = new FakeNet(log);
  const nf = snap.host.net;
  if (nf) {
    net.links = structuredClone(nf.links);
    net.addresses = structuredClone(nf.addresses);
    net.otherRoutes = structuredClone(nf.routes.filter((r) => !/unreachable/i.test(r.type)));
    for (const r of nf.routes.filter((x) => /unreachable/i.test(x.type))) net.unreachable.add(r.dst);
    for (const p of nf.proxies) net.proxies.set(`${p.address}%${p.ifindex}`, p.ifindex);
  }
  const sysctl = new FakeSysctl(snap.host.sysctls, log);
  const daemonPath = opts.daemonJsonPath ?? `${opts.root}/etc/docker/daemon.json`;
  const daemon = new FakeDaemonConfig(daemonPath, root, snap.daemonConfig.exists ? (snap.daemonConfig.text ?? '') : undefined, log);
  const docker = new FakeDocker(log);
  docker.networks = fakeNetworks(snap);
  docker.containers = fakeContainers(snap);
  const dockerd = new FakeDockerd(log);
  dockerd.onRestart = () => { docker.dockerdRestarted(); dockerdStarts(daemon, docker, fw); };
  const files = new FakeFiles(root, log);
  const services = new FakeServices(log);
  // on disk where the run's --root puts it, so the file undo of a rollback restores it as on a host
  const state = new FakeState(opts.state ?? snap.state, log, `${opts.root}/var/lib/docker-ipv6/state.json`);
  const probe = new FakeProbe();
  let open = 0;
  const host: HostAdapters = {
    firewall: fw,
    survey,
    async openNet(): Promise<NetOps> {
      net.opened++;
      open++;
      let closed = false;
      const live = <A extends unknown[], R>(name: string, fn: (...a: A) => R) => (...a: A): R => {
        if (closed) throw new Error(`fake netlink: ${name} on a closed session`);
        return fn(...a);
      };
      return {
        read: live('read', () => net.read()),
        addProxy: live('addProxy', (a: string, i: number) => net.addProxy(a, i)),
        delProxy: live('delProxy', (a: string, i: number) => net.delProxy(a, i)),
        addUnreachable: live('addUnreachable', (d: string) => net.addUnreachable(d)),
        delUnreachable: live('delUnreachable', (d: string) => net.delUnreachable(d)),
        close() { if (closed) throw new Error('fake netlink: session closed twice'); closed = true; open--; net.close(); },
      };
    },
    sysctl,
    daemonConfig(path: string) {
      if (path !== daemon.path) throw new Error(`fake daemon.json: only ${daemon.path} is modelled, not ${path}`);
      return daemon;
    },
    dockerd,
    docker,
    files,
    state,
    probe,
    services,
  };
  return { host, fw, survey, net, sysctl, daemon, dockerd, docker, files, state, probe, services, log, openSessions: () => open };
}
