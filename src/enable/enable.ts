// enable: lock, finish an interrupted rollback, observe, plan, validate, confirm, apply as one transaction.
import { hostUlaDraws } from '../setup/identity';
import { runTransaction } from '../transaction/index';
import type { RunContext } from '../cli/context';
import { ConfigError, PreconditionError, UsageError } from '../errors';
import { observeHost } from '../observe/snapshot';
import type { Mode } from '../model/state';
import { enablePlanId, planEnable, type EnablePlan } from '../setup/plan';
import { checkPrefixSyntax } from '../setup/prefix';
import { legacyText, planJson, planText } from './plan-text';
import { enableSteps } from '../setup/steps';
import { confirm } from '../cli/confirm';
import { asHostChange } from '../setup/host-change';
import { diagnoseDown, dockerIsDown } from '../setup/down';
import { agentCommand, observeServices, servicesText } from '../setup/services';
import { agentRunning, readAgentStatus } from '../observe/agent-status';
import { downtimeText, type Downtime } from '../transaction/containers';

export interface EnableCliOptions { prefix?: string; mode?: string; restartTimeoutMs?: number; /** run only the plan --dry-run showed under this id */ plan?: string }

/**
 * Runs dockerd's own --validate (or our validator) on the new text in a private temp folder, so
 * --dry-run can do it too: nothing of the host changes. Returns who judged it.
 */
async function validate(ctx: RunContext, plan: EnablePlan, version: string): Promise<string> {
  const v = await ctx.host.dockerd.validateConfig(ctx.globals.dockerd, plan.daemonJson.after, version);
  if (!v.ok && plan.dockerDown) {
    // down, and our keys do not bring it up: the reason is in a key docker-ipv6 does not own
    throw new ConfigError(`Docker is down, and dockerd ${version} would not start with ${plan.daemonJson.path} after enable's changes either: ${v.message}; that is not a key docker-ipv6 writes`,
      `fix that in ${plan.daemonJson.path} by hand (nothing was changed), then run docker ipv6 enable again: it starts Docker`);
  }
  if (!v.ok) throw new ConfigError(`the new daemon.json would not start dockerd ${version}: ${v.message}`, 'nothing was changed; report this with --dry-run output');
  return v.by === 'dockerd' ? `validated by ${ctx.globals.dockerd} --validate and docker-ipv6's rules` : `validated by docker-ipv6's rules (this dockerd has no --validate)`;
}

export async function runEnable(ctx: RunContext, o: EnableCliOptions): Promise<void> {
  const mode = (o.mode ?? 'auto') as 'auto' | Mode;
  if (!['auto', 'nat', 'routed', 'ndp'].includes(mode)) throw new UsageError(`--mode ${o.mode}: choose auto, nat, routed or ndp`);
  // input errors first: they are the user's to fix whatever state the host is in
  if (o.prefix && o.prefix !== 'auto') checkPrefixSyntax(o.prefix);
  const dry = ctx.globals.dryRun;
  await asHostChange(ctx, 'enable', async (registry) => {
    const [snap, services, agent] = await Promise.all([observeHost(ctx), observeServices(ctx), readAgentStatus(ctx.paths.stateDir)]);
    // a local Docker that is down (often because of daemon.json itself): plan for its binary's version, start it
    const dockerDown = dockerIsDown(snap) ? await diagnoseDown(ctx, snap) : undefined;
    const plan = planEnable(snap, {
      prefix: o.prefix, mode, sysctlConfPath: `${ctx.paths.sysctlConf}`,
      randomDraws: hostUlaDraws(ctx, snap), dockerDown, services,
    });
    let downtime: Downtime[] = [];
    const steps = enableSteps(ctx, plan, snap, { restartTimeoutMs: o.restartTimeoutMs, registry, onDowntime: (d) => { downtime = d; } });
    const agentLines = servicesText(plan.services, { needed: plan.agentNeeded, mode: plan.mode, agentRunning: agentRunning(agent), agentCommand: agentCommand(ctx.paths.stateDir) });
    if (plan.noop) {
      if (ctx.globals.json) ctx.outJson({ changed: false, plan: planJson(plan, []), agent: agentLines });
      else ctx.out([`IPv6 is already enabled (prefix ${plan.prefix}, mode ${plan.mode}): nothing to change, Docker was not restarted.`, ...agentLines].join('\n'));
      return;
    }
    const id = enablePlanId(plan);
    if (o.plan !== undefined && o.plan !== id) {
      throw new PreconditionError(`the host changed since plan ${o.plan} was shown: enable would now run plan ${id}; nothing was changed`, 'look at the new plan with docker ipv6 enable --dry-run (same options), then run it with --plan ID');
    }
    const validation = plan.daemonJson.changed || dockerDown ? await validate(ctx, plan, dockerDown?.version ?? snap.daemon.version!) : 'daemon.json unchanged';
    if (dry) {
      if (ctx.globals.json) ctx.outJson({ ...(planJson(plan, steps) as object), validation, planId: id });
      else ctx.out(`${planText(plan, steps, ctx.globals.verbose, ctx.globals.restartCommand, agentLines)}${legacyText(plan)}daemon.json: ${validation}\nplan ${id}: run exactly this with docker ipv6 enable --plan ${id} (same options; refused if the host changes first)\ndry run: nothing was changed`);
      return;
    }
    // the whole plan before the question; with --yes the progress lines say what happens
    if (!ctx.globals.json && !ctx.globals.yes) ctx.note(planText(plan, steps, ctx.globals.verbose, ctx.globals.restartCommand, agentLines));
    else if (dockerDown && !ctx.globals.json) ctx.note(`Docker is down (dockerd ${dockerDown.version}): ${dockerDown.reason ?? 'no reason found in daemon.json'}; enable rewrites its keys, starts Docker and checks it (a failed start is rolled back, Docker left down as it is)`);
    await confirm(ctx, dockerDown ? 'Apply these changes and start dockerd?' : plan.restart ? 'Apply these changes and restart dockerd?' : 'Apply these changes?');
    await runTransaction(steps, {
      journalPath: ctx.paths.journalFile, registry, command: 'enable', log: (l) => ctx.note(l),
      onProgress: (_id, phase, describe) => { if (phase === 'apply' && !ctx.globals.json) ctx.note(`- ${describe}`); },
    });
    // after the run: the agent started by systemd counts as running (the lines then say what systemd did)
    const after = servicesText(plan.services, { needed: plan.agentNeeded, mode: plan.mode, agentRunning: agentRunning(agent), agentCommand: agentCommand(ctx.paths.stateDir), done: true });
    const down = downtimeText(downtime);
    if (ctx.globals.json) ctx.outJson({ changed: true, plan: planJson(plan, steps), downtime, agent: after });
    else {
      ctx.out(`IPv6 enabled: prefix ${plan.prefix}, mode ${plan.mode}, default bridge ${plan.bridgeSubnet}.`);
      if (plan.prefixNote) ctx.out(`${plan.prefixNote[0].toUpperCase()}${plan.prefixNote.slice(1)}.`);
      if (dockerDown) ctx.out(`Docker was down before enable${dockerDown.reason ? ` (${dockerDown.reason.split('\n')[0]})` : ''}; it runs again with the new daemon.json.`);
      if (down) ctx.out(`${down[0].toUpperCase()}${down.slice(1)}.`);
      if (plan.upstreamRoute) ctx.out(`The upstream router needs this route: ${plan.upstreamRoute}`);
      for (const l of after) ctx.out(l);
      const legacy = legacyText(plan);
      if (legacy) ctx.out(legacy);
    }
  });
}
