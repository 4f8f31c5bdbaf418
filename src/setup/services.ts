// What keeps our rules in step with Docker after enable: the agent and the boot unit under systemd (put in place,
// enabled and started by enable, and undone by disable only as far as enable did it), or, where systemd does not
// run this host's services, the words that tell the operator to run the agent (pure plan + its steps).
import type { RunContext } from '../cli/context';
import type { UnitFacts } from '../host/interfaces';
import { AGENT_UNIT, BOOT_UNIT, OUR_UNITS } from '../model/names';
import { agentNeeded, type ToolState } from '../model/state';
import { captureFile, type Step } from '../transaction/index';
import type { ServiceUndo } from '../transaction/tool-undo';

export { AGENT_UNIT, agentNeeded, BOOT_UNIT, OUR_UNITS };

/** The path our units' ExecStart names in the files the executable carries (install puts the plugin there). */
export const CARRIED_EXEC = '/usr/local/lib/docker/cli-plugins/docker-ipv6';

/** What the service manager and the tool itself bring: observed by the caller, planned here. */
export interface ServiceFacts {
  /** systemd runs this host's services */
  systemd: boolean;
  units: UnitFacts[];
  /** the unit files the executable carries, by name */
  carried: Record<string, string>;
  /** the executable the units run when enable writes them */
  executable: string;
  /** where enable writes missing unit files (/etc/systemd/system under --root) */
  unitDir: string;
}

export interface ServicePlan {
  systemd: boolean;
  /** unit files to write: our units are not installed anywhere systemd looks */
  write: Array<{ name: string; path: string; text: string }>;
  /** units to enable (not enabled now) */
  enable: string[];
  /** units to start: the agent (waited for), the boot unit (queued: it waits for our lock) */
  start: string[];
  /** why the units cannot be put in place although systemd runs (the operator is told what to do) */
  blocked?: string;
}

/** Home folders are hidden from our units (ProtectHome=yes): an executable there cannot be what they run. */
function underHome(path: string): boolean {
  return /^\/(root|home)(\/|$)/.test(path) || /^\/run\/user\//.test(path);
}

/**
 * Pure. Where systemd runs: the units missing from every unit folder are written (ExecStart pointed at this
 * executable), the agent, apply and boot units enabled where they are not, the agent started where it is not
 * active, the boot unit started (queued) so its filter is there at once as after a boot.
 */
export function planServices(f: ServiceFacts | undefined, needed: boolean): ServicePlan {
  const none: ServicePlan = { systemd: !!f?.systemd, write: [], enable: [], start: [] };
  if (!f || !f.systemd || !needed) return none;
  const byName = new Map(f.units.map((u) => [u.name, u]));
  const missing = OUR_UNITS.filter((u) => !byName.get(u)?.path);
  if (missing.length && underHome(f.executable)) {
    return { ...none, blocked: `the units are not installed, and this executable (${f.executable}) is under a home folder, which they cannot run (ProtectHome)` };
  }
  const write = missing.map((name) => ({
    name, path: `${f.unitDir}/${name}`,
    // the carried files name where `docker ipv6 install` puts the plugin; point them at this executable instead
    text: (f.carried[name] ?? '').split(CARRIED_EXEC).join(f.executable),
  }));
  const unknown = write.filter((w) => !w.text);
  if (unknown.length) return { ...none, blocked: `this executable carries no unit file ${unknown.map((w) => w.name).join(', ')}` };
  const enable = OUR_UNITS.filter((u) => !byName.get(u)?.enabled);
  const start = [AGENT_UNIT, BOOT_UNIT].filter((u) => !byName.get(u)?.active);
  return { systemd: true, write, enable, start };
}

export function servicesChange(p: ServicePlan): boolean {
  return p.write.length + p.enable.length + p.start.length > 0;
}

/** What the state records of it: only what enable itself did is disable's to undo. */
export function servicesRecord(p: ServicePlan): NonNullable<ToolState['enabled']>['services'] {
  if (!servicesChange(p)) return undefined;
  return { wrote: p.write.map((w) => w.path), enabled: [...p.enable], started: [...p.start] };
}

/**
 * enable's steps, after the state is complete (the agent's first pass then waits for our lock and finds it):
 * the reload is armed first so a rollback reloads once the files are gone again.
 */
export function serviceSteps(ctx: Pick<RunContext, 'host'>, p: ServicePlan): Step[] {
  if (!servicesChange(p)) return [];
  const sm = ctx.host.services;
  const steps: Step[] = [];
  if (p.write.length) {
    steps.push({ id: 'arm-units-reload', describe: 'on rollback: systemctl daemon-reload once the unit files are gone', async apply() { return { kind: 'service', action: 'reload', units: [] } satisfies ServiceUndo; } });
    for (const w of p.write) {
      steps.push({
        id: `unit-file:${w.name}`, describe: `write ${w.path} (it runs ${/ExecStart=(\S+)/.exec(w.text)?.[1] ?? 'docker-ipv6'})`,
        prepare: () => captureFile(w.path, { writes: w.text }),
        async apply() { await ctx.host.files.writeAtomic(w.path, w.text, 0o644); },
      });
    }
  }
  if (p.enable.length) {
    steps.push({
      id: 'units-enable', describe: `systemctl enable ${p.enable.join(' ')}`,
      prepare: async () => ({ kind: 'service', action: 'enable', units: [...p.enable] } satisfies ServiceUndo),
      async apply() { await sm.reload(); await sm.enable(p.enable); },
    });
  }
  if (p.start.length) {
    steps.push({
      id: 'units-start', describe: `systemctl start ${p.start.join(' ')}${p.start.includes(BOOT_UNIT) ? ` (${BOOT_UNIT} queued: it runs once this enable lets go of the lock)` : ''}`,
      prepare: async () => ({ kind: 'service', action: 'start', units: [...p.start] } satisfies ServiceUndo),
      async apply() {
        await sm.reload();
        // the agent starts at once (Type=exec) and waits for our lock; the boot unit is a oneshot that takes the lock
        const wait = p.start.filter((u) => u !== BOOT_UNIT);
        if (wait.length) await sm.start(wait);
        if (p.start.includes(BOOT_UNIT)) await sm.start([BOOT_UNIT], { wait: false });
      },
    });
  }
  return steps;
}

/** disable's steps, first of all: stop what enable started, disable what it enabled, remove the files it wrote. */
export function serviceUndoSteps(ctx: Pick<RunContext, 'host'>, rec: NonNullable<ToolState['enabled']>['services']): Step[] {
  if (!rec) return [];
  const sm = ctx.host.services;
  const steps: Step[] = [];
  const started = rec.started ?? [];
  const enabled = rec.enabled ?? [];
  const wrote = rec.wrote ?? [];
  if (wrote.length) steps.push({ id: 'arm-units-reload', describe: 'on rollback: systemctl daemon-reload once the unit files are back', async apply() { return { kind: 'service', action: 'reload', units: [] } satisfies ServiceUndo; } });
  if (started.length) {
    steps.push({
      id: 'units-stop', describe: `systemctl stop ${started.join(' ')} (enable started them)`,
      prepare: async () => ({ kind: 'service', action: 'stop', units: [...started] } satisfies ServiceUndo),
      async apply() { await sm.stop(started); },
    });
  }
  if (enabled.length) {
    steps.push({
      id: 'units-disable', describe: `systemctl disable ${enabled.join(' ')} (enable enabled them)`,
      prepare: async () => ({ kind: 'service', action: 'disable', units: [...enabled] } satisfies ServiceUndo),
      async apply() { await sm.disable(enabled); },
    });
  }
  for (const path of wrote) {
    steps.push({
      id: `unit-file:${path.split('/').pop()}`, describe: `remove ${path} (enable wrote it)`,
      prepare: () => captureFile(path, { writes: null }),
      async apply() { await ctx.host.files.remove(path); },
    });
  }
  if (wrote.length) steps.push({ id: 'units-reload', describe: 'systemctl daemon-reload', async apply() { await sm.reload(); } });
  return steps;
}

/** The lines enable prints about what keeps the rules in step, for the plan and the result. */
export function servicesText(p: ServicePlan, o: { needed: boolean; mode: string; agentRunning: boolean; agentCommand: string; done?: boolean }): string[] {
  if (!o.needed) return [];
  const effect = o.mode === 'ndp' ? 'containers started from now on get no NDP proxy entry (unreachable from outside)' : 'ports published and networks created from now on stay closed from outside';
  if (o.agentRunning && !servicesChange(p)) return [`Agent    running: it keeps our rules in step with Docker (without it ${effect})`];
  if (p.systemd && !p.blocked) {
    const [w, e, s] = o.done ? ['wrote', 'enabled', 'started'] : ['write', 'enable', 'start'];
    const did = [p.write.length ? `${w} ${p.write.map((x) => x.path).join(', ')}` : '', p.enable.length ? `${e} ${p.enable.join(', ')}` : '', p.start.length ? `${s} ${p.start.join(', ')}` : ''].filter(Boolean).join('; ');
    return [`Agent    systemd: ${did || 'the agent and the boot unit are enabled and running'}; the agent keeps our rules in step with Docker (disable undoes only this)`];
  }
  const why = p.blocked ? `systemd runs, but ${p.blocked}: run sudo docker ipv6 install --enable, or` : 'no systemd runs this host\'s services (a container or a lab):';
  return [`Agent    not running: ${effect} until docker ipv6 apply runs.`, `         ${why} keep the agent running: ${o.agentCommand}`];
}

/** The facts planServices needs: systemd and our units (through the service manager), and what this executable carries. */
export async function observeServices(ctx: Pick<RunContext, 'host' | 'paths'>): Promise<ServiceFacts> {
  const sm = ctx.host.services;
  const systemd = await sm.running().catch(() => false);
  const units = await sm.units(OUR_UNITS).catch(() => []);
  // read only where they may be written: the executable's assets, or the source tree's systemd/ folder
  const { bundledUnits, defaultExecutable } = await import('../host/units');
  return { systemd, units, carried: systemd ? bundledUnits() : {}, executable: defaultExecutable(), unitDir: ctx.paths.unitDir };
}

/** The command that keeps the agent running where systemd does not: in the background, its log beside our state. */
export function agentCommand(stateDir: string): string {
  return `nohup docker ipv6 agent >>${stateDir}/agent.log 2>&1 &`;
}
