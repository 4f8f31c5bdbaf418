// doctor --fix: turns the fixable findings into transaction steps (sysctls, daemon.json keys + restart, enable's own steps) and applies them as one transaction.
// When enable is among the fixes it carries the daemon.json keys too (also with Docker down, as enable itself does), so the
// one transaction's undo point, and what disable later restores, is the operator's own file, never a file doctor wrote.
import { joinCommand } from '../util/command';
import { captureFile, captureSysctl, runTransaction, type Step, type UndoRegistry } from '../transaction/index';
import { hostUlaDraws } from '../setup/identity';
import type { RunContext } from '../cli/context';
import { setKeys } from '../daemon/edit';
import { planEnable, type EnablePlan } from '../setup/plan';
import { enableSteps } from '../setup/steps';
import type { RestartUndo } from '../transaction/tool-undo';
import { ConfigError } from '../errors';
import type { HostSnapshot } from '../observe/snapshot';
import type { Finding } from './types';
import { parseDaemonJson } from '../daemon/parse';
import { prefixFacts } from '../observe/prefix-facts';
import type { DockerDown } from '../setup/down';
import { bridgeHazard } from '../setup/prefix';
import type { ServiceFacts } from '../setup/services';
import { runningIds } from '../setup/steps';
import { downtimeText, startAgain } from '../transaction/containers';

export interface FixPlan {
  steps: Step[];
  /** enable's plan when enable is among the fixes (its new daemon.json is validated before the run) */
  enable?: EnablePlan;
  /** what each applied fix was for: finding id and how */
  covers: Array<{ id: string; subject?: string; how: string }>;
  /** fixable findings that could not be planned, with the reason */
  errors: string[];
}

export interface FixOptions {
  /** Docker is down locally: enable plans for its binary's version and starts it (setup/down.ts) */
  dockerDown?: DockerDown;
  /** systemd and our units, for enable's agent steps */
  services?: ServiceFacts;
}

function enablePlan(ctx: RunContext, snap: HostSnapshot, o: FixOptions): EnablePlan {
  // no --prefix, as a bare `docker ipv6 enable`: the saved prefix, else a hand-set ULA kept (or replaced, saying why)
  return planEnable(snap, {
    prefix: snap.state?.prefix, mode: snap.state?.mode ?? 'auto', sysctlConfPath: ctx.paths.sysctlConf,
    randomDraws: hostUlaDraws(ctx, snap), dockerDown: o.dockerDown, services: o.services,
  });
}

/** A restart with these keys would give the default bridge an address of the host or its router: refused. */
function hazardOf(snap: HostSnapshot, after: Record<string, unknown>): string | undefined {
  const fc = after['fixed-cidr-v6'];
  return after.ipv6 === true && typeof fc === 'string' ? bridgeHazard(fc, prefixFacts(snap)) : undefined;
}

function restartSteps(ctx: RunContext, snap: HostSnapshot, set: Record<string, unknown>): Step[] {
  const networks = snap.networks.length;
  const running = runningIds(snap);
  let began: number | undefined;
  const steps: Step[] = [{
    id: 'arm-restart',
    describe: 'on rollback: restart dockerd once daemon.json is restored',
    async apply() {
      const r: RestartUndo = { kind: 'restart', command: [...ctx.globals.restartCommand], endpoint: { ...ctx.endpoint(), tls: undefined } as RestartUndo['endpoint'], networks, ...(running.length ? { startAgain: running } : {}) };
      return JSON.parse(JSON.stringify(r));
    },
  }];
  const hazard = hazardOf(snap, { ...(snap.daemonConfig.value ?? {}), ...set });
  if (hazard) {
    throw new ConfigError(`not restarting dockerd: ${hazard} (see daemon.fixed-cidr-v6)`, `fix "fixed-cidr-v6" first: ${snap.state?.prefix ? 'docker ipv6 enable' : 'docker ipv6 enable --prefix auto (a generated ULA with NAT), or --prefix P with the prefix routed to this host'}`);
  }
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
    describe: `restart dockerd (${joinCommand(ctx.globals.restartCommand)}) and wait for it`,
    async apply(signal) { began = Date.now(); await ctx.host.dockerd.restart(ctx.globals.restartCommand, ctx.endpoint(), networks, (s) => ctx.note(s), signal); },
    // a fix must not leave the containers that ran before it stopped (those without a restart policy stay down otherwise)
    async verify() {
      const d = downtimeText(await startAgain(ctx.host, running, (s) => ctx.note(s), began));
      if (d) ctx.note(d);
    },
  });
  return steps;
}

/** Builds one transaction from the fixable findings; what cannot be planned is reported, not thrown. */
export function planFixes(ctx: RunContext, snap: HostSnapshot, findings: readonly Finding[], registry?: UndoRegistry, o: FixOptions = {}): FixPlan {
  const fixable = findings.filter((f) => f.auto);
  const covers: FixPlan['covers'] = [];
  const errors: string[] = [];
  const steps: Step[] = [];
  const kinds = (k: string) => fixable.filter((f) => f.auto!.kind === k);
  const note = (fs: Finding[], how: string) => fs.forEach((f) => covers.push({ id: f.id, subject: f.subject, how }));

  let plan: EnablePlan | undefined;
  const wantEnable = kinds('enable');
  const wantSteps = kinds('enable-steps');
  // with Docker down only the whole enable can run (it starts Docker); its single steps need Docker's networks
  if ((wantEnable.length && (snap.daemon.reachable || o.dockerDown)) || (wantSteps.length && snap.daemon.reachable)) {
    try { plan = enablePlan(ctx, snap, o); } catch (e) { errors.push(`docker ipv6 enable cannot plan: ${(e as Error).message}`); }
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
    const all = enableSteps(ctx, plan, snap, { registry, onDowntime: (d) => { const t = downtimeText(d); if (t) ctx.note(t); } }).filter((s) => !s.id.startsWith('sysctl:') || !seen.has(s.id.slice(7)));
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
  const enableRestarts = !!plan && wantEnable.length > 0 && plan.restart && !plan.noop;
  // keys enable's own new daemon.json already holds are fixed by it (the one write, from the operator's file)
  const enableAfter = enableRestarts ? (parseDaemonJson(plan!.daemonJson.after, plan!.daemonJson.path).value as Record<string, unknown>) : undefined;
  const byEnable = (f: Finding) => !!enableAfter && Object.entries((f.auto as { set: Record<string, unknown> }).set).every(([k, v]) => JSON.stringify(enableAfter[k]) === JSON.stringify(v));
  const keys = kinds('daemon-keys').filter((f) => !byEnable(f));
  note(kinds('daemon-keys').filter(byEnable), `set by docker ipv6 enable (prefix ${plan?.prefix}, mode ${plan?.mode}) in the same write`);
  const restart = kinds('restart');
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
  const apply = kinds('apply');
  if (apply.length) {
    // last: after a restart or enable's steps the pass sees Docker's networks and ports as they are then
    steps.push({
      id: 'reconcile', describe: 'one reconcile pass (as docker ipv6 apply): our chains, routes and sysctls for Docker\'s networks and published ports',
      async apply() {
        const { hostDeps, reconcileOnce, describeChange } = await import('../reconcile/index');
        const r = await reconcileOnce(hostDeps(ctx));
        for (const c of r.changes) ctx.note(`  ${describeChange(c)}`);
      },
    });
    note(apply, 'docker ipv6 apply (one reconcile pass)');
  }
  return { steps, covers, errors, ...(plan && wantEnable.length && !plan.noop ? { enable: plan } : {}) };
}

export async function applyFixPlan(ctx: RunContext, plan: FixPlan, registry: UndoRegistry): Promise<void> {
  if (plan.steps.length === 0) return;
  await runTransaction(plan.steps, {
    journalPath: ctx.paths.journalFile, registry, command: 'doctor --fix', log: (l) => ctx.note(l),
  });
}
