// Strict fake of the netlink adapter: links, addresses, routes, unreachable routes and NDP proxy entries of
// one namespace; adding a present entry or deleting a missing one throws, as a bug in the caller would.
// Like the kernel, it keys entries by address bytes, not by spelling: '2001:0db8::1' and '2001:db8::1' are one entry.
import { PROXY_PROTOCOL } from '../../src/model/names';
import { canonical6, formatCidr, parseCidr6 } from '../../src/model/ip';
import type { AddrInfo, LinkInfo, NetState, RouteInfo } from '../../src/model/net';
import type { NetOps } from '../../src/host/interfaces';

/** Netlink: adding a present entry or deleting a missing one throws; `failAfter` simulates a crash. */
export class FakeNet implements NetOps {
  proxies = new Map<string, number>(); // "addr%ifindex"
  /** entries added through addProxy carry our NDA_PROTOCOL tag, as the real adapter sets it */
  tagged = new Set<string>();
  /** false: a kernel before 5.2, which drops NDA_PROTOCOL */
  keepsTags = true;
  unreachable = new Set<string>();
  /** routes other than our unreachable ones (the default route, connected prefixes) */
  otherRoutes: RouteInfo[] = [];
  addresses: AddrInfo[] = [];
  links: LinkInfo[] = [{ index: 1, name: 'lo', up: true }, { index: 2, name: 'eth0', up: true }];
  /** this session's changes in order */
  ops: string[] = [];
  failAfter = Infinity;
  closed = 0;
  opened = 0;
  constructor(private readonly log: string[] = []) {}
  private tick(op: string) {
    if (this.ops.length >= this.failAfter) throw new Error(`fake netlink: crash before ${op}`);
    this.ops.push(op);
    this.log.push(`netlink ${op}`);
  }
  async read(opts: { routes?: 6 } = {}): Promise<NetState> {
    return JSON.parse(JSON.stringify({
      links: this.links, addresses: this.addresses,
      routes: [...this.otherRoutes.filter((r) => opts.routes !== 6 || r.family === 6), ...[...this.unreachable].map((dst) => ({ family: 6 as const, dst, table: 254, protocol: 'STATIC', type: 'UNREACHABLE', ifindex: 1, ifname: 'lo' }))],
      proxies: [...this.proxies.keys()].map((k) => {
        const [address, i] = k.split('%');
        const link = this.links.find((l) => l.index === Number(i));
        if (!link) throw new Error(`fake netlink: proxy ${k} on a link that does not exist`);
        return { address, ifindex: Number(i), ifname: link.name, ...(this.tagged.has(k) ? { protocol: PROXY_PROTOCOL } : {}) };
      }),
    } satisfies NetState));
  }
  private link(i: number): void {
    if (!this.links.some((l) => l.index === i)) throw new Error(`fake netlink: no link with index ${i} (ENODEV)`);
  }
  async addProxy(a: string, i: number) { this.tick(`+proxy ${a}`); this.link(i); const k = `${addr(a)}%${i}`; if (this.proxies.has(k)) throw new Error(`fake netlink: proxy ${k} exists`); this.proxies.set(k, i); if (this.keepsTags) this.tagged.add(k); }
  async delProxy(a: string, i: number) { this.tick(`-proxy ${a}`); const k = `${addr(a)}%${i}`; if (!this.proxies.delete(k)) throw new Error(`fake netlink: proxy ${k} missing`); this.tagged.delete(k); }
  async addUnreachable(d: string) { this.tick(`+route ${d}`); const k = dst(d); if (this.unreachable.has(k)) throw new Error(`fake netlink: route ${k} exists`); this.unreachable.add(k); }
  async delUnreachable(d: string) { this.tick(`-route ${d}`); const k = dst(d); if (!this.unreachable.delete(k)) throw new Error(`fake netlink: route ${k} missing`); }
  close() { this.closed++; }
}

function addr(a: string): string {
  if (!/^[0-9a-f:.]+$/i.test(a) || !parseCidr6(a)) throw new Error(`fake netlink: not an IPv6 address: ${a} (EINVAL)`);
  return canonical6(a);
}

function dst(d: string): string {
  const c = /\/\d+$/.test(d) ? parseCidr6(d) : undefined;
  if (!c) throw new Error(`fake netlink: not an IPv6 prefix: ${d} (EINVAL)`);
  return formatCidr(c);
}
