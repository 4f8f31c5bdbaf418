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

/** Dotted key to path. Interface names may contain '.', so conf keys are split structurally. */
export function sysctlPath(procSys: string, key: string): string {
  const m = /^net\.ipv6\.(conf|neigh)\.(.+)\.([a-z_0-9]+)$/.exec(key);
  if (m) return join(procSys, 'net', 'ipv6', m[1], m[2], m[3]);
  if (!/^[a-z0-9_.]+$/.test(key)) throw new UsageError(`invalid sysctl key ${key}`);
  return join(procSys, ...key.split('.'));
}
