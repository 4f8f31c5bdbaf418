// Strict fakes for reconcile tests: a tiny ip6tables-restore model and netlink that refuse wrong use.
import { PROXY_PROTOCOL } from '../../../src/model/names';
import type { NetState } from '../../../src/model/net';
import type { NetOps } from '../../../src/host/interfaces';
import type { ReconcileDeps } from '../../../src/reconcile/observe';
import type { ApiContainer, ApiNetwork } from '../../../src/model/docker';
import type { ToolState } from '../../../src/model/state';
import type { SysctlStore } from '../../../src/host/interfaces';

type Tables = Record<string, { chains: string[]; policies: Record<string, string>; rules: Record<string, string[]> }>;

/** Models ip6tables-save / restore --noflush for the statements our batches use; anything else throws. */
export class FakeFirewall {
  tables: Tables = {
    nat: { chains: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'], policies: {}, rules: { PREROUTING: [], INPUT: [], OUTPUT: [], POSTROUTING: [] } },
    filter: { chains: ['INPUT', 'FORWARD', 'OUTPUT'], policies: {}, rules: { INPUT: [], FORWARD: [], OUTPUT: [] } },
  };
  restores: string[] = [];
  saves = 0;

  async save(): Promise<string> {
    this.saves++;
    const out: string[] = [];
    for (const [name, t] of Object.entries(this.tables)) {
      out.push(`*${name}`);
      for (const c of t.chains) out.push(`:${c} ${['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'FORWARD'].includes(c) ? 'ACCEPT' : '-'} [0:0]`);
      for (const c of t.chains) for (const r of t.rules[c]) out.push(`-A ${c} ${r}`);
      out.push('COMMIT');
    }
    return `${out.join('\n')}\n`;
  }

  async restore(batch: string): Promise<void> {
    this.restores.push(batch);
    const copy: Tables = JSON.parse(JSON.stringify(this.tables));
    let t: Tables[string] | undefined;
    for (const line of batch.split('\n').filter(Boolean)) {
      const need = () => { if (!t) throw new Error(`fake ip6tables: ${line} outside a table`); return t; };
      const chainOf = (c: string) => { if (!need().chains.includes(c)) throw new Error(`fake ip6tables: no chain ${c}`); return t!.rules[c]; };
      let m: RegExpExecArray | null;
      if ((m = /^\*(\w+)$/.exec(line))) { t = copy[m[1]]; if (!t) throw new Error(`fake ip6tables: no table ${m[1]}`); }
      else if (line === 'COMMIT') t = undefined;
      else if ((m = /^:(\S+) - \[0:0\]$/.exec(line))) { if (!need().chains.includes(m[1])) { t!.chains.push(m[1]); t!.rules[m[1]] = []; } }
      else if ((m = /^-F (\S+)$/.exec(line))) chainOf(m[1]).length = 0;
      else if ((m = /^-X (\S+)$/.exec(line))) {
        if (chainOf(m[1]).length) throw new Error(`fake ip6tables: -X ${m[1]}: chain not empty`);
        for (const rs of Object.values(t!.rules)) if (rs.some((r) => r.endsWith(`-j ${m![1]}`))) throw new Error(`fake ip6tables: -X ${m[1]}: still referenced`);
        t!.chains = t!.chains.filter((c) => c !== m![1]); delete t!.rules[m[1]];
      } else if ((m = /^-A (\S+) (.+)$/.exec(line))) chainOf(m[1]).push(m[2]);
      else if ((m = /^-D (\S+) (.+)$/.exec(line))) {
        const rs = chainOf(m[1]); const i = rs.indexOf(m[2]);
        if (i < 0) throw new Error(`fake ip6tables: -D ${m[1]}: no such rule`);
        rs.splice(i, 1);
      } else if ((m = /^-I (\S+) (\d+) (.+)$/.exec(line))) {
        const rs = chainOf(m[1]); const at = Number(m[2]);
        if (at < 1 || at > rs.length + 1) throw new Error(`fake ip6tables: -I ${m[1]} ${at}: index of insertion too big`);
        rs.splice(at - 1, 0, m[3]);
      }
      else throw new Error(`fake ip6tables: unsupported line ${line}`);
    }
    if (t) throw new Error('fake ip6tables: missing COMMIT');
    this.tables = copy;
  }
}

/** Netlink: adding a present entry or deleting a missing one throws; `failAfter` simulates a crash. */
export class FakeNet implements NetOps {
  proxies = new Map<string, number>(); // "addr%ifindex"
  /** entries added through addProxy carry our NDA_PROTOCOL tag, as the real adapter sets it */
  tagged = new Set<string>();
  /** false: a kernel before 5.2, which drops NDA_PROTOCOL */
  keepsTags = true;
  unreachable = new Set<string>();
  otherRoutes: NetState['routes'] = [];
  links = [{ index: 1, name: 'lo', up: true }, { index: 2, name: 'eth0', up: true }];
  ops: string[] = [];
  failAfter = Infinity;
  closed = 0;
  private tick(op: string) { if (this.ops.length >= this.failAfter) throw new Error(`fake netlink: crash before ${op}`); this.ops.push(op); }
  async read(): Promise<NetState> {
    return {
      links: this.links, addresses: [],
      routes: [...this.otherRoutes, ...[...this.unreachable].map((dst) => ({ family: 6 as const, dst, table: 254, protocol: 'STATIC', type: 'UNREACHABLE', ifindex: 1, ifname: 'lo' }))],
      proxies: [...this.proxies.keys()].map((k) => { const [address, i] = k.split('%'); return { address, ifindex: Number(i), ifname: this.links.find((l) => l.index === Number(i))!.name, ...(this.tagged.has(k) ? { protocol: PROXY_PROTOCOL } : {}) }; }),
    };
  }
  async addProxy(a: string, i: number) { this.tick(`+proxy ${a}`); const k = `${a}%${i}`; if (this.proxies.has(k)) throw new Error(`fake netlink: proxy ${k} exists`); this.proxies.set(k, i); if (this.keepsTags) this.tagged.add(k); }
  async delProxy(a: string, i: number) { this.tick(`-proxy ${a}`); if (!this.proxies.delete(`${a}%${i}`)) throw new Error(`fake netlink: proxy ${a}%${i} missing`); this.tagged.delete(`${a}%${i}`); }
  async addUnreachable(d: string) { this.tick(`+route ${d}`); if (this.unreachable.has(d)) throw new Error(`fake netlink: route ${d} exists`); this.unreachable.add(d); }
  async delUnreachable(d: string) { this.tick(`-route ${d}`); if (!this.unreachable.delete(d)) throw new Error(`fake netlink: route ${d} missing`); }
  close() { this.closed++; }
}

export class FakeSysctls implements SysctlStore {
  values = new Map<string, string>(Object.entries({
    'net.ipv6.conf.all.disable_ipv6': '0', 'net.ipv6.conf.all.forwarding': '1', 'net.ipv6.conf.default.forwarding': '1',
    'net.ipv6.conf.eth0.accept_ra': '0', 'net.ipv6.conf.eth0.proxy_ndp': '1',
  }));
  writes: string[] = [];
  async read(k: string) { return this.values.get(k); }
  async write(k: string, v: string) { if (!this.values.has(k)) throw new Error(`fake sysctl: no ${k}`); this.writes.push(`${k}=${v}`); this.values.set(k, v); }
}

export interface World { fw: FakeFirewall; net: FakeNet; sysctl: FakeSysctls; state?: ToolState; networks: ApiNetwork[]; containers: ApiContainer[]; dockerCalls: number; deps: ReconcileDeps }

export function world(state: ToolState | undefined): World {
  const w = { fw: new FakeFirewall(), net: new FakeNet(), sysctl: new FakeSysctls(), state, networks: [] as ApiNetwork[], containers: [] as ApiContainer[], dockerCalls: 0 } as World;
  w.deps = {
    docker: async () => ({
      listNetworks: async () => { w.dockerCalls++; return JSON.parse(JSON.stringify(w.networks)); },
      listContainers: async () => { w.dockerCalls++; return JSON.parse(JSON.stringify(w.containers)); },
    }),
    firewall: { save: () => w.fw.save(), restore: (b) => w.fw.restore(b) },
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
