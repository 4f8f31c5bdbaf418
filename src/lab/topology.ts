// The lab's network: an upstream router namespace with a stand-in "internet" host, and the Docker
// host namespace joined to it by a veth pair. Links are made inside the namespaces, never in ours.
import { existsSync } from 'node:fs';
import { run } from '../util/exec';
import { LAB_ADDRESSES as A, type LabAddresses } from './record';

export function netnsPath(ns: string): string {
  return `/var/run/netns/${ns}`;
}

export function netnsExists(ns: string): boolean {
  return existsSync(netnsPath(ns));
}

/** argv that runs cmd inside a namespace: nsenter, not `ip netns exec` (which remounts /sys). */
export function inNetns(ns: string, cmd: readonly string[]): string[] {
  return ['nsenter', `--net=${netnsPath(ns)}`, '--', ...cmd];
}

/** busybox's sysctl: busybox-static is a lab requirement anyway, procps may be missing on a bare host. */
async function sysctl(ns: string, settings: string[]): Promise<void> {
  await run(inNetns(ns, ['busybox', 'sysctl', '-q', '-w', ...settings]), { hint: 'install busybox-static' });
}

/**
 * Upstream `up`: host0 (link to the host), inet0/inet1 (a veth pair: this kernel has no dummy
 * type; inet0 holds the internet addresses). Host `host`: eth0 with static addresses and
 * default routes via upstream.
 */
export async function createTopology(ns: { upstream: string; host: string }, opts: { ipv4Forwarding?: boolean } = {}): Promise<void> {
  const up = ns.upstream;
  const host = ns.host;
  await run(['ip', 'netns', 'add', up]);
  await run(['ip', 'netns', 'add', host]);
  const ipUp = (...a: string[]) => run(['ip', '-n', up, ...a]);
  const ipHost = (...a: string[]) => run(['ip', '-n', host, ...a]);
  await ipHost('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'host0', 'netns', up);
  await ipUp('link', 'add', 'inet0', 'type', 'veth', 'peer', 'name', 'inet1');
  await sysctl(up, ['net.ipv6.conf.all.forwarding=1', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.host0.accept_dad=0', 'net.ipv6.conf.inet0.accept_dad=0']);
  await sysctl(host, ['net.ipv6.conf.eth0.accept_dad=0', ...(opts.ipv4Forwarding ? ['net.ipv4.ip_forward=1'] : [])]);
  await ipUp('addr', 'add', `${A.upstream6}/64`, 'dev', 'host0', 'nodad');
  await ipUp('addr', 'add', `${A.upstream4}/24`, 'dev', 'host0');
  await ipUp('addr', 'add', `${A.internet6}/128`, 'dev', 'inet0', 'nodad');
  await ipUp('addr', 'add', `${A.internet4}/32`, 'dev', 'inet0');
  for (const l of ['lo', 'host0', 'inet0', 'inet1']) await ipUp('link', 'set', l, 'up');
  await ipHost('addr', 'add', `${A.host6}/64`, 'dev', 'eth0', 'nodad');
  await ipHost('addr', 'add', `${A.host4}/24`, 'dev', 'eth0');
  for (const l of ['lo', 'eth0']) await ipHost('link', 'set', l, 'up');
  await ipHost('route', 'add', 'default', 'via', A.upstream4);
  await ipHost('-6', 'route', 'add', 'default', 'via', A.upstream6);
}

/** `ip -n NS ...`: ip commands inside a namespace. */
const ipIn = (ns: string) => (...a: string[]) => run(['ip', '-n', ns, ...a]);

/**
 * The upstream's side of the link as a bridge (lan0), so more lab hosts can share it: the upstream's addresses move
 * from host0 to lan0 and host0 becomes a port. Done once, before the second host joins (routes via a host address
 * made before that move are dropped by the kernel with the address: add them after the hosts joined).
 */
async function ensureUpstreamBridge(up: string): Promise<void> {
  const ipUp = ipIn(up);
  const links = (await run(['ip', '-n', up, '-o', 'link', 'show'])).stdout;
  if (/\d+: lan0[:@]/.test(links)) return;
  await ipUp('link', 'add', 'lan0', 'type', 'bridge');
  await sysctl(up, ['net.ipv6.conf.lan0.accept_dad=0']);
  await ipUp('link', 'set', 'lan0', 'up');
  await ipUp('addr', 'del', `${A.upstream6}/64`, 'dev', 'host0');
  await ipUp('addr', 'del', `${A.upstream4}/24`, 'dev', 'host0');
  await ipUp('link', 'set', 'host0', 'master', 'lan0');
  await ipUp('addr', 'add', `${A.upstream6}/64`, 'dev', 'lan0', 'nodad');
  await ipUp('addr', 'add', `${A.upstream4}/24`, 'dev', 'lan0');
}

/**
 * `lab up --join OWNER`: a new host namespace whose eth0 is one more port of OWNER's upstream link (a bridge there),
 * with its own addresses on the link's prefixes; the hosts reach each other directly (a Swarm needs that).
 */
export async function joinTopology(host: string, up: string, n: number, addr: LabAddresses, opts: { ipv4Forwarding?: boolean } = {}): Promise<void> {
  await ensureUpstreamBridge(up);
  await run(['ip', 'netns', 'add', host]);
  const ipHost = ipIn(host);
  const port = `host${n}`;
  await ipHost('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', up);
  await ipIn(up)('link', 'set', port, 'master', 'lan0');
  await ipIn(up)('link', 'set', port, 'up');
  await sysctl(host, ['net.ipv6.conf.eth0.accept_dad=0', ...(opts.ipv4Forwarding ? ['net.ipv4.ip_forward=1'] : [])]);
  await ipHost('addr', 'add', `${addr.host6}/64`, 'dev', 'eth0', 'nodad');
  await ipHost('addr', 'add', `${addr.host4}/24`, 'dev', 'eth0');
  for (const l of ['lo', 'eth0']) await ipHost('link', 'set', l, 'up');
  await ipHost('route', 'add', 'default', 'via', A.upstream4);
  await ipHost('-6', 'route', 'add', 'default', 'via', A.upstream6);
}

/** Deleting a namespace removes its links too (a veth goes with either end). */
export async function deleteNamespace(ns: string): Promise<void> {
  if (!netnsExists(ns)) return;
  await run(['ip', 'netns', 'del', ns]);
}
