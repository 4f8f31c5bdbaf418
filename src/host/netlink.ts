// The netlink adapter (the only one): links, addresses, routes, unreachable routes and NDP proxy entries
// of the current namespace.
import { PreconditionError } from '../errors';
import type { NetOps } from './interfaces';
import type { AddrInfo, LinkInfo, NetState, ProxyEntry, RouteInfo } from '../model/net';
import { PROXY_PROTOCOL } from '../model/names';
import { bigToV6, formatIPv6Bytes, parseCidr6 } from '../model/ip';

const AF_INET = 2;
const AF_INET6 = 10;

function bytesToAddr(b: Uint8Array | undefined, family: number): string | undefined {
  if (!b) return undefined;
  const buf = Buffer.from(b);
  if (family === AF_INET) return Array.from(buf.subarray(0, 4)).join('.');
  return buf.length >= 16 ? formatIPv6Bytes(buf) : bigToV6(BigInt(`0x${buf.toString('hex')}`));
}

function addrToBytes(addr: string): Buffer {
  const c = parseCidr6(addr);
  if (!c) throw new PreconditionError(`not an IPv6 address: ${addr}`);
  return Buffer.from(c.start.toString(16).padStart(32, '0'), 'hex');
}

function linkKind(raw: unknown): string | undefined {
  // IFLA_LINKINFO is returned raw: nested attr IFLA_INFO_KIND (1) holding a C string
  if (!raw) return undefined;
  const buf = Buffer.from(raw as Uint8Array);
  if (buf.length < 5) return undefined;
  const len = buf.readUInt16LE(0);
  if (buf.readUInt16LE(2) !== 1) return undefined;
  return buf.subarray(4, len).toString('utf8').replace(/\0.*$/s, '');
}

type RtSocket = import('netlink').RtNetlinkSocket;

const NLM_F_CREATE = 0x400;
const NLM_F_EXCL = 0x200;

function dstBytes(dst: string): { bytes: Buffer; length: number } {
  const c = parseCidr6(dst)!;
  return { bytes: Buffer.from(c.start.toString(16).padStart(32, '0'), 'hex'), length: c.length };
}

export class Netlink implements NetOps {
  /** unreachable routes go through a socket of their own, made on first use */
  private routeSock?: RtSocket;
  private constructor(private readonly sock: RtSocket, private readonly make: () => RtSocket) {}

  static async open(): Promise<Netlink> {
    const nl = await import('netlink');
    return new Netlink(nl.createRtNetlink(), () => nl.createRtNetlink());
  }

  close(): void { this.sock.socket.close(); this.routeSock?.socket.close(); }

  async addUnreachable(dst: string): Promise<void> {
    const d = dstBytes(dst);
    await (this.routeSock ??= this.make()).newRoute(
      { family: AF_INET6, dstLen: d.length, table: 254, protocol: 'STATIC', scope: 'UNIVERSE', type: 'UNREACHABLE' } as never,
      { dst: d.bytes } as never,
      { flags: NLM_F_CREATE | NLM_F_EXCL } as never,
    );
  }

  async delUnreachable(dst: string): Promise<void> {
    const d = dstBytes(dst);
    await (this.routeSock ??= this.make()).delRoute({ family: AF_INET6, dstLen: d.length, table: 254, type: 'UNREACHABLE' } as never, { dst: d.bytes } as never);
  }

  async read(opts: { routes?: 6 } = {}): Promise<NetState> {
    // Sequential on purpose: netlink@0.3.0 mixes up interleaved dumps on one socket
    // ("Multipart message not terminated properly").
    const links = await this.sock.getLinks();
    const addrs = await this.sock.getAddresses();
    const routes = await this.sock.getRoutes(opts.routes === 6 ? { family: AF_INET6 } : undefined);
    const neigh = await this.sock.getNeighbors({ family: AF_INET6, flags: { proxy: true } } as never);
    const linkInfos: LinkInfo[] = links.map((l) => ({
      index: l.data.index ?? 0,
      name: String(l.attrs.ifname ?? ''),
      up: !!l.data.flags?.up,
      kind: linkKind(l.attrs.linkinfo),
      mac: l.attrs.address ? Buffer.from(l.attrs.address as Uint8Array).toString('hex').replace(/(..)(?!$)/g, '$1:') : undefined,
      ...(typeof l.attrs.mtu === 'number' ? { mtu: l.attrs.mtu } : {}),
      ...(typeof l.attrs.master === 'number' ? { master: l.attrs.master } : {}),
    }));
    // one lookup per address and route: a host with 1000 bridges has ~1000 links and several thousand of each
    const names = new Map(linkInfos.map((l) => [l.index, l.name]));
    const nameOf = (i?: number) => (i === undefined ? undefined : names.get(i));
    const addresses: AddrInfo[] = [];
    for (const a of addrs) {
      const fam = a.data.family === AF_INET ? 4 : a.data.family === AF_INET6 ? 6 : 0;
      if (!fam) continue;
      const address = bytesToAddr((a.attrs.local ?? a.attrs.address) as Uint8Array, a.data.family!);
      if (!address) continue;
      addresses.push({
        ifindex: a.data.index ?? 0, ifname: nameOf(a.data.index) ?? '', family: fam, address,
        prefixlen: a.data.prefixlen ?? 0, scope: a.data.scope ?? 0,
        flags: Object.entries(a.data.flags ?? {}).filter(([, v]) => v).map(([k]) => k),
      });
    }
    const routeInfos: RouteInfo[] = [];
    for (const r of routes) {
      const fam = r.data.family === AF_INET ? 4 : r.data.family === AF_INET6 ? 6 : 0;
      if (!fam) continue;
      const dstAddr = bytesToAddr(r.attrs.dst as Uint8Array, r.data.family!) ?? (fam === 4 ? '0.0.0.0' : '::');
      const table = (r.attrs.table as number | undefined) ?? r.data.table ?? 0;
      routeInfos.push({
        family: fam, dst: `${dstAddr}/${r.data.dstLen ?? 0}`,
        gateway: bytesToAddr(r.attrs.gateway as Uint8Array, r.data.family!),
        ifindex: r.attrs.oif as number | undefined, ifname: nameOf(r.attrs.oif as number | undefined),
        table, protocol: String(r.data.protocol ?? ''), type: String(r.data.type ?? ''),
      });
    }
    const proxies: ProxyEntry[] = [];
    for (const n of neigh) {
      if (!n.data.flags?.proxy) continue;
      const address = bytesToAddr(n.attrs.dst as Uint8Array, AF_INET6);
      const proto = n.attrs.protocol as Uint8Array | number | undefined;
      const protocol = typeof proto === 'number' ? proto : proto?.length ? proto[0] : undefined;
      if (address) proxies.push({ address, ifindex: n.data.ifindex ?? 0, ifname: nameOf(n.data.ifindex) ?? '', ...(protocol !== undefined ? { protocol } : {}) });
    }
    return { links: linkInfos, addresses, routes: routeInfos, proxies };
  }

  async addRoute6(dst: string, opts: { gateway?: string; ifindex: number; replace?: boolean }): Promise<void> {
    const c = parseCidr6(dst)!;
    const attrs: Record<string, unknown> = { dst: addrToBytes(c.network), oif: opts.ifindex };
    if (opts.gateway) attrs.gateway = addrToBytes(opts.gateway);
    await this.sock.newRoute(
      { family: AF_INET6, dstLen: c.length, table: 254, protocol: 'STATIC', scope: 'UNIVERSE', type: 'UNICAST' } as never,
      attrs as never,
      { flags: opts.replace ? 0x100 | 0x400 : 0x400 | 0x200 } as never, // CREATE|REPLACE or CREATE|EXCL
    );
  }

  async delRoute6(dst: string, opts: { ifindex?: number } = {}): Promise<void> {
    const c = parseCidr6(dst)!;
    const attrs: Record<string, unknown> = { dst: addrToBytes(c.network) };
    if (opts.ifindex) attrs.oif = opts.ifindex;
    await this.sock.delRoute({ family: AF_INET6, dstLen: c.length, table: 254 } as never, attrs as never);
  }

  async addProxy(address: string, ifindex: number): Promise<void> {
    await this.sock.newNeighbor(
      { family: AF_INET6, ifindex, flags: { proxy: true }, state: { permanent: true } } as never,
      { dst: addrToBytes(address), protocol: Buffer.from([PROXY_PROTOCOL]) } as never,
      { flags: 0x400 | 0x100 } as never, // CREATE|REPLACE: idempotent
    );
  }

  /** Idempotent: an entry already gone (another process, or a pass that observed before the agent removed it) is no error. */
  async delProxy(address: string, ifindex: number): Promise<void> {
    try {
      await this.sock.delNeighbor(
        { family: AF_INET6, ifindex, flags: { proxy: true } } as never,
        { dst: addrToBytes(address) } as never,
      );
    } catch (e) {
      if (!/\bENOENT\b/.test((e as Error)?.message ?? '')) throw e;
    }
  }
}

export function openNetOps(): Promise<NetOps> {
  return Netlink.open();
}
