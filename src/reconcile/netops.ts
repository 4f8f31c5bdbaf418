// The host side of a reconcile: netlink for proxies and routes (in-process), behind one narrow interface.
// `unreachable` routes are made on a socket of our own: src/host/netlink.ts only adds unicast routes.
import { Netlink, type NetState } from '../host/netlink';
import { parseCidr6 } from '../model/ip';

export interface NetOps {
  read(): Promise<NetState>;
  addProxy(address: string, ifindex: number): Promise<void>;
  delProxy(address: string, ifindex: number): Promise<void>;
  addUnreachable(dst: string): Promise<void>;
  delUnreachable(dst: string): Promise<void>;
  close(): void;
}

const AF_INET6 = 10;
const NLM_F_CREATE = 0x400;
const NLM_F_EXCL = 0x200;

function dstBytes(dst: string): { bytes: Buffer; length: number } {
  const c = parseCidr6(dst)!;
  return { bytes: Buffer.from(c.start.toString(16).padStart(32, '0'), 'hex'), length: c.length };
}

export async function openNetOps(): Promise<NetOps> {
  const nl = await Netlink.open();
  const { createRtNetlink } = await import('netlink');
  let routeSock: import('netlink').RtNetlinkSocket | undefined;
  const sock = () => (routeSock ??= createRtNetlink());
  return {
    read: () => nl.read(),
    addProxy: (a, i) => nl.addProxy(a, i),
    delProxy: (a, i) => nl.delProxy(a, i),
    async addUnreachable(dst) {
      const d = dstBytes(dst);
      await sock().newRoute(
        { family: AF_INET6, dstLen: d.length, table: 254, protocol: 'STATIC', scope: 'UNIVERSE', type: 'UNREACHABLE' } as never,
        { dst: d.bytes } as never,
        { flags: NLM_F_CREATE | NLM_F_EXCL } as never,
      );
    },
    async delUnreachable(dst) {
      const d = dstBytes(dst);
      await sock().delRoute({ family: AF_INET6, dstLen: d.length, table: 254, type: 'UNREACHABLE' } as never, { dst: d.bytes } as never);
    },
    close() { nl.close(); routeSock?.socket.close(); },
  };
}
