// sysctl keys as data: the key of an interface's IPv6 setting and the /proc/sys path of a key (pure).
import { join } from 'node:path';
import { UsageError } from '../errors';
import { validateIfName } from './names';

/** `net.ipv6.conf.<if>.<name>` for an interface (or all/default); the name is validated. */
export function ifSysctl(ifname: string, name: string): string {
  if (ifname !== 'all' && ifname !== 'default') validateIfName(ifname);
  if (!/^[a-z_0-9]+$/.test(name)) throw new UsageError(`invalid sysctl name ${name}`);
  return `net.ipv6.conf.${ifname}.${name}`;
}

/** The settings enable, disable and doctor --fix ever change (sysctl-plan.ts, doctor's kernel checks). */
const TOOL_SYSCTLS = ['disable_ipv6', 'forwarding', 'accept_ra', 'proxy_ndp'];

/** Whether a key is one of ours: net.ipv6.conf.<all|default|interface>.<one of TOOL_SYSCTLS>. */
export function isToolSysctlKey(key: string): boolean {
  const m = /^net\.ipv6\.conf\.(.+)\.([a-z_0-9]+)$/.exec(key);
  if (!m || !TOOL_SYSCTLS.includes(m[2])) return false;
  try {
    return ifSysctl(m[1], m[2]) === key;
  } catch {
    return false;
  }
}

/** Dotted key to path. Interface names may contain '.', so conf keys are split structurally. */
export function sysctlPath(procSys: string, key: string): string {
  const m = /^net\.ipv6\.(conf|neigh)\.(.+)\.([a-z_0-9]+)$/.exec(key);
  if (m) return join(procSys, 'net', 'ipv6', m[1], m[2], m[3]);
  if (!/^[a-z0-9_.]+$/.test(key)) throw new UsageError(`invalid sysctl key ${key}`);
  return join(procSys, ...key.split('.'));
}

/** The IPv6 sysctls that matter for a host and its uplink. */
export async function readIpv6Sysctls(store: { read(key: string): Promise<string | undefined> }, uplink?: string): Promise<Record<string, string | undefined>> {
  const keys = [
    'net.ipv6.conf.all.disable_ipv6',
    'net.ipv6.conf.default.disable_ipv6',
    'net.ipv6.conf.all.forwarding',
    'net.ipv6.conf.default.forwarding',
    'net.ipv6.conf.all.proxy_ndp',
    'net.ipv4.ip_forward',
  ];
  if (uplink) {
    // mtu: the uplink's IPv6 MTU (a router advertisement may set it below the link's), read only
    for (const n of ['disable_ipv6', 'forwarding', 'accept_ra', 'proxy_ndp', 'autoconf', 'mtu']) keys.push(ifSysctl(uplink, n));
  }
  const values = await Promise.all(keys.map((k) => store.read(k)));
  return Object.fromEntries(keys.map((k, i) => [k, values[i]]));
}
