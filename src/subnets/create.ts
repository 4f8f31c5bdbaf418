// The managed network creation the network feature and the probes share: the name checked, the next free subnets
// allocated and the network created under the tool's lock, its allocation recorded.
import { acquireLock } from '../transaction/lock';
import type { RunContext } from '../cli/context';
import type { DockerClient } from '../host/docker-api';
import { CommandError, UsageError } from '../errors';
import { refuseUnfinishedJournal } from '../transaction/recover';
import { syncOutsidePath } from './outside-path';
import { observeSpace } from './observe';
import { createBody, planCreate, type CreateOptions, type NetworkPlan } from './plan';

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

export const LOCK_WAIT_MS = 120_000;

/**
 * Allocates and creates one network while holding the tool's lock, so two creates (or a create and
 * an enable) never hand out the same subnet. `extraLabels` lets verify mark its temporary network.
 */
export async function createManagedNetwork(
  ctx: RunContext, docker: DockerClient, name: string, o: CreateOptions,
  opts: { record: boolean; dryRun?: boolean; extraLabels?: Record<string, string>; /** bring our rules and proxy entries in step for it (network create; verify changes nothing) */ syncOutside?: boolean },
): Promise<{ plan: NetworkPlan; id?: string; note?: string }> {
  const lock = await acquireLock(ctx.paths.lockFile, { command: 'network create', waitMs: LOCK_WAIT_MS, log: (l) => ctx.note(l) });
  try {
    // a half-undone enable or disable may still hold pools or the prefix it was changing: allocate after its rollback
    await refuseUnfinishedJournal(ctx.paths.journalFile, 'docker ipv6 network create allocates nothing', { dryRun: opts.dryRun });
    const facts = await observeSpace(ctx, docker);
    const plan = planCreate(name, o, { prefix: facts.prefix, used: facts.used, pools: facts.pools, existingNames: facts.networks.map((n) => n.name) });
    Object.assign(plan.labels, opts.extraLabels ?? {});
    // the prefix outlives disable: say so rather than hand out a subnet of it silently
    if (facts.state.prefix && !facts.state.enabled && opts.record) {
      ctx.note(`note: docker ipv6 is not enabled (it was disabled): the IPv6 subnet comes from the prefix ${facts.state.prefix} an earlier enable saved, and nothing gives it a path outside until docker ipv6 enable runs again`);
    }
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
    return { plan, id, note: opts.syncOutside ? await syncOutsidePath(ctx, facts.state, plan.v6.subnet) : undefined };
  } finally {
    await lock.release();
  }
}
