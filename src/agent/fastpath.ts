// The agent's fast path: a container start/die or network create is served at once (one inspect, netlink
// in-process, one ip6tables-restore --noflush of inserts) from the view the last full pass left. Events are
// handled one at a time in arrival order; any error drops the view until the next full pass, which always
// follows (debounced) and owns correctness: the fast path only adds what that pass would add.
import { dockerFacts, type ApiContainer, type ApiNetwork, type CtrFact, type NetFact } from '../reconcile/facts';
import { planContainerDie, planContainerStart, planNetworkCreate, type FastPlan, type FastView } from '../reconcile/fast';
import type { NetOps } from '../reconcile/netops';
import type { Change } from '../reconcile/diff';
import type { ToolState } from '../state/store';
import type { DockerEvent } from './events';
import type { Logger } from './log';

/** The part of GET /containers/{id}/json we use. */
export interface InspectedContainer {
  Id: string;
  Name?: string;
  State?: { Running?: boolean };
  NetworkSettings?: { Networks?: Record<string, { GlobalIPv6Address?: string }>; Ports?: Record<string, unknown> | null };
}

export interface FastDeps {
  /** undefined when the object is gone (404) */
  inspectContainer(id: string): Promise<InspectedContainer | undefined>;
  inspectNetwork(id: string): Promise<ApiNetwork | undefined>;
  /** netlink, kept open between events */
  net(): Promise<NetOps>;
  restore(batch: string): Promise<void>;
  readState(): Promise<ToolState | undefined>;
  writeState(s: ToolState): Promise<void>;
  /** runs fn alone: no full pass, apply or enable at the same time; rejects when it cannot now */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  log: Logger;
  describeChange(c: Change): string;
  /** closes what net() opened */
  close?(): void;
}

export function containerFact(c: InspectedContainer): CtrFact | undefined {
  if (!c.State?.Running) return undefined;
  const api: ApiContainer = { Id: c.Id, Names: [c.Name ?? c.Id.slice(0, 12)], State: 'running', NetworkSettings: c.NetworkSettings };
  return dockerFacts([], [api]).containers[0];
}

export function networkFact(n: ApiNetwork): NetFact | undefined {
  return dockerFacts([n], []).networks[0];
}

/** Published ports need filter rules, which only the full pass writes. */
function publishes(c: InspectedContainer): boolean {
  return Object.values(c.NetworkSettings?.Ports ?? {}).some((b) => Array.isArray(b) && b.length > 0);
}

export class FastPath {
  private view?: FastView;
  private queue: Promise<void> = Promise.resolve();
  handled = 0;
  failed = 0;

  constructor(private readonly d: FastDeps) {}

  /** After every successful full pass (undefined: not enabled, or the pass failed). */
  setView(v: FastView | undefined): void { this.view = v; }

  get ready(): boolean { return !!this.view; }

  close(): void { this.d.close?.(); }

  /**
   * Queues the event; resolves once it is handled (never rejects) with whether everything the full
   * pass would do for it is now in place (false: the pass should come soon).
   */
  handle(e: DockerEvent, because: string): Promise<boolean> {
    const done = this.queue.then(() => this.one(e, because));
    this.queue = done.then(() => undefined);
    return done;
  }

  /**
   * network connect/disconnect, with the container in Actor.Attributes.container. Docker sends
   * `network connect` before `container start` and `network disconnect` after `container die`, so a
   * container the last view does not hold as running is one whose start/die event carries the change:
   * nothing to do, and no API call to delay that event. A running container joining a network (docker
   * network connect) gets its new address proxied (ndp) as on a start; one leaving a network, or one
   * that publishes ports, is left to the full pass.
   */
  private async attachment(e: DockerEvent, kind: string, because: string): Promise<boolean> {
    const cid = e.Actor?.Attributes?.container;
    if (!cid || !this.view) return false;
    const running = this.view.docker.containers.some((c) => c.id === cid);
    if (!running) return true;
    if (kind === 'network disconnect' || this.view.docker.containers.find((c) => c.id === cid)?.published.length) return false;
    if (this.view.owned.mode !== 'ndp') return true; // rules are per network, not per container
    return this.one({ ...e, Type: 'container', Action: 'start', Actor: { ID: cid } }, because);
  }

  private async one(e: DockerEvent, because: string): Promise<boolean> {
    if (!this.view) return false;
    const kind = `${e.Type} ${e.Action}`;
    // Every container start and die comes with network connect / disconnect events: serve those
    // here too, or each one schedules a full pass that the next event then queues behind.
    if (kind === 'network connect' || kind === 'network disconnect') return this.attachment(e, kind, because);
    // a container that is created but not started, or removed after its die, owns nothing of ours
    if (kind === 'container create' || kind === 'container destroy') return true;
    const id = e.Actor?.ID;
    if (!id) return false;
    if (kind !== 'container start' && kind !== 'container die' && kind !== 'network create') return false;
    let complete = true;
    try {
      let make: (v: FastView) => FastPlan;
      if (kind === 'container start') {
        if (this.view.owned.mode !== 'ndp') return false; // only proxies follow containers here; rules wait for the pass
        const c = await this.d.inspectContainer(id);
        const fact = c && containerFact(c);
        if (!fact) return false; // stopped or removed before we looked: nothing the pass would add
        complete = !publishes(c);
        make = (v) => planContainerStart(v, fact);
      } else if (kind === 'container die') {
        const known = this.view.docker.containers.find((x) => x.id === id);
        complete = !!known && !known.published.length && this.view.owned.mode === 'ndp';
        make = (v) => planContainerDie(v, id);
      } else {
        const n = await this.d.inspectNetwork(id);
        const fact = n && networkFact(n);
        if (!fact) return false;
        make = (v) => planNetworkCreate(v, fact);
      }
      return await this.d.exclusive(async () => {
        if (!this.view) return false;
        const plan = make(this.view);
        if (!plan.changes.length) { this.view = plan.next; return complete; }
        this.view = undefined; // uncertain until this plan is fully applied
        await this.apply(plan);
        this.view = plan.next;
        this.handled++;
        for (const c of plan.changes) this.d.log('info', this.d.describeChange(c), { change: c, because: [because], fast: true });
        return complete;
      });
    } catch (err) {
      this.failed++;
      this.view = undefined;
      try { this.d.log('warn', 'fast path failed; the next full reconcile repairs it', { error: (err as Error)?.message ?? String(err), because }); } catch { /* never stop */ }
      return false;
    }
  }

  private async apply(plan: FastPlan): Promise<void> {
    const { add, del } = plan.proxies;
    if (add.length) {
      // intent first, as the full pass does: a crash right after the add leaves nothing unowned
      const s = await this.d.readState();
      if (!s) throw new Error('no saved state');
      const have = new Set((s.proxies ?? []).map((p) => `${p.address}%${p.ifname}`));
      const more = add.filter((p) => !have.has(`${p.address}%${p.ifname}`)).map(({ address, ifname }) => ({ address, ifname }));
      if (more.length) await this.d.writeState({ ...s, proxies: [...(s.proxies ?? []), ...more] });
    }
    if (plan.batch) await this.d.restore(plan.batch);
    if (add.length || del.length) {
      const index = plan.next.uplinkIndex;
      if (index === undefined) throw new Error(`the uplink ${plan.next.owned.uplink} was missing at the last pass`);
      const net = await this.d.net();
      for (const p of del) await net.delProxy(p.address, index);
      for (const p of add) await net.addProxy(p.address, index);
    }
  }
}
