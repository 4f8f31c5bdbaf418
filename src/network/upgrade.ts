// `network upgrade NAME`: re-create an IPv4-only bridge network with IPv6 and reconnect its containers (rolls back).
import type Dockerode from 'dockerode';
import { acquireLock } from '../transaction/lock';
import type { RunContext } from '../cli/context';
import type { DockerClient } from '../host/docker-api';
import { confirm } from '../cli/confirm';
import { CommandError, RolledBackError, UsageError } from '../errors';
import { shellQuote } from '../util/shell-quote';
import { bridgeName } from '../model/docker';
import { refuseUnfinishedJournal } from '../transaction/recover';
import { dockerRefused } from '../subnets/create';
import { syncOutsidePath } from '../subnets/outside-path';
import { observeSpace } from '../subnets/observe';
import { createBody, MANAGED_LABEL, planCreate, type NetworkPlan } from '../subnets/plan';

export interface Attachment {
  id: string;
  name: string;
  state: string;
  aliases: string[];
  ipv4?: string;
  ipv6?: string;
  links: string[];
  driverOpts?: Record<string, string>;
}

type Inspect = Dockerode.NetworkInspectInfo & { Attachable?: boolean };

/** User aliases only: Docker adds the short container id (and on 26+ the name) by itself. */
export function userAliases(aliases: string[] | null | undefined, id: string, name: string): string[] {
  return (aliases ?? []).filter((a) => a !== id.slice(0, 12) && a !== id && a !== name);
}

async function attachments(docker: DockerClient, net: Inspect): Promise<Attachment[]> {
  const all = await docker.listContainers({ all: true });
  const out: Attachment[] = [];
  for (const c of all) {
    if (!c.NetworkSettings?.Networks?.[net.Name]) continue;
    const info = await docker.getContainer(c.Id).inspect();
    const ep = info.NetworkSettings.Networks[net.Name] as Dockerode.EndpointSettings;
    const name = info.Name.replace(/^\//, '');
    out.push({
      id: c.Id, name, state: info.State.Status,
      aliases: userAliases(ep.Aliases, c.Id, name),
      ipv4: ep.IPAMConfig?.IPv4Address || undefined, ipv6: ep.IPAMConfig?.IPv6Address || undefined,
      links: ep.Links ?? [], driverOpts: ep.DriverOpts ?? undefined,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function endpointConfig(a: Attachment, withStatic: boolean): Record<string, unknown> {
  const cfg: Record<string, unknown> = { Aliases: a.aliases, Links: a.links };
  if (a.driverOpts) cfg.DriverOpts = a.driverOpts;
  if (withStatic && a.ipv4) cfg.IPAMConfig = { IPv4Address: a.ipv4 };
  return cfg;
}

/** Connect with the static address; if Docker refuses it, without (and say so). */
async function reconnect(docker: DockerClient, netId: string, a: Attachment, note: (s: string) => void): Promise<void> {
  const net = docker.getNetwork(netId);
  try {
    await net.connect({ Container: a.id, EndpointConfig: endpointConfig(a, true) });
  } catch (e) {
    if (!a.ipv4) throw e;
    note(`warning: ${a.name} could not keep its static address ${a.ipv4} (${(e as Error).message}); connected with a dynamic one`);
    await net.connect({ Container: a.id, EndpointConfig: endpointConfig(a, false) });
  }
}

/** The body that re-creates the network exactly as it was (the rollback path). */
function oldBody(n: Inspect): Record<string, unknown> {
  return {
    Name: n.Name, CheckDuplicate: true, Driver: n.Driver, EnableIPv6: !!n.EnableIPv6, Internal: !!n.Internal,
    Attachable: !!n.Attachable, Labels: n.Labels ?? {}, Options: n.Options ?? {},
    IPAM: { Driver: n.IPAM?.Driver ?? 'default', Config: n.IPAM?.Config ?? [], Options: n.IPAM?.Options ?? undefined },
  };
}

export function describeAttachments(list: Attachment[]): string {
  if (!list.length) return '  (no containers)';
  return list.map((a) => `  - ${a.name} (${a.state})${a.aliases.length ? `, aliases ${a.aliases.join(', ')}` : ''}${a.ipv4 ? `, static ${a.ipv4}` : ''}`).join('\n');
}

export async function runNetworkUpgrade(ctx: RunContext, name: string): Promise<void> {
  ctx.requireLocalDaemon('re-create networks on this host');
  const docker = await ctx.host.docker.connect();
  let old: Inspect;
  // the name goes into the API path: encoded, or a name with a space or a control character never reaches Docker
  try { old = (await docker.getNetwork(encodeURIComponent(name)).inspect()) as Inspect; } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) throw new UsageError(`no network named ${name}`, 'list them: docker ipv6 network ls');
    throw e;
  }
  if (['bridge', 'host', 'none'].includes(old.Name)) throw new UsageError(`${old.Name} is Docker's predefined network and cannot be re-created`, old.Name === 'bridge' ? 'docker ipv6 enable gives the default bridge IPv6' : undefined);
  if (old.Driver !== 'bridge') throw new UsageError(`${name} uses the ${old.Driver} driver: only bridge networks can be upgraded`);
  if (old.EnableIPv6) { ctx.out(`${name} already has IPv6: nothing to do`); return; }
  const v4 = (old.IPAM?.Config ?? []).filter((c) => c.Subnet && !c.Subnet.includes(':'));
  const list = await attachments(docker, old);
  const lock = await acquireLock(ctx.paths.lockFile, { command: 'network upgrade', waitMs: 120_000, log: (l) => ctx.note(l) });
  try {
    // a half-undone enable or disable may still hold pools or the prefix it was changing: re-create after its rollback
    await refuseUnfinishedJournal(ctx.paths.journalFile, 'docker ipv6 network upgrade changes nothing', { dryRun: ctx.globals.dryRun });
    const facts = await observeSpace(ctx, docker, { network: old.Name, bridge: bridgeName(old) });
    const plan: NetworkPlan = planCreate(name, {
      subnet: v4.map((c) => c.Subnet!), gateway: v4.map((c) => c.Gateway!).filter(Boolean).map((g) => g.split('/')[0]),
      ipRange: v4.map((c) => c.IPRange!).filter(Boolean), internal: !!old.Internal, attachable: !!old.Attachable,
      label: Object.entries(old.Labels ?? {}).map(([k, v]) => `${k}=${v}`),
      opt: Object.entries(old.Options ?? {}).map(([k, v]) => `${k}=${v}`),
    }, { prefix: facts.prefix, used: facts.used, pools: facts.pools, existingNames: [] });
    const planLine = `network ${name} will be re-created with IPv4 ${plan.v4?.subnet ?? 'none'} and IPv6 ${plan.v6.subnet}; these containers are disconnected and reconnected:\n${describeAttachments(list)}`;
    // a dry run's plan is its output (stdout); before a real run it is a note beside the question
    if (ctx.globals.dryRun) {
      if (ctx.globals.json) ctx.outJson({ dryRun: true, network: name, ipv4: plan.v4?.subnet ?? null, ipv6: plan.v6.subnet, reconnect: list.map((a) => a.name) });
      else ctx.out(`${planLine}\ndry run: nothing was changed`);
      return;
    }
    ctx.note(planLine);
    await confirm(ctx, `Re-create network ${name} with IPv6?`);
    for (const a of list) await docker.getNetwork(old.Id).disconnect({ Container: a.id, Force: true });
    await docker.getNetwork(old.Id).remove();
    let newId: string;
    try {
      newId = (await docker.createNetwork(createBody(plan) as never)).id;
    } catch (e) {
      const cause = dockerRefused(e, name);
      const back = (await docker.createNetwork(oldBody(old) as never)).id;
      for (const a of list) await reconnect(docker, back, a, (s) => ctx.note(s));
      throw new RolledBackError(`${cause.message}; the old network ${name} was re-created and ${list.length} container(s) reconnected`, 'nothing changed; check the message above', { cause });
    }
    const failed: string[] = [];
    for (const a of list) {
      try { await reconnect(docker, newId, a, (s) => ctx.note(s)); } catch (e) { failed.push(`${a.name}: ${(e as Error).message}`); }
    }
    facts.state.allocations = { ...(facts.state.allocations ?? {}), [name]: plan.v6.subnet };
    await ctx.host.state.write(facts.state);
    if (ctx.globals.json) ctx.outJson({ upgraded: name, ipv4: plan.v4?.subnet ?? null, ipv6: plan.v6.subnet, reconnected: list.map((a) => a.name).filter((n) => !failed.some((f) => f.startsWith(`${n}:`))), failed, managedLabel: plan.labels[MANAGED_LABEL] });
    else ctx.out(`upgraded network ${name}: IPv4 ${plan.v4?.subnet ?? 'none'}, IPv6 ${plan.v6.subnet}; reconnected ${list.length - failed.length} of ${list.length} container(s)`);
    const note = await syncOutsidePath(ctx, facts.state, plan.v6.subnet);
    if (note && !ctx.globals.json) ctx.out(note);
    if (failed.length) throw new CommandError(['POST', `/networks/${name}/connect`], null, failed.join('; '), 'Docker refused to reconnect', `connect them by hand: docker network connect ${shellQuote(name)} CONTAINER`);
  } finally {
    await lock.release();
  }
}
