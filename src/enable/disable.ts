// disable: reverses exactly what enable changed (setup/disable-steps.ts), confirmed, as one transaction.
import { runTransaction } from '../transaction/index';
import type { RunContext } from '../cli/context';
import { dockerMasquerades, type ParsedRuleset } from '../model/ip6tables-save';
import { contains, parseCidr6 } from '../model/ip';
import { unifiedDiff } from '../util/diff';
import { observeHost } from '../observe/snapshot';
import { confirm } from '../cli/confirm';
import type { HostAdapters } from '../host/interfaces';
import { asHostChange } from '../setup/host-change';
import { disableSteps, planDisable } from '../setup/disable-steps';

export async function runDisable(ctx: RunContext, o: { restartTimeoutMs?: number } = {}): Promise<void> {
  const dry = ctx.globals.dryRun;
  await asHostChange(ctx, 'disable', async (registry) => {
    const snap = await observeHost(ctx);
    const plan = planDisable(snap, await ctx.host.files.exists(ctx.paths.sysctlConf));
    if (!plan) {
      if (ctx.globals.json) ctx.outJson({ changed: false });
      else ctx.out('docker-ipv6 is not enabled on this host: nothing to undo.');
      return;
    }
    const steps = disableSteps(ctx, plan, snap, registry, { restartTimeoutMs: o.restartTimeoutMs });
    const diff = plan.daemonJson.changed ? unifiedDiff(plan.daemonJson.before, plan.daemonJson.after, `${plan.daemonJson.path} (now)`, `${plan.daemonJson.path} (after disable)`) : '';
    const text = `${diff}Steps:\n${steps.map((s, i) => `  ${i + 1}. ${s.describe}`).join('\n')}\n`;
    if (dry) {
      if (ctx.globals.json) ctx.outJson({ plan, steps: steps.map((s) => ({ id: s.id, describe: s.describe })) });
      else ctx.out(`${text}dry run: nothing was changed`);
      return;
    }
    if (!ctx.globals.json && !ctx.globals.yes) ctx.note(text);
    await confirm(ctx, plan.restart ? 'Undo these changes and restart dockerd?' : 'Undo these changes?');
    await runTransaction(steps, { journalPath: ctx.paths.journalFile, registry, command: 'disable', log: (l) => ctx.note(l), onProgress: (_id, phase, d) => { if (phase === 'apply' && !ctx.globals.json) ctx.note(`- ${d}`); } });
    if (ctx.globals.json) ctx.outJson({ changed: true, plan });
    else {
      ctx.out('IPv6 setup by docker-ipv6 undone: the daemon.json keys, sysctls, our firewall chains, routes and proxy entries are back as they were.');
      const left = await dockerLeftovers(ctx.host, snap.state?.prefix);
      if (left.length) {
        ctx.out('Docker itself left IPv6 rules from when its ip6tables support was on (docker-ipv6 does not edit Docker\'s rules); to remove them:');
        for (const rule of left) ctx.out(`  ip6tables -t nat ${rule.replace(/^-A /, '-D ')}`);
      }
    }
  });
}

/** Docker's own IPv6 masquerade rules for subnets of our prefix, which it does not remove when ip6tables goes off. */
async function dockerLeftovers(host: HostAdapters, prefix: string | undefined): Promise<string[]> {
  const p = prefix ? parseCidr6(prefix) : undefined;
  if (!p) return [];
  // Docker's nftables backend rebuilds its own table at every start (and 29 has ip6tables on by default): only
  // ip6tables keeps rules of a daemon whose ip6tables support went off
  const nat = await host.firewall.read('nat').catch(() => ({} as ParsedRuleset));
  if (host.firewall.kind !== 'ip6tables') return [];
  return (nat.nat?.rules ?? []).filter((line) => {
    const m = dockerMasquerades({ nat: { chains: {}, rules: [line] } });
    return m.length === 1 && contains(p, parseCidr6(m[0].source) ?? p);
  });
}
