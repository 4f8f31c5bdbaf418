// Strict fake of the Docker API adapter: a minimal dockerode stand-in. listNetworks, listContainers({all}),
// getNetwork(id).inspect(), getContainer(id).start()/inspect() and ping are modelled; any other method
// throws "fake docker: X not modelled", so a new call in src shows up as a failing test, not a silent pass.
import type { DockerApi } from '../../src/host/interfaces';
import type { DockerClient } from '../../src/host/docker-api';
import type { Endpoint } from '../../src/model/endpoint';
import { PreconditionError } from '../../src/errors';

/** A network as `docker network inspect` returns it (the fields we use). */
export interface FakeNetwork {
  Id: string; Name: string; Driver: string; EnableIPv6: boolean; Internal?: boolean; Scope?: string;
  Options: Record<string, string>; Labels?: Record<string, string>;
  IPAM: { Driver?: string; Config: Array<{ Subnet?: string; Gateway?: string }> };
}
/** A container as `docker ps -a` lists it (the fields we use). */
export interface FakeContainer {
  Id: string; Names: string[]; State: string;
  /** Docker's own restart of the container when dockerd starts (a restart policy); default: none */
  RestartPolicy?: 'no' | 'always' | 'unless-stopped';
  /** State.StartedAt / State.FinishedAt as Docker reports them (RFC 3339) */
  StartedAt?: string; FinishedAt?: string;
  Ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
  NetworkSettings: { Networks: Record<string, { GlobalIPv6Address?: string; IPAddress?: string }> };
}

function dockerError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });
}

function strict<T extends object>(what: string, obj: T): T {
  return new Proxy(obj, {
    get(target, prop, recv) {
      if (typeof prop === 'symbol' || prop in target) return Reflect.get(target, prop, recv);
      // awaiting a value reads .then: a client is not a promise
      if (prop === 'then' || prop === 'toJSON') return undefined;
      throw new Error(`fake docker: ${what}${prop} not modelled`);
    },
  });
}

export class FakeDocker implements DockerApi {
  networks: FakeNetwork[] = [];
  containers: FakeContainer[] = [];
  /** the daemon does not answer (stopped, or restarting) */
  down = false;
  /** API calls in order, e.g. "listContainers all", "start abc" */
  readonly calls: string[] = [];
  clients = 0;

  constructor(private readonly log: string[] = []) {}

  private answer(call: string): void {
    if (this.down) throw Object.assign(new Error(`connect ECONNREFUSED /var/run/docker.sock`), { code: 'ECONNREFUSED' });
    this.calls.push(call);
    this.log.push(`docker ${call}`);
  }

  private network(idOrName: string): FakeNetwork {
    const n = this.networks.find((x) => x.Id === idOrName || x.Name === idOrName) ?? this.networks.filter((x) => x.Id.startsWith(idOrName)).at(0);
    if (!n) throw dockerError(404, `network ${idOrName} not found`);
    return n;
  }

  private container(idOrName: string): FakeContainer {
    const c = this.containers.find((x) => x.Id === idOrName || x.Names.includes(`/${idOrName}`)) ?? this.containers.filter((x) => x.Id.startsWith(idOrName)).at(0);
    if (!c) throw dockerError(404, `No such container: ${idOrName}`);
    return c;
  }

  private makeClient(): DockerClient {
    this.clients++;
    const self = this;
    const client = {
      async ping() { self.answer('ping'); return Buffer.from('OK'); },
      async listNetworks(opts?: unknown) {
        if (opts !== undefined) throw new Error(`fake docker: listNetworks filters not modelled: ${JSON.stringify(opts)}`);
        self.answer('listNetworks');
        return structuredClone(self.networks);
      },
      async listContainers(opts?: { all?: boolean }) {
        const extra = Object.keys(opts ?? {}).filter((k) => k !== 'all');
        if (extra.length) throw new Error(`fake docker: listContainers options ${extra.join(', ')} not modelled`);
        self.answer(opts?.all ? 'listContainers all' : 'listContainers');
        return structuredClone(opts?.all ? self.containers : self.containers.filter((c) => c.State === 'running'));
      },
      getNetwork(id: string) {
        if (typeof id !== 'string' || !id) throw new Error('fake docker: getNetwork needs an id');
        return strict(`network.`, {
          id,
          async inspect() { self.answer(`inspect network ${id}`); return structuredClone(self.network(id)); },
        });
      },
      getContainer(id: string) {
        if (typeof id !== 'string' || !id) throw new Error('fake docker: getContainer needs an id');
        return strict(`container.`, {
          id,
          async inspect() {
            self.answer(`inspect container ${id}`);
            const c = self.container(id);
            return { Id: c.Id, Name: c.Names[0], State: { Status: c.State, Running: c.State === 'running', StartedAt: c.StartedAt ?? '0001-01-01T00:00:00Z', FinishedAt: c.FinishedAt ?? '0001-01-01T00:00:00Z' }, NetworkSettings: structuredClone(c.NetworkSettings) };
          },
          async start() {
            self.answer(`start ${id}`);
            const c = self.container(id);
            // dockerode rejects the 304 "container already started": starting a running container is a caller bug here
            if (c.State === 'running') throw new Error(`fake docker: start of ${id}, which is already running`);
            c.State = 'running';
            c.StartedAt = new Date().toISOString();
          },
        });
      },
    };
    return strict('', client) as unknown as DockerClient;
  }

  async client(opts: { timeoutMs?: number; endpoint?: Endpoint } = {}): Promise<DockerClient> {
    if (opts.timeoutMs !== undefined && !(opts.timeoutMs > 0)) throw new Error(`fake docker: bad timeout ${opts.timeoutMs}`);
    return this.makeClient();
  }

  async connect(opts: { timeoutMs?: number; endpoint?: Endpoint } = {}): Promise<DockerClient> {
    const c = await this.client(opts);
    try { await c.ping(); } catch {
      throw new PreconditionError('Docker refused the connection at unix:///var/run/docker.sock (from fake): the daemon is down', 'on the Docker host, docker ipv6 doctor says why it is down and what starts it (its log: journalctl -u docker)');
    }
    return c;
  }

  /**
   * dockerd stopping and starting: every running container stops (FinishedAt now); those with a restart policy
   * run again at once (StartedAt after that), the others stay exited, as a real restart without live-restore leaves them.
   */
  dockerdRestarted(downMs = 0): void {
    const stop = new Date(Date.now() - downMs).toISOString();
    for (const c of this.containers.filter((x) => x.State === 'running')) {
      c.FinishedAt = stop;
      if (c.RestartPolicy === 'always' || c.RestartPolicy === 'unless-stopped') c.StartedAt = new Date().toISOString();
      else c.State = 'exited';
    }
  }

  bridge(): FakeNetwork {
    return this.network('bridge');
  }
}
