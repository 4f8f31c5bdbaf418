// What enable's steps need from reconcile: our chain of one table, and the NDP entries, from a fresh look at Docker.
import { parseSave } from '../model/ip6tables-save';
import type { Mode } from '../model/state';
import { desiredForwardRules, desiredNatRules, desiredProxies, type ProxySpec } from './desired';
import { tableSection, type Table } from './diff';
import { observeDocker, type ReconcileDeps } from './observe';

export interface EnableView { prefix: string; mode: Mode; uplink: string; natByUs: boolean; filterByUs: boolean }

/** Brings our chain in one table to the networks inside the prefix (no batch when it already matches). */
export async function applyFirewallTable(deps: Pick<ReconcileDeps, 'docker' | 'firewall'>, plan: Pick<EnableView, 'prefix'>, table: Table): Promise<boolean> {
  const [docker, save] = await Promise.all([observeDocker(deps), deps.firewall.save()]);
  const want = table === 'nat' ? desiredNatRules(plan, docker) : desiredForwardRules(plan, docker);
  const s = tableSection(table, want, parseSave(save));
  if (s) await deps.firewall.restore(s.text);
  return !!s;
}

/** Gateways of the networks inside the prefix and addresses of running containers on them. */
export async function ndpEntries(deps: Pick<ReconcileDeps, 'docker'>, plan: Pick<EnableView, 'prefix' | 'uplink'>): Promise<ProxySpec[]> {
  const docker = await observeDocker(deps);
  return desiredProxies(plan, docker).map(({ address, ifname }) => ({ address, ifname }));
}
