// What enable's steps need from reconcile: our chain of one table, and the NDP entries, from a fresh look at Docker.
import { PreconditionError } from '../errors';
import type { DockerFacts } from '../model/docker';
import type { ParsedRuleset } from '../model/ip6tables-save';
import type { Mode } from '../model/state';
import { desiredForwardRules, desiredNatRules, desiredProxies, natWanted, type ProxySpec } from './desired';
import { tableSection, type Table } from './diff';
import { observeDocker, observeVetted, type ReconcileDeps } from './observe';
import type { LinkInfo } from '../model/net';

export interface EnableView { prefix: string; mode: Mode; uplink: string; natByUs: boolean; filterByUs: boolean; natSource?: string; outsidePrefix?: string }
/** What the batch of one table depends on (the nat chain on the prefix and the chosen source or the outside prefix, the filter on the uplink). */
type TableView = Pick<EnableView, 'prefix' | 'uplink'> & Partial<Pick<EnableView, 'natByUs' | 'natSource' | 'mode' | 'outsidePrefix'>>;

/**
 * Pure: the ip6tables-restore batch that brings our chains in one table to Docker's networks ('' when they
 * match): nat masquerades (or SNATs to the chosen source) the networks inside the prefix, or translates it (npt), the filter covers every
 * bridge network. The nat chain goes when the plan wants none (a chosen source dropped with --nat-source none).
 * `docker` is already vetted against the links (vetBridges), which also name the host interfaces the filter spares.
 */
export function firewallBatch(table: Table, plan: TableView, docker: DockerFacts, tables: ParsedRuleset, links: readonly Pick<LinkInfo, 'name'>[]): string {
  const want = table === 'nat' ? (natWanted(plan) ? desiredNatRules({ ...plan, natByUs: !!plan.natByUs }, docker) : undefined) : desiredForwardRules(plan, docker, links);
  return tableSection(table, want, tables)?.text ?? '';
}

/**
 * Brings our chain in one table to the networks inside the prefix, from a fresh look at Docker and the
 * firewall. With `expected` (the batch a plan showed), the fresh batch must be those exact bytes: when
 * Docker or the ruleset changed since the plan, nothing is applied and the step refuses, saying so.
 */
export async function applyFirewallTable(deps: Pick<ReconcileDeps, 'docker' | 'firewall' | 'openNet'>, plan: TableView, table: Table, expected?: string): Promise<boolean> {
  const [{ docker, links }, tables] = await Promise.all([observeVetted(deps, plan.uplink), deps.firewall.read()]);
  const batch = firewallBatch(table, plan, docker, tables, links);
  if (expected !== undefined && batch !== expected) throw hostChangedError(`the ip6tables ${table} batch`, expected, batch);
  if (batch) await deps.firewall.restore(batch);
  return !!batch;
}

/** The plan shown is no longer what would run: Docker's networks or containers, or the ruleset, changed in between. */
export function hostChangedError(what: string, planned: string, now: string): PreconditionError {
  const show = (s: string) => (s ? s.trimEnd().split('\n').map((l) => `    ${l}`).join('\n') : '    (nothing)');
  return new PreconditionError(
    `the host changed since the plan was made: ${what} is no longer the one shown, so nothing of it was applied\n  planned:\n${show(planned)}\n  now:\n${show(now)}`,
    'run the command again: it plans from the host as it is now (add --dry-run to look first)',
  );
}

/** Gateways of the networks inside the prefix and addresses of running containers on them. */
export async function ndpEntries(deps: Pick<ReconcileDeps, 'docker'>, plan: Pick<EnableView, 'prefix' | 'uplink'>): Promise<ProxySpec[]> {
  const docker = await observeDocker(deps);
  return desiredProxies(plan, docker).map(({ address, ifname }) => ({ address, ifname }));
}
