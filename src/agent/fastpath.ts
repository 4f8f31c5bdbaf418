// The agent's fast path: a container start/die or network create is served at once (one inspect, netlink
// in-process, one ip6tables-restore --noflush of inserts) from the view the last full pass left. Events are
// handled one at a time in arrival order; any error drops the view until the next full pass, which always
// follows (debounced) and owns correctness: the fast path only adds what that pass would add.
// No file is written on this path: the proxy entries it adds carry our NDA_PROTOCOL tag, which is how the
// next pass knows them as ours (and records them in the state) even after a crash in between. (On a kernel
// that drops the tag, before 5.2, an entry is recorded in the state first, as the full pass does.)
import { bridgeNotOurs, dockerFacts, isDockerMadeBridge, type CtrFact, type NetFact } from '../model/docker';
import { type ApiContainer, type ApiNetwork } from '../model/docker';
import { planContainerDie, planContainerStart, planNetworkCreate, type FastPlan, type FastView } from '../reconcile/fast';
import type { NetOps } from '../host/interfaces';
import type { Change } from '../reconcile/diff';
import type { ToolState } from '../model/state';
import { withProxiesRecorded } from '../reconcile/apply-plan';
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
  /**
   * moves when a plan starts to be applied and again when it is done: a full pass whose observation began
   * before, or while, a fast-path change was applied sees it move and observes again
   */
  generation = 0;

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
    const queued = performance.now();
    const done = this.queue.then(() => this.one(e, because, queued));
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
  private async attachment(e: DockerEvent, kind: string, because: string, queued: number): Promise<boolean> {
    const cid = e.Actor?.Attributes?.container;
    if (!cid || !this.view) return false;
    const running = this.view.docker.containers.some((c) => c.id === cid);
    if (!running) return true;
    if (kind === 'network disconnect' || this.view.docker.containers.find((c) => c.id === cid)?.published.length) return false;
    if (this.view.owned.mode !== 'ndp') return true; // rules are per network, not per container
    return this.one({ ...e, Type: 'container', Action: 'start', Actor: { ID: cid } }, because, queued);
  }

  private async one(e: DockerEvent, because: string, queued = performance.now()): Promise<boolean> {
    if (!this.view) return false;
    // where an event's milliseconds go (logged with each change): waiting behind earlier events or a
    // full pass, the API call, the lock (and anything ahead of us in the agent), the ip6tables batch, netlink
    const ms: Record<string, number> = {};
    let mark = performance.now();
    const lap = (k: string) => { const t = performance.now(); ms[k] = Math.round((t - mark) * 10) / 10; mark = t; };
    ms.queued = Math.round((mark - queued) * 10) / 10;
    // from dockerd logging the event to us taking it up (wall clocks of one host, ms resolution)
    if (typeof e.timeNano === 'number') ms.delivered = Math.max(0, Date.now() - Math.round(e.timeNano / 1e6) - ms.queued);
    const kind = `${e.Type} ${e.Action}`;
    // Every container start and die comes with network connect / disconnect events: serve those
    // here too, or each one schedules a full pass that the next event then queues behind.
    if (kind === 'network connect' || kind === 'network disconnect') return this.attachment(e, kind, because, queued);
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
        lap('inspect');
        make = (v) => planContainerStart(v, fact);
      } else if (kind === 'container die') {
        const known = this.view.docker.containers.find((x) => x.id === id);
        complete = !!known && !known.published.length && this.view.owned.mode === 'ndp';
        make = (v) => planContainerDie(v, id);
      } else {
        const n = await this.d.inspectNetwork(id);
        const fact = n && networkFact(n);
        if (!fact) return false;
        lap('inspect');
        // a bridge name of its own may be a host interface (a LAN bridge, the uplink): the full pass vets it
        // against the links before any rule names it; Docker's own names cannot be
        if (!isDockerMadeBridge(fact.bridge)) {
          const ns = await (await this.d.net()).read();
          if (bridgeNotOurs(fact, ns, this.view.owned.uplink)) return false;
          lap('links');
        }
        make = (v) => planNetworkCreate(v, fact);
      }
      return await this.d.exclusive(async () => {
        lap('exclusive');
        if (!this.view) return false;
        const plan = make(this.view);
        if (!plan.changes.length) { this.view = plan.next; return complete; }
        this.view = undefined; // uncertain until this plan is fully applied
        this.generation++;
        try { await this.apply(plan, ms); } finally { this.generation++; }
        this.view = plan.next;
        this.handled++;
        ms.total = Math.round((performance.now() - queued) * 10) / 10;
        for (const c of plan.changes) this.d.log('info', this.d.describeChange(c), { change: c, because: [because], fast: true, ms });
        return complete;
      });
    } catch (err) {
      this.failed++;
      this.view = undefined;
      try { this.d.log('warn', 'fast path failed; the next full reconcile repairs it', { error: (err as Error)?.message ?? String(err), because }); } catch { /* never stop */ }
      return false;
    }
  }

  /** ms: how long the netlink part and the batch after it took, each from the start */
  private async apply(plan: FastPlan, ms: Record<string, number>): Promise<void> {
    const t0 = performance.now();
    const took = (k: string) => { ms[k] = Math.round((performance.now() - t0) * 10) / 10; };
    const { add, del } = plan.proxies;
    if (add.length && !plan.next.tagsKept) {
      // this kernel has not shown that it keeps our tag: intent first, as the full pass does
      const s = await this.d.readState();
      if (!s) throw new Error('no saved state');
      const recorded = withProxiesRecorded(s, add);
      if (recorded) await this.d.writeState(recorded);
      took('state');
    }
    // the proxy entries (netlink, in this process: well under a millisecond) go in first, then the rules (one
    // process, whose start holds this thread until the program runs: milliseconds, on a loaded host a hundred
    // or more): a network's gateway entry does not wait for that, and the network stays closed by the
    // catch-alls until its rules are in. The rules go in whether or not the entries did.
    const entries = (async () => {
      if (!add.length && !del.length) return;
      const index = plan.next.uplinkIndex;
      if (index === undefined) throw new Error(`the uplink ${plan.next.owned.uplink} was missing at the last pass`);
      const net = await this.d.net();
      for (const p of del) await net.delProxy(p.address, index);
      for (const p of add) await net.addProxy(p.address, index);
      took('netlink');
    })();
    const rules = plan.batch ? entries.catch(() => undefined).then(() => this.d.restore(plan.batch!)).then(() => took('batch')) : undefined;
    const [a, b] = await Promise.allSettled([rules, entries]);
    for (const r of [a, b]) if (r.status === 'rejected') throw r.reason;
  }
}
