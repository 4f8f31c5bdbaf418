// The sysctl adapter: reads and writes /proc/sys/net values of the current network namespace.
import { readFile, writeFile } from 'node:fs/promises';
import { sysctlPath } from '../model/sysctl';
import type { SysctlStore } from './interfaces';

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
