// Renders an enable plan for people (--dry-run and before applying) and as data (--json).
import { describePlan, type Step } from '../transaction/index';
import { unifiedDiff } from '../util/diff';
import { firewallWhere, type EnablePlan } from '../setup/plan';
import { downText } from '../setup/down';
import { parseDaemonJson } from '../daemon/parse';
import { escapeControls } from '../util/terminal';

export function planJson(plan: EnablePlan, steps: Step[]): unknown {
  const { daemonJson, ...rest } = plan;
  return {
    ...rest,
    daemonJson: { path: daemonJson.path, set: daemonJson.set, changed: daemonJson.changed, diff: unifiedDiff(daemonJson.before, daemonJson.after, `${daemonJson.path} (now)`, `${daemonJson.path} (after enable)`) },
    steps: describePlan(steps),
  };
}

/** The keys enable sets, one line each; the address pools summarised (the full diff is in --json and -v). */
function keysText(set: Record<string, unknown>, before: Record<string, unknown>): string[] {
  return Object.entries(set).map(([k, v]) => {
    if (k === 'default-address-pools' && Array.isArray(v)) {
      const v6 = v.filter((p) => String((p as { base?: unknown }).base ?? '').includes(':')) as Array<{ base: string }>;
      const span = v6.length ? `: ${v6[0].base}${v6.length > 1 ? ` ... ${v6[v6.length - 1].base}` : ''}` : '';
      // pools in the file are kept; without any, Docker's built-in IPv4 pools are written out (a pool list replaces them)
      const v4 = `${v.length - v6.length} IPv4 ${Array.isArray(before[k]) ? 'kept' : 'written out (Docker\'s built-in pools, which any pool list replaces)'}`;
      return `  "${k}": ${v.length} entries (${v4}, ${v6.length} IPv6${span})`;
    }
    return `  "${k}": ${JSON.stringify(v)}`;
  });
}

function beforeKeys(plan: EnablePlan): Record<string, unknown> {
  try { return (parseDaemonJson(plan.daemonJson.before || '{}', plan.daemonJson.path).value ?? {}) as Record<string, unknown>; } catch { return {}; }
}

export function planText(plan: EnablePlan, steps: Step[], verbose = false, restartCommand: readonly string[] = [], agentLines: string[] = []): string {
  const out: string[] = [];
  if (plan.dockerDown) out.push(...downText(plan.dockerDown, plan.daemonJson.path, Object.keys(plan.daemonJson.set), restartCommand), '');
  const src = { generated: 'generated ULA, RFC 4193', saved: 'saved by an earlier enable', given: 'given', kept: 'holds your fixed-cidr-v6', replaced: 'generated ULA, RFC 4193, in place of your fixed-cidr-v6' }[plan.prefixSource];
  out.push(`Prefix   ${plan.prefix} (${src}); default bridge ${plan.bridgeSubnet}`);
  if (plan.prefixNote) out.push(`         ${plan.prefixNote}`);
  out.push(`Mode     ${plan.mode}${plan.mode === 'nat' ? (plan.natByUs ? ' (NAT66 by docker-ipv6)' : ' (NAT66 by Docker itself)') : ''}`);
  out.push(`Uplink   ${plan.uplink}`);
  if (plan.restart && plan.runningContainers.length) {
    const names = plan.runningContainers;
    out.push(`Restart  stops the ${names.length} running container(s) without a restart policy: ${names.slice(0, 8).join(', ')}${names.length > 8 ? `, ... (${names.length - 8} more)` : ''}; enable starts again those Docker does not, and says how long they were down`);
  }
  out.push(...agentLines);
  if (plan.daemonJson.changed) {
    out.push('', `${plan.daemonJson.path}: set (every other key and byte kept)`, ...keysText(plan.daemonJson.set, beforeKeys(plan)));
    if (verbose) out.push(unifiedDiff(plan.daemonJson.before, plan.daemonJson.after, `${plan.daemonJson.path} (now)`, `${plan.daemonJson.path} (after enable)`).trimEnd());
  }
  if (plan.filterBatch !== undefined) {
    const into = plan.firewall === 'nftables' ? ' (in ip6tables-restore form; written into nftables table ip6 docker-ipv6 as one nft -f script, because Docker uses its nftables backend)' : '';
    out.push('', `ip6tables filter batch${into} run before forwarding and the restart, exactly as shown (if the host changes first, enable refuses):`,
      ...(plan.filterBatch ? plan.filterBatch.trimEnd().split('\n').map((l) => `  ${l}`) : ['  (none: our chain already matches)']));
  }
  const after = Object.entries(plan.firewallAfterRestart).filter(([, b]) => b);
  if (plan.restart && after.length && verbose) {
    for (const [table, batch] of after) out.push('', `${firewallWhere(plan, table as 'nat' | 'filter')} after the restart (predicted; rendered then from the networks and published ports Docker has):`, ...batch!.trimEnd().split('\n').map((l) => `  ${l}`));
  }
  out.push('', 'Steps:');
  // steps and notes name networks and bridges: one line each, whatever the names hold
  steps.forEach((s, i) => out.push(`  ${i + 1}. ${escapeControls(s.describe)}`));
  for (const n of plan.notes.filter((x) => x !== plan.prefixNote)) out.push(`note: ${escapeControls(n)}`);
  return `${out.join('\n')}\n`;
}

export function legacyText(plan: EnablePlan): string {
  if (!plan.legacyNetworks.length) return '';
  const lines = ['These networks were created without IPv6; recreate them to give their containers IPv6 (nothing was changed on them):'];
  for (const n of plan.legacyNetworks) lines.push(`  ${escapeControls(n.name)} (${n.containers} container${n.containers === 1 ? '' : 's'}): ${n.command}`);
  return `${lines.join('\n')}\n`;
}
