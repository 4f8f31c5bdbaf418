// disable: reverses exactly what enable changed (setup/disable-steps.ts), confirmed, as one transaction.
import { runTransaction } from '../transaction/index';
import type { RunContext } from '../cli/context';
import { ConfigError, UsageError } from '../errors';
import { unifiedDiff } from '../util/diff';
import { observeHost } from '../observe/snapshot';
import { confirm } from '../cli/confirm';
import { asHostChange } from '../setup/host-change';
import { disableSteps, planDisable, type DisablePlan } from '../setup/disable-steps';
import { downtimeText, type Downtime } from '../transaction/containers';

export interface DisableOptions { restartTimeoutMs?: number; dropBadKeys?: boolean; exact?: boolean }

/** What would go wrong with the file disable restores: it stops this dockerd, or its bridge cuts the host off. */
interface RestoreProblems { cannotStart?: string; hazard?: string; keys: string[] }

async function restoreProblems(ctx: RunContext, plan: DisablePlan, version: string | undefined): Promise<RestoreProblems> {
  const keys: string[] = [];
  let cannotStart: string | undefined;
  if (plan.daemonJson.changed && version && !plan.daemonJson.remove) {
    const v = await ctx.host.dockerd.validateConfig(ctx.globals.dockerd, plan.daemonJson.after || '{}', version);
    if (!v.ok) {
      cannotStart = v.message;
      keys.push(...v.findings.filter((f) => f.severity === 'error').map((f) => f.key));
    }
  }
  if (plan.hazard) keys.push('fixed-cidr-v6');
  return { cannotStart, hazard: plan.hazard, keys: [...new Set(keys)] };
}

function problemsText(p: RestoreProblems, path: string, version: string | undefined): string {
  return [
    p.cannotStart ? `dockerd ${version ?? ''} would not start with it: ${p.cannotStart}`.replace('  ', ' ') : '',
    p.hazard ? `Docker would start with ${p.hazard}` : '',
  ].filter(Boolean).join('; ') + ` (the ${path} from before enable)`;
}

export async function runDisable(ctx: RunContext, o: DisableOptions = {}): Promise<void> {
  const dry = ctx.globals.dryRun;
  if (o.dropBadKeys && o.exact) throw new UsageError('--drop-bad-keys and --exact ask for opposite things', 'choose one');
  await asHostChange(ctx, 'disable', async (registry) => {
    const snap = await observeHost(ctx);
    const exists = await ctx.host.files.exists(ctx.paths.sysctlConf);
    const version = snap.daemon.version ?? await ctx.host.dockerd.binaryVersion(ctx.globals.dockerd).catch(() => undefined);
    let plan = planDisable(snap, exists, { version });
    if (!plan) {
      if (ctx.globals.json) ctx.outJson({ changed: false });
      else ctx.out('docker-ipv6 is not enabled on this host: nothing to undo.');
      return;
    }
    // before anything changes: the file from before enable must start this dockerd and leave the host its router
    let problems = await restoreProblems(ctx, plan, version);
    const found = problems.cannotStart || problems.hazard;
    const warnings: string[] = [];
    if (found && o.exact) {
      warnings.push(`--exact: restoring it byte for byte although ${problemsText(problems, plan.daemonJson.path, version)}; if dockerd does not come back, or the host loses its router, the restart is rolled back`);
    } else if (found && o.dropBadKeys && problems.keys.length) {
      const first = problems;
      // leaving one key out can uncover the next (20.10: "ipv6": true without its "fixed-cidr-v6" stops dockerd too)
      const drop = [...problems.keys];
      for (let round = 0; round < 3; round++) {
        plan = planDisable(snap, exists, { version, drop })!;
        problems = await restoreProblems(ctx, plan, version);
        const more = problems.keys.filter((k) => !drop.includes(k));
        if (!(problems.cannotStart || problems.hazard) || !more.length) break;
        drop.push(...more);
      }
      if (problems.cannotStart || problems.hazard) {
        throw new ConfigError(`without ${drop.map((k) => `"${k}"`).join(', ')} the restored file still fails: ${problemsText(problems, plan.daemonJson.path, version)}; nothing was changed`, `keep IPv6 on (nothing to do), or fix ${plan.daemonJson.path} by hand after disable --exact`);
      }
      warnings.push(`--drop-bad-keys: ${drop.map((k) => `"${k}"`).join(', ')} left out of the restored file: ${problemsText(first, plan.daemonJson.path, version)}`);
    } else if (found) {
      const keys = problems.keys.map((k) => `"${k}"`).join(', ');
      throw new ConfigError(
        `disable would put back a daemon.json that breaks the host: ${problemsText(problems, plan.daemonJson.path, version)}; nothing was changed`,
        ['ways out:', '  keep IPv6 on: docker ipv6 stays enabled, nothing to run',
          ...(problems.keys.length ? [`  docker ipv6 disable --drop-bad-keys   restore it without ${keys}`] : []),
          '  docker ipv6 disable --exact           restore it byte for byte anyway (a restart that fails is still rolled back)'].join('\n'),
      );
    }
    let downtime: Downtime[] = [];
    const steps = disableSteps(ctx, plan, snap, registry, { restartTimeoutMs: o.restartTimeoutMs, onDowntime: (d) => { downtime = d; } });
    const diff = plan.daemonJson.changed ? unifiedDiff(plan.daemonJson.before, plan.daemonJson.after, `${plan.daemonJson.path} (now)`, `${plan.daemonJson.path} (after disable)`) : '';
    const running = plan.restart ? snap.containers.filter((c) => c.state === 'running').map((c) => c.name) : [];
    const stops = running.length ? `The restart stops the ${running.length} running container(s) without a restart policy: ${running.slice(0, 8).join(', ')}${running.length > 8 ? ', ...' : ''}; disable starts again those Docker does not, and says how long they were down.\n` : '';
    const text = `${warnings.map((w) => `warning: ${w}\n`).join('')}${diff}${stops}Steps:\n${steps.map((s, i) => `  ${i + 1}. ${s.describe}`).join('\n')}\n`;
    if (dry) {
      if (ctx.globals.json) ctx.outJson({ plan, warnings, steps: steps.map((s) => ({ id: s.id, describe: s.describe })) });
      else ctx.out(`${text}dry run: nothing was changed`);
      return;
    }
    if (!ctx.globals.json && !ctx.globals.yes) ctx.note(text);
    else if (!ctx.globals.json) for (const w of warnings) ctx.note(`warning: ${w}`);
    await confirm(ctx, plan.restart ? 'Undo these changes and restart dockerd?' : 'Undo these changes?');
    await runTransaction(steps, { journalPath: ctx.paths.journalFile, registry, command: 'disable', log: (l) => ctx.note(l), onProgress: (_id, phase, d) => { if (phase === 'apply' && !ctx.globals.json) ctx.note(`- ${d}`); } });
    if (ctx.globals.json) ctx.outJson({ changed: true, plan, warnings, downtime });
    else {
      const exact = !plan.daemonJson.dropped.length;
      ctx.out(exact
        ? 'IPv6 setup by docker-ipv6 undone: the daemon.json keys, sysctls, our firewall chains, routes and proxy entries are back as they were.'
        : `IPv6 setup by docker-ipv6 undone, except ${plan.daemonJson.dropped.map((k) => `"${k}"`).join(', ')}, left out of ${plan.daemonJson.path} (--drop-bad-keys); the sysctls, our firewall chains, routes and proxy entries are back as they were.`);
      const down = downtimeText(downtime);
      if (down) ctx.out(`${down[0].toUpperCase()}${down.slice(1)}.`);
      const units = snap.state?.enabled?.services;
      if (units && (units.started?.length || units.enabled?.length || units.wrote?.length)) ctx.out(`systemd: stopped ${units.started?.join(', ') || 'nothing'}, disabled ${units.enabled?.join(', ') || 'nothing'}, removed ${units.wrote?.join(', ') || 'no unit file'} (what enable had done).`);
      // nftables: our table stays while the admin keeps sets or maps in it
      const kept = ctx.host.firewall.kind === 'nftables' ? (await ctx.host.firewall.facts()).kept : undefined;
      if (kept) ctx.out(kept);
    }
  });
}
