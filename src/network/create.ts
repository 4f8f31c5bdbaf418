// `network create`: one managed network (subnets/create.ts), or a reservation printed as a Compose block.
import { acquireLock } from '../transaction/lock';
import type { RunContext } from '../cli/context';
import type { DockerClient } from '../host/docker-api';
import { refuseUnfinishedJournal } from '../transaction/recover';
import { composeBlock } from './compose';
import { createManagedNetwork, LOCK_WAIT_MS, validateNetworkName } from '../subnets/create';
import { observeSpace } from '../subnets/observe';
import { checkIpv6OnlySupport, planCreate, type CreateOptions, type NetworkPlan } from '../subnets/plan';

export interface CreateCliOptions extends CreateOptions { compose?: boolean }

/** `--compose`: the allocation is reserved in the state and printed; Compose creates the network. */
async function reserveForCompose(ctx: RunContext, docker: DockerClient, name: string, o: CreateOptions): Promise<NetworkPlan> {
  const lock = await acquireLock(ctx.paths.lockFile, { command: 'network create', waitMs: LOCK_WAIT_MS, log: (l) => ctx.note(l) });
  try {
    await refuseUnfinishedJournal(ctx.paths.journalFile, 'docker ipv6 network create allocates nothing', { dryRun: ctx.globals.dryRun });
    const facts = await observeSpace(ctx, docker);
    const plan = planCreate(name, o, { prefix: facts.prefix, used: facts.used, pools: facts.pools, existingNames: facts.networks.map((n) => n.name) });
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
  const { plan, id, note } = await createManagedNetwork(ctx, docker, name, o, { record: true, dryRun: ctx.globals.dryRun, syncOutside: true });
  if (ctx.globals.json) {
    ctx.outJson({ created: !ctx.globals.dryRun, id, name, ipv4: plan.v4 ?? null, ipv6Only: !plan.v4, ipv6: plan.v6, labels: plan.labels, options: plan.options, internal: plan.internal, attachable: plan.attachable, hostChanges: note ?? null });
  } else {
    const how = (c: NetworkPlan['v6']) => `${c.subnet}${c.allocated ? ' (allocated)' : ''}`;
    ctx.out(`${ctx.globals.dryRun ? 'would create' : 'created'} network ${name}: IPv4 ${plan.v4 ? how(plan.v4) : 'off (IPv6-only)'}, IPv6 ${how(plan.v6)}${ctx.globals.dryRun ? ' (dry run: nothing was created)' : ''}`);
  }
  if (note && !ctx.globals.dryRun && !ctx.globals.json) ctx.out(note);
}
