// doctor: one snapshot (plus extra facts, probes, Compose files) -> the table of checks -> report; --fix applies the safe fixes and checks again.
import { joinCommand } from '../util/command';
import { withLock } from '../transaction/index';
import { readJournal } from '../transaction/journal';
import type { RunContext } from '../cli/context';
import { isToolError } from '../errors';
import { observeHost, type HostSnapshot } from '../observe/snapshot';
import { runChecks, UNKNOWN_HOST_CHECKS } from './checks';
import { composeFindings, lintCompose } from './compose';
import { completeExtraFacts, gatherExtraFacts } from './extra-facts';
import { applyFixPlan, planFixes, type FixOptions, type FixPlan } from './fix';
import type { EnablePlan } from '../setup/plan';
import { renderText, report, useColor, type DoctorReport } from './report';
import type { ExtraFacts, Finding } from './types';

export interface DoctorOptions {
  fix?: boolean;
  probe?: boolean;
  probeTarget?: string;
  compose?: string[];
}

/** Exit codes: 0 nothing failed, 1 something failed, 2 doctor itself could not run. */
export const DOCTOR_EXIT = { ok: 0, failed: 1, broken: 2 } as const;

export async function collect(ctx: RunContext, o: DoctorOptions): Promise<{ snap: HostSnapshot; findings: Finding[] }> {
  // another host's facts beside the snapshot come from its probe container with the snapshot, never from here
  const here = await ctx.daemonIsHere();
  const [snap, extra0] = await Promise.all([observeHost(ctx, { keepStateError: true, doctorFacts: true }), here ? gatherExtraFacts(ctx) : undefined]);
  const source = snap.hostSource?.kind ?? 'local';
  const extra: ExtraFacts = source === 'local' ? await completeExtraFacts(ctx, snap, extra0!) : { ...(snap.remote?.extra as ExtraFacts | undefined) };
  if (source === 'unknown') return { snap, findings: runChecks({ snap, extra, restartCommand: ctx.globals.restartCommand.join(' ') }, UNKNOWN_HOST_CHECKS) };
  let probes;
  if (o.probe) {
    const { runProbes } = await import('./probe');
    probes = await runProbes(ctx, snap, { target: o.probeTarget });
  }
  const findings = runChecks({ snap, extra, probes, restartCommand: joinCommand(ctx.globals.restartCommand) });
  if (o.compose?.length) {
    try { findings.push(...(await lintCompose(o.compose, snap))); } catch (e) {
      findings.push(...composeFindings([], []).map((f) => ({ ...f, status: 'fail' as const, detail: `cannot lint ${o.compose!.join(', ')}: ${(e as Error).message}`, fix: 'pass readable Compose files to --compose' })));
    }
  }
  return { snap, findings };
}

const key = (f: Finding) => `${f.id}|${f.subject ?? ''}`;

/** Docker down locally (enable starts it, as enable itself does) and systemd's units, for the fixes that run enable. */
async function fixOptions(ctx: RunContext, snap: HostSnapshot, todo: readonly Finding[]): Promise<FixOptions> {
  if (!todo.some((f) => f.auto?.kind === 'enable')) return {};
  const { diagnoseDown, dockerIsDown } = await import('../setup/down');
  const { observeServices } = await import('../setup/services');
  const [dockerDown, services] = await Promise.all([
    dockerIsDown(snap) ? diagnoseDown(ctx, snap).catch(() => undefined) : undefined,
    observeServices(ctx).catch(() => undefined),
  ]);
  return { dockerDown, services };
}

/** Why enable's new daemon.json would not start dockerd, or undefined when it would. */
async function invalidEnableFile(ctx: RunContext, plan: EnablePlan, snap: HostSnapshot): Promise<string | undefined> {
  const version = plan.dockerDown?.version ?? snap.daemon.version;
  if (!version || !plan.daemonJson.changed) return undefined;
  const v = await ctx.host.dockerd.validateConfig(ctx.globals.dockerd, plan.daemonJson.after, version).catch((e: Error) => ({ ok: false, message: e.message }));
  return v.ok ? undefined : `docker ipv6 enable's new daemon.json would not start dockerd ${version}: ${v.message}; fix that in ${plan.daemonJson.path} by hand (nothing was changed)`;
}

/** Up to three rounds: a fix can uncover the next finding (a daemon that starts again shows its networks). */
async function fixRounds(ctx: RunContext, o: DoctorOptions, first: { snap: HostSnapshot; findings: Finding[] }): Promise<{ findings: Finding[]; fixed: FixPlan['covers']; errors: string[] }> {
  const { finishInterruptedRun, toolUndoRegistry } = await import('../transaction/tool-undo');
  const registry = toolUndoRegistry(ctx, (s) => ctx.note(s));
  let cur = first;
  if (ctx.globals.dryRun) {
    // no lock is held and nothing may change: only say what the real run would do first
    const j = await readJournal(ctx.paths.journalFile);
    if (j && j.status !== 'done') ctx.note(`an interrupted docker ipv6 ${j.command} (pid ${j.pid}) would be rolled back first (journal ${ctx.paths.journalFile}); the fixes here are planned on the host as it is now`);
  } else {
    if (await finishInterruptedRun(ctx.paths.journalFile, registry, (l) => ctx.note(l))) cur = await collect(ctx, o);
  }
  const tried = new Set<string>();
  const fixed: FixPlan['covers'] = [];
  const errors: string[] = [];
  for (let round = 0; round < 3; round++) {
    const todo = cur.findings.filter((f) => f.auto && !tried.has(key(f)));
    if (todo.length === 0) break;
    const plan = planFixes(ctx, cur.snap, todo, registry, await fixOptions(ctx, cur.snap, todo));
    // what could not be planned this round (enable while Docker is down) may be planned after the next
    plan.covers.forEach((c) => tried.add(key({ id: c.id, subject: c.subject } as Finding)));
    if (plan.steps.length === 0) { errors.push(...plan.errors); break; }
    if (round === 2) errors.push(...plan.errors);
    // enable's new daemon.json is checked as enable checks it (dockerd --validate where it has it), before anything changes
    const bad = plan.enable ? await invalidEnableFile(ctx, plan.enable, cur.snap) : undefined;
    if (bad) { errors.push(bad); break; }
    const left = todo.filter((f) => !plan.covers.some((c) => c.id === f.id && c.subject === f.subject));
    if (ctx.globals.dryRun) {
      ctx.note(`doctor --fix would run, as one transaction (pass 1 of at most 3; each pass checks the host again and fixes what the last one uncovered):\n${plan.steps.map((st) => `  - ${st.describe}`).join('\n')}`
        + `${left.length ? `\nnot in this pass (planned again once it has run): ${left.map((f) => `${f.id}${f.subject ? ` (${f.subject})` : ''}`).join(', ')}` : '\nthe findings this pass does not fix are not fixable by doctor --fix'}`
        + `${plan.enable ? `\nits undo point is ${plan.enable.daemonJson.path} as it is now: docker ipv6 disable later restores that` : ''}`);
      break;
    }
    if (!ctx.globals.json) ctx.note(`applying ${plan.covers.length} fix(es):\n${plan.steps.map((st) => `  - ${st.describe}`).join('\n')}`);
    const { confirm } = await import('../cli/confirm');
    await confirm(ctx, 'Apply these fixes?');
    try {
      await applyFixPlan(ctx, plan, registry);
      fixed.push(...plan.covers);
    } catch (e) {
      errors.push(isToolError(e) ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : (e as Error).message);
      cur = await collect(ctx, o);
      break;
    }
    cur = await collect(ctx, o);
  }
  return { findings: cur.findings, fixed, errors };
}

export async function runDoctor(ctx: RunContext, o: DoctorOptions): Promise<number> {
  const first = await collect(ctx, o);
  let out: DoctorReport;
  if (o.fix && first.findings.some((f) => f.auto)) {
    ctx.requireLocalDaemon('fix the host');
    if (!(await ctx.daemonIsHere())) {
      const { PreconditionError } = await import('../errors');
      throw new PreconditionError(`refusing to fix the host: the Docker endpoint ${ctx.endpoint().host} (from ${ctx.endpoint().source}) is served by a dockerd in another network namespace, not this host's`, 'run docker ipv6 doctor --fix inside that host (for a lab: docker ipv6 lab exec NAME -- docker ipv6 doctor --fix)');
    }
    if (!ctx.globals.dryRun) ctx.requireRoot('docker ipv6 doctor --fix');
    // probes run after the lock is released: verify takes the lock itself for its test network
    const body = () => fixRounds(ctx, { ...o, probe: false }, first);
    const r = ctx.globals.dryRun ? await body() : await withLock(ctx.paths.lockFile, { command: 'doctor --fix', log: (l) => ctx.note(l) }, body);
    const findings = o.probe && !ctx.globals.dryRun ? (await collect(ctx, o)).findings : r.findings;
    out = report(findings, { fixed: r.fixed, fixErrors: r.errors, before: first.findings });
  } else {
    out = report(first.findings);
  }
  if (ctx.globals.json) {
    const { before, ...rest } = out;
    ctx.outJson(o.fix ? { ...rest, before: before?.filter((f) => f.status === 'fail' || f.status === 'warn') ?? [] } : rest);
  } else {
    if (o.fix) {
      for (const f of out.fixed ?? []) ctx.out(`fixed: ${f.id}${f.subject ? ` (${f.subject})` : ''}: ${f.how}`);
      for (const e of out.fixErrors ?? []) ctx.out(`not fixed: ${e}`);
      if (out.fixed?.length || out.fixErrors?.length) ctx.out('');
    }
    ctx.stdout.write(renderText(out.findings, { color: useColor(ctx.env, ctx.stdout) }));
  }
  return out.ok ? DOCTOR_EXIT.ok : DOCTOR_EXIT.failed;
}
