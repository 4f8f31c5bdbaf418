// `docker ipv6 agent service create|update|rm`, on a Swarm manager: the agent on every node as a global service
// (model/agent-service.ts says what the task gets). The image must be on each node (no registry): docker ipv6 image.
import type { RunContext } from '../cli/context';
import { thisImage } from '../cli/build';
import { PreconditionError, UsageError } from '../errors';
import { agentServiceSpec, SERVICE_LABEL } from '../model/agent-service';

export interface ServiceOptions { name: string; image?: string; nodeRoot: string; dockerSocket: string; interval: string }

type Client = Awaited<ReturnType<RunContext['host']['docker']['connect']>>;

function dockerSays(e: unknown): string {
  const j = (e as { json?: { message?: string } })?.json?.message;
  return (j ?? (e as Error)?.message ?? String(e)).trim();
}

async function manager(ctx: RunContext): Promise<Client> {
  const client = await ctx.host.docker.connect({ timeoutMs: 30_000 });
  const info = await client.info() as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  if (info.Swarm?.LocalNodeState !== 'active') throw new PreconditionError(`the Docker host at ${ctx.endpoint().host} is not in a Swarm`, 'run this on a Swarm manager (docker swarm init, or docker --context MANAGER ipv6 agent service ...)');
  if (!info.Swarm.ControlAvailable) throw new PreconditionError(`the Docker host at ${ctx.endpoint().host} is a Swarm worker, not a manager`, 'run this on a manager: docker node ls there shows which');
  return client;
}

async function ours(client: Client, name: string): Promise<{ ID: string; Version: { Index: number }; Spec: { Labels?: Record<string, string> } } | undefined> {
  const list = await client.listServices({ filters: { name: [name] } } as never) as unknown as Array<{ ID: string; Version: { Index: number }; Spec: { Name: string; Labels?: Record<string, string> } }>;
  return list.find((s) => s.Spec.Name === name);
}

async function spec(ctx: RunContext, client: Client, o: ServiceOptions): Promise<Record<string, unknown>> {
  const image = o.image ?? thisImage();
  // the manager is one node: its copy says the image exists; each other node needs its own (docker ipv6 image)
  try { await client.getImage(image).inspect(); } catch {
    throw new PreconditionError(`the image ${image} is not on the manager`, 'load it on every node first: docker ipv6 image --context NODE1 --context NODE2 ... (no registry is needed)');
  }
  const nets = await client.listNetworks({ filters: { name: ['host'] } } as never) as unknown as Array<{ Id: string; Name: string; Driver: string }>;
  const host = nets.find((n) => n.Name === 'host' && n.Driver === 'host');
  if (!host) throw new PreconditionError('this Docker host has no "host" network', 'the agent needs the host network: check docker network ls');
  return agentServiceSpec({ name: o.name, image, nodeRoot: o.nodeRoot, dockerSocket: o.dockerSocket, hostNetworkId: host.Id, interval: o.interval });
}

export async function runAgentService(ctx: RunContext, action: 'create' | 'update' | 'rm', o: ServiceOptions): Promise<void> {
  const client = await manager(ctx);
  const existing = await ours(client, o.name);
  if (existing && existing.Spec.Labels?.[SERVICE_LABEL] !== '1') throw new UsageError(`the service ${o.name} is not docker-ipv6's agent`, 'choose another name with --name');
  if (action === 'rm') {
    if (!existing) throw new UsageError(`no service ${o.name}`, 'docker service ls shows the services');
    if (ctx.globals.dryRun) { ctx.out(`would remove the service ${o.name} (nothing else: its agents stop without cleaning up)`); return; }
    await client.getService(existing.ID).remove();
    ctx.out(`removed the service ${o.name}; the rules, routes and proxy entries the agents kept stay as they are (docker ipv6 disable on a node removes them there)`);
    return;
  }
  if (action === 'create' && existing) throw new UsageError(`the service ${o.name} exists already`, 'change it with: docker ipv6 agent service update');
  if (action === 'update' && !existing) throw new UsageError(`no service ${o.name} to update`, 'create it with: docker ipv6 agent service create');
  const s = await spec(ctx, client, o);
  if (ctx.globals.dryRun || ctx.globals.json) {
    if (ctx.globals.json) ctx.outJson({ action, dryRun: ctx.globals.dryRun, spec: s });
    else ctx.out(`would ${action} the service:\n${JSON.stringify(s, null, 2)}`);
    if (ctx.globals.dryRun) return;
  }
  try {
    if (action === 'create') await client.createService(s as never);
    else await client.getService(existing!.ID).update({ version: existing!.Version.Index, ...s } as never);
  } catch (e) {
    throw new PreconditionError(`Docker refused the service: ${dockerSays(e)}`, 'docker service ls / docker service ps NAME show the state');
  }
  if (!ctx.globals.json) {
    ctx.out(`${action === 'create' ? 'created' : 'updated'} the global service ${o.name} (${(s as { TaskTemplate: { ContainerSpec: { Image: string } } }).TaskTemplate.ContainerSpec.Image}): one agent per node`);
    ctx.note(`each node needs the image (docker ipv6 image --context NODE); a node that is not enabled has an agent that waits (docker service logs ${o.name}); enable and disable stay per node`);
  }
}
