// `network create`: under the lock, observe the taken space, plan, create through the API, record the allocation.
import { acquireLock } from '../transaction/lock';
import type { RunContext } from '../cli/context';
import type { DockerClient } from '../host/docker-api';
import { CommandError, UsageError } from '../errors';
import { refuseUnfinishedJournal } from '../transaction/recover';
import { composeBlock } from './compose';
import { syncOutsidePath } from './hook';
import { observeSpace } from './observe';
import { checkIpv6OnlySupport, createBody, managedDefaults, planCreate, type CreateOptions, type NetworkPlan } from './plan';

export interface CreateCliOptions extends CreateOptions { compose?: boolean }

/** Docker's own rule for network names; checked first so a bad name fails before any lock or change. */
export function validateNetworkName(name: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name) || name.length > 200) {
    throw new UsageError(`invalid network name "${name}"`, 'use letters, digits, "_", "." and "-", starting with a letter or digit');
  }
  return name;
}

/** Docker's answer to a refused create, as a CommandError that names the API call. */
export function dockerRefused(e: unknown, name: string): CommandError {
  const err = e as { statusCode?: number; json?: { message?: string }; message?: string };
  const msg = err.json?.message ?? err.message ?? String(e);
  return new CommandError(['POST', '/networks/create', name], err.statusCode ?? null, msg, 'Docker refused to create the network', 'nothing was created; check the message above');
}

const LOCK_WAIT_MS = 120_000;

/** The daemon's version (Docker's host_ipv6 option needs 25.0); unknown when it does not say. */
export async function daemonVersion(docker: DockerClient): Promise<string | undefined> {
  try { return (await docker.version()).Version; } catch { return undefined; }
}

/**
 * Allocates and creates one network while holding the tool's lock, so two creates (or a create and
 * an enable) never hand out the same subnet. `extraLabels` lets verify mark its temporary network.
 */
export async function createManagedNetwork(
  ctx: RunContext, docker: DockerClient, name: string, o: CreateOptions,
  opts: { record: boolean; dryRun?: boolean; extraLabels?: Record<string, string> },
): Promise<{ plan: NetworkPlan; id?: string; note?: string }> {
  const lock = await acquireLock(ctx.paths.lockFile, { command: 'network create', waitMs: LOCK_WAIT_MS, log: (l) => ctx.note(l) });
  try {
    // a half-undone enable or disable may still hold pools or the prefix it was changing: allocate after its rollback
    await refuseUnfinishedJournal(ctx.paths.journalFile, 'docker ipv6 network create allocates nothing', { dryRun: opts.dryRun });
    const [facts, version] = await Promise.all([observeSpace(ctx, docker), daemonVersion(docker)]);
    const plan = planCreate(name, o, { prefix: facts.prefix, used: facts.used, pools: facts.pools, existingNames: facts.networks.map((n) => n.name), defaults: managedDefaults(facts.state, version) });
    Object.assign(plan.labels, opts.extraLabels ?? {});
    if (opts.dryRun) return { plan };
    let id: string;
    try {
      id = (await docker.createNetwork(createBody(plan) as never)).id;
    } catch (e) {
      throw dockerRefused(e, name);
    }
    if (opts.record) {
      facts.state.allocations = { ...(facts.state.allocations ?? {}), [name]: plan.v6.subnet };
      try { await ctx.host.state.write(facts.state); } catch (e) {
        ctx.note(`warning: network ${name} was created but its allocation could not be saved (${(e as Error).message}); its label still reserves it`);
      }
    } else if (facts.released.length) {
      // best effort: the allocations of removed networks are dropped again by the next create
      await ctx.host.state.write(facts.state).catch((e) => ctx.note(`note: the allocations of removed networks (${facts.released.join(', ')}) could not be released now (${(e as Error).message}); the next network create tries again`));
    }
    return { plan, id, note: await syncOutsidePath(ctx, facts.state, plan.v6.subnet) };
  } finally {
    await lock.release();
  }
}

/** `--compose`: the allocation is reserved in the state and printed; Compose creates the network. */
async function reserveForCompose(ctx: RunContext, docker: DockerClient, name: string, o: CreateOptions): Promise<NetworkPlan> {
  const lock = await acquireLock(ctx.paths.lockFile, { command: 'network create', waitMs: LOCK_WAIT_MS, log: (l) => ctx.note(l) });
  try {
    await refuseUnfinishedJournal(ctx.paths.journalFile, 'docker ipv6 network create allocates nothing', { dryRun: ctx.globals.dryRun });
    const [facts, version] = await Promise.all([observeSpace(ctx, docker), daemonVersion(docker)]);
    const plan = planCreate(name, o, { prefix: facts.prefix, used: facts.used, pools: facts.pools, existingNames: facts.networks.map((n) => n.name), defaults: managedDefaults(facts.state, version) });
    if (!ctx.globals.dryRun) {
      facts.state.allocations = { ...(facts.state.allocations ?? {}), [`compose:${name}`]: plan.v6.subnet };
      await ctx.host.state.write(facts.state);
    }
    return plan;
  } finally {
    await lock.release();
  }
}

export async function runNetworkCreate(ctx: RunContext, name: string, o: CreateCliOptions): Promise<void> {
  validateNetworkName(name);
  ctx.requireLocalDaemon('allocate subnets against this host');
  const docker = await ctx.host.docker.connect();
  if (o.ipv6Only) {
    const v = await docker.version();
    checkIpv6OnlySupport({ version: v.Version, apiVersion: v.ApiVersion });
  }
  if (o.compose) {
    const plan = await reserveForCompose(ctx, docker, name, o);
    if (ctx.globals.json) ctx.outJson({ name, ipv4: plan.v4?.subnet ?? null, ipv6: plan.v6.subnet, compose: composeBlock(plan) });
    else ctx.out(composeBlock(plan));
    return;
  }
  const { plan, id, note } = await createManagedNetwork(ctx, docker, name, o, { record: true, dryRun: ctx.globals.dryRun });
  if (ctx.globals.json) {
    ctx.outJson({ created: !ctx.globals.dryRun, id, name, ipv4: plan.v4 ?? null, ipv6Only: !plan.v4, ipv6: plan.v6, labels: plan.labels, options: plan.options, internal: plan.internal, attachable: plan.attachable });
  } else {
    const how = (c: NetworkPlan['v6']) => `${c.subnet}${c.allocated ? ' (allocated)' : ''}`;
    ctx.out(`${ctx.globals.dryRun ? 'would create' : 'created'} network ${name}: IPv4 ${plan.v4 ? how(plan.v4) : 'off (IPv6-only)'}, IPv6 ${how(plan.v6)}${ctx.globals.dryRun ? ' (dry run: nothing was created)' : ''}`);
  }
  if (note && !ctx.globals.dryRun) ctx.note(note);
}
