// Strict fake of the sysctl adapter: a map of the keys that exist; writing one that does not throws, as /proc would (ENOENT).
import type { SysctlStore } from '../../src/host/interfaces';

export class FakeSysctl implements SysctlStore {
  readonly values: Map<string, string>;
  /** every write in order, as "key=value" */
  readonly writes: string[] = [];
  private readonly failing = new Set<string>();
  constructor(initial: Record<string, string | undefined>, private readonly log: string[] = []) {
    this.values = new Map(Object.entries(initial).filter((e): e is [string, string] => e[1] !== undefined));
  }
  async read(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async write(key: string, value: string): Promise<void> {
    if (!this.values.has(key)) throw new Error(`fake sysctl: ${key} does not exist (ENOENT)`);
    if (!/^\S+$/.test(value)) throw new Error(`fake sysctl: bad value ${JSON.stringify(value)} for ${key} (EINVAL)`);
    if (this.failing.has(key)) throw new Error(`fake sysctl: write to ${key} refused (EACCES)`);
    this.writes.push(`${key}=${value}`);
    this.log.push(`sysctl ${key}=${value}`);
    this.values.set(key, value);
  }
  /** Later writes of `key` fail (a read-only /proc/sys, a key the kernel refuses). */
  failWrites(key: string): void {
    this.failing.add(key);
  }
  /** The values as a plain object, for deepEqual. */
  snapshot(): Record<string, string> {
    return Object.fromEntries(this.values);
  }
}
