// Renders an enable plan for people (--dry-run and before applying) and as data (--json).
import { describePlan, type Step } from '../apply';
import { unifiedDiff } from '../lint/diff';
import type { EnablePlan } from './plan';

export function planJson(plan: EnablePlan, steps: Step[]): unknown {
  const { daemonJson, ...rest } = plan;
  return {
    ...rest,
    daemonJson: { path: daemonJson.path, set: daemonJson.set, changed: daemonJson.changed, diff: unifiedDiff(daemonJson.before, daemonJson.after, `${daemonJson.path} (now)`, `${daemonJson.path} (after enable)`) },
    steps: describePlan(steps),
  };
}

export function planText(plan: EnablePlan, steps: Step[]): string {
  const out: string[] = [];
  const src = { generated: 'generated ULA, RFC 4193', saved: 'saved by an earlier enable', given: 'given' }[plan.prefixSource];
  out.push(`Prefix   ${plan.prefix} (${src}); default bridge ${plan.bridgeSubnet}`);
  out.push(`Mode     ${plan.mode}${plan.mode === 'nat' ? (plan.natByUs ? ' (NAT66 by docker-ipv6)' : ' (NAT66 by Docker itself)') : ''}`);
  out.push(`Uplink   ${plan.uplink}`);
  if (plan.daemonJson.changed) {
    out.push('', 'daemon.json:', unifiedDiff(plan.daemonJson.before, plan.daemonJson.after, `${plan.daemonJson.path} (now)`, `${plan.daemonJson.path} (after enable)`).trimEnd());
  }
  out.push('', 'Steps:');
  steps.forEach((s, i) => out.push(`  ${i + 1}. ${s.describe}`));
  for (const n of plan.notes) out.push(`note: ${n}`);
  return `${out.join('\n')}\n`;
}

export function legacyText(plan: EnablePlan): string {
  if (!plan.legacyNetworks.length) return '';
  const lines = ['These networks were created without IPv6; recreate them to give their containers IPv6 (nothing was changed on them):'];
  for (const n of plan.legacyNetworks) lines.push(`  ${n.name} (${n.containers} container${n.containers === 1 ? '' : 's'}): ${n.command}`);
  return `${lines.join('\n')}\n`;
}
