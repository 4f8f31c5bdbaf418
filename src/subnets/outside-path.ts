// What a new network needs on the host's outside path in the mode in force, and who provides it.
import type { RunContext } from '../cli/context';
import type { ToolState } from '../model/state';
import { contains, parseCidr6 } from '../model/ip';

/**
 * Docker's own NAT66 needs nothing from us. Where docker-ipv6 owns the outside path (its own NAT
 * chain, the routed/NDP forwarding filter, NDP proxy entries) the reconcile pass adds the new
 * subnet: create and upgrade run that pass (src/reconcile) right away, and the agent keeps it.
 */
export function outsidePathNote(state: ToolState, subnet6: string): string | undefined {
  const en = state.enabled;
  if (!en || !state.prefix) return undefined;
  const prefix = parseCidr6(state.prefix);
  const sub = parseCidr6(subnet6);
  const inside = !!prefix && !!sub && contains(prefix, sub);
  const needs: string[] = [];
  if (en.natByUs && inside) needs.push('a masquerade rule in the D6-NAT chain');
  // the filter lists every Docker network, inside the prefix or not (until then the catch-alls keep it closed)
  if (en.filterByUs) needs.push('its own rules in the D6-FORWARD filter (closed until then)');
  if (state.mode === 'ndp' && inside) needs.push(`NDP proxy entries for its gateway and containers on ${state.uplink ?? 'the uplink'}`);
  if (!needs.length) return undefined;
  return `note: in ${state.mode} mode this network needs ${needs.join(', ')}; the docker-ipv6 agent adds them on its next pass (start it, or re-run it, to apply them now)`;
}

/**
 * Brings our rules, routes and proxy entries in line with the networks as they are now (one
 * idempotent reconcile pass; src/reconcile). Call it while holding the tool's lock. Returns a line
 * for the user, or undefined when nothing of ours is involved.
 */
export async function syncOutsidePath(ctx: RunContext, state: ToolState, subnet6: string): Promise<string | undefined> {
  if (!outsidePathNote(state, subnet6)) return undefined;
  const { hostDeps, reconcileOnce, describeChange } = await import('../reconcile');
  try {
    const r = await reconcileOnce(hostDeps(ctx));
    return r.changes.length ? `changed on the host for it (${state.mode} mode, as docker ipv6 apply would): ${r.changes.map(describeChange).join('; ')}` : undefined;
  } catch (e) {
    return `warning: the network needs our ${state.mode}-mode rules/proxy entries, and adding them failed: ${(e as Error).message}; run docker ipv6 apply`;
  }
}
