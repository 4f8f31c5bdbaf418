// Strict fake of the service manager (systemd): our units with their files, links and activity, every change
// recorded; enabling a unit without a file, starting one where systemd does not run, or a stop of a unit that
// is not active throws, as a caller bug would show on a host.
import type { ServiceManager, UnitFacts } from '../../src/host/interfaces';

const UNIT_RE = /^docker-ipv6-(boot|apply|agent)\.service$/;

export class FakeServices implements ServiceManager {
  /** systemd runs this host's services */
  systemd = false;
  /** unit name -> its facts (a unit absent here is not installed) */
  readonly known = new Map<string, UnitFacts>();
  /** changes in order: "enable X", "start X", "stop X", "disable X", "reload" */
  readonly ops: string[] = [];
  /** the folder a unit file written by the tool lands in (FakeFiles writes it; `installed` tells the fake) */
  constructor(private readonly log: string[] = []) {}

  /** a unit file is there (installed by a package, or written by the tool) */
  installed(name: string, path: string, o: { enabled?: boolean; active?: boolean } = {}): this {
    this.known.set(name, { name, path, enabled: !!o.enabled, ...(this.systemd ? { active: !!o.active } : {}) });
    return this;
  }

  private check(units: readonly string[], what: string): void {
    for (const u of units) if (!UNIT_RE.test(u)) throw new Error(`fake services: ${what} of ${u}, not one of ours`);
  }

  private record(op: string): void { this.ops.push(op); this.log.push(`systemctl ${op}`); }

  async running(): Promise<boolean> { return this.systemd; }

  async units(names: readonly string[]): Promise<UnitFacts[]> {
    this.check(names, 'units');
    return names.map((n) => structuredClone(this.known.get(n) ?? { name: n, enabled: false }));
  }

  async reload(): Promise<void> { if (this.systemd) this.record('reload'); }

  async enable(units: readonly string[]): Promise<void> {
    this.check(units, 'enable');
    for (const u of units) {
      const f = this.known.get(u);
      if (!f?.path) throw new Error(`fake services: enable of ${u}, which has no unit file`);
      f.enabled = true;
      this.record(`enable ${u}`);
    }
  }

  async disable(units: readonly string[]): Promise<void> {
    this.check(units, 'disable');
    for (const u of units) {
      const f = this.known.get(u);
      if (f) f.enabled = false;
      this.record(`disable ${u}`);
    }
  }

  async start(units: readonly string[], o: { wait?: boolean } = {}): Promise<void> {
    this.check(units, 'start');
    if (!this.systemd) throw new Error('fake services: start where systemd does not run');
    for (const u of units) {
      const f = this.known.get(u);
      if (!f?.path) throw new Error(`fake services: start of ${u}, which has no unit file`);
      f.active = true;
      this.record(`start ${u}${o.wait === false ? ' --no-block' : ''}`);
    }
  }

  async stop(units: readonly string[]): Promise<void> {
    this.check(units, 'stop');
    if (!this.systemd) return;
    for (const u of units) {
      const f = this.known.get(u);
      if (f) f.active = false;
      this.record(`stop ${u}`);
    }
  }

  /** a unit file the tool removed */
  removed(name: string): void { this.known.delete(name); }
}
