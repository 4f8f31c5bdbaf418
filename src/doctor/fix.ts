// doctor --fix: turns the fixable findings into transaction steps (sysctls, daemon.json keys + restart, enable's own steps) and applies them as one transaction.
import { captureFile, captureSysctl, runTransaction, type Step, type UndoRegistry } from '../transaction/index';
import { hostUlaDraws } from '../enable/identity';
import type { RunContext } from '../cli/context';
import { setKeys } from '../daemon/edit';
import { planEnable, type EnablePlan } from '../enable/plan';
import { enableSteps } from '../enable/steps';
import type { RestartUndo } from '../transaction/tool-undo';
import { ConfigError } from '../errors';
import type { HostSnapshot } from '../observe/snapshot';
import type { Finding } from './types';

export interface FixPlan {
  steps: Step[];
  /** what each applied fix was for: finding id and how */
  covers: Array<{ id: string; subject?: string; how: string }>;
  /** fixable findings that could not be planned, with the reason */
  errors: string[];
}

function enablePlan(ctx: RunContext, snap: HostSnapshot): EnablePlan {
  return planEnable(snap, {
    prefix: snap.state?.prefix ?? 'auto', mode: snap.state?.mode ?? 'auto', sysctlConfPath: ctx.paths.sysctlConf,
    randomDraws: hostUlaDraws(ctx, snap),
  });
}

function restartSteps(ctx: RunContext, snap: HostSnapshot, set: Record<string, unknown>): Step[] {
  const networks = snap.networks.length;
  const running = snap.containers.filter((c) => c.state === 'running').map((c) => c.id);
  const steps: Step[] = [{
    id: 'arm-restart',
    describe: 'on rollback: restart dockerd once daemon.json is restored',
    async apply() {
      const r: RestartUndo = { kind: 'restart', command: [...ctx.globals.restartCommand], endpoint: { ...ctx.endpoint(), tls: undefined } as RestartUndo['endpoint'], networks };
      return JSON.parse(JSON.stringify(r));
    },
  }];
  if (Object.keys(set).length) {
    if (snap.daemonConfig.error) throw new ConfigError(`${snap.daemonConfig.path} does not parse, so doctor cannot set ${Object.keys(set).join(', ')}`, 'fix its syntax first');
    const path = snap.daemonConfig.path;
    const before = snap.daemonConfig.text ?? '';
    const after = setKeys(before, set, path).text;
    const store = ctx.host.daemonConfig(path);
    steps.push({
      id: 'write-daemon-json',
      describe: `write ${path}: ${Object.entries(set).map(([k, v]) => `"${k}": ${JSON.stringify(v)}`).join(', ')}`,
      prepare: () => captureFile(path, { backupTo: `${ctx.paths.stateDir}/daemon.json.before-doctor`, writes: after }),
      async apply() {
        const cur = await store.read();
        if (cur.text !== before) throw new ConfigError(`${path} changed while doctor was planning`, 'run docker ipv6 doctor --fix again');
        await store.write(after, cur.identity);
      },
    });
  }
  steps.push({
    id: 'restart-dockerd',
    describe: `restart dockerd (${ctx.globals.restartCommand.join(' ')}) and wait for it`,
    async apply(signal) { await ctx.host.dockerd.restart(ctx.globals.restartCommand, ctx.endpoint(), networks, (s) => ctx.note(s), signal); },
    // a fix must not leave the containers that ran before it stopped (those without a restart policy stay down otherwise)
    async verify() {
      if (running.length === 0) return;
      const docker = await ctx.host.docker.connect();
      const after = await docker.listContainers({ all: true });
      for (const id of running) {
        const c = after.find((x) => x.Id === id);
        if (c && c.State !== 'running') {
          ctx.note(`starting container ${c.Names?.[0]?.replace(/^\//, '') ?? id.slice(0, 12)} again (it has no restart policy)`);
          await docker.getContainer(id).start();
        }
      }
    },
  });
  return steps;
}

/** Builds one transaction from the fixable findings; what cannot be planned is reported, not thrown. */
export function planFixes(ctx: RunContext, snap: HostSnapshot, findings: readonly Finding[], registry?: UndoRegistry): FixPlan {
  const fixable = findings.filter((f) => f.auto);
  const covers: FixPlan['covers'] = [];
  const errors: string[] = [];
  const steps: Step[] = [];
  const kinds = (k: string) => fixable.filter((f) => f.auto!.kind === k);
  const note = (fs: Finding[], how: string) => fs.forEach((f) => covers.push({ id: f.id, subject: f.subject, how }));

  let plan: EnablePlan | undefined;
  const wantEnable = kinds('enable');
  const wantSteps = kinds('enable-steps');
  if ((wantEnable.length || wantSteps.length) && snap.daemon.reachable) {
    try { plan = enablePlan(ctx, snap); } catch (e) { errors.push(`docker ipv6 enable cannot plan: ${(e as Error).message}`); }
  }
  const sysctl = ctx.host.sysctl;
  const covered = new Set(plan && wantEnable.length ? plan.sysctls.map((s) => s.key) : []);
  const seen = new Set<string>();
  for (const f of kinds('sysctl')) {
    const a = f.auto as { key: string; value: string };
    if (covered.has(a.key) || seen.has(a.key)) { note([f], `sysctl ${a.key}=${a.value}`); continue; }
    seen.add(a.key);
    steps.push({ id: `sysctl:${a.key}`, describe: `sysctl ${a.key} = ${a.value}`, prepare: () => captureSysctl(sysctl, a.key, a.value), async apply() { await sysctl.write(a.key, a.value); } });
    note([f], `sysctl -w ${a.key}=${a.value}`);
  }
  if (plan && wantEnable.length) {
    const all = enableSteps(ctx, plan, snap, { registry }).filter((s) => !s.id.startsWith('sysctl:') || !seen.has(s.id.slice(7)));
    if (!plan.noop) steps.push(...all);
    else steps.push(...all.filter((s) => s.id.startsWith('firewall-') || s.id === 'ndp-proxies'));
    note([...wantEnable, ...wantSteps], `docker ipv6 enable (prefix ${plan.prefix}, mode ${plan.mode})`);
  } else if (plan && wantSteps.length) {
    const ids = new Set(wantSteps.flatMap((f) => (f.auto as { ids: string[] }).ids));
    steps.push(...enableSteps(ctx, plan, snap, { registry }).filter((s) => ids.has(s.id)));
    note(wantSteps, `enable's steps ${[...ids].join(', ')}`);
  } else if (wantEnable.length || wantSteps.length) {
    if (!snap.daemon.reachable) errors.push('docker ipv6 enable needs a running Docker; the daemon fixes come first');
  }
  const restart = kinds('restart');
  const enableRestarts = !!plan && wantEnable.length > 0 && plan.restart && !plan.noop;
  // keys the enable about to run writes itself, with the same values (its MTU), are fixed by it
  const byEnable = (f: Finding) => enableRestarts && Object.entries((f.auto as { set: Record<string, unknown> }).set).every(([k, v]) => JSON.stringify(plan!.daemonJson.set[k]) === JSON.stringify(v));
  note(kinds('daemon-keys').filter(byEnable), `docker ipv6 enable (prefix ${plan?.prefix}, mode ${plan?.mode}) sets the same keys`);
  const keys = kinds('daemon-keys').filter((f) => !byEnable(f));
  if (keys.length || (restart.length && !enableRestarts)) {
    const set = Object.assign({}, ...keys.map((f) => (f.auto as { set: Record<string, unknown> }).set));
    if (enableRestarts) {
      errors.push(`not setting ${Object.keys(set).join(', ')} together with enable; run doctor --fix again`);
    } else {
      try {
        steps.push(...restartSteps(ctx, snap, set));
        note(keys, `set ${Object.keys(set).map((k) => `"${k}"`).join(', ')} in daemon.json and restart dockerd`);
        note(restart, 'restart dockerd');
      } catch (e) { errors.push((e as Error).message); }
    }
  } else if (restart.length) note(restart, 'restart dockerd (as part of enable)');
  return { steps, covers, errors };
}

export async function applyFixPlan(ctx: RunContext, plan: FixPlan, registry: UndoRegistry): Promise<void> {
  if (plan.steps.length === 0) return;
  await runTransaction(plan.steps, {
    journalPath: ctx.paths.journalFile, registry, command: 'doctor --fix', log: (l) => ctx.note(l),
  });
}
