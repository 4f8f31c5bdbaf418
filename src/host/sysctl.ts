// The sysctl adapter: reads and writes /proc/sys/net values of the current network namespace.
import { readFile, writeFile } from 'node:fs/promises';
import { ifSysctl, sysctlPath } from '../model/sysctl';

export interface SysctlStore {
  read(key: string): Promise<string | undefined>;
  write(key: string, value: string): Promise<void>;
}

export class ProcSysctl implements SysctlStore {
  constructor(private readonly procSys = '/proc/sys') {}
  async read(key: string): Promise<string | undefined> {
    try {
      return (await readFile(sysctlPath(this.procSys, key), 'utf8')).trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
  async write(key: string, value: string): Promise<void> {
    await writeFile(sysctlPath(this.procSys, key), `${value}\n`);
  }
}

/** The IPv6 sysctls that matter for a host and its uplink. */
export async function readIpv6Sysctls(store: SysctlStore, uplink?: string): Promise<Record<string, string | undefined>> {
  const keys = [
    'net.ipv6.conf.all.disable_ipv6',
    'net.ipv6.conf.default.disable_ipv6',
    'net.ipv6.conf.all.forwarding',
    'net.ipv6.conf.default.forwarding',
    'net.ipv6.conf.all.proxy_ndp',
    'net.ipv4.ip_forward',
  ];
  if (uplink) {
    for (const n of ['disable_ipv6', 'forwarding', 'accept_ra', 'proxy_ndp', 'autoconf']) keys.push(ifSysctl(uplink, n));
  }
  const values = await Promise.all(keys.map((k) => store.read(k)));
  return Object.fromEntries(keys.map((k, i) => [k, values[i]]));
}
