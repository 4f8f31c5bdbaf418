// Docker events as reasons to reconcile: one subscription, reconnected with backoff when dockerd goes away.
import type { Logger } from './log';
import type { Timers } from './loop';
import { realTimers } from './loop';

export interface DockerEvent { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; /** when dockerd logged it, ns since the epoch */ timeNano?: number }

export interface EventSource {
  /** A stream of newline-separated JSON events; rejects while Docker is down. */
  open(): Promise<NodeJS.ReadableStream & { destroy?(): void }>;
}

export const EVENT_FILTERS = {
  type: ['network', 'container'],
  event: ['create', 'destroy', 'connect', 'disconnect', 'start', 'die'],
};

export interface WatchOptions {
  onEvent(e: DockerEvent): void;
  /** called after every successful (re)subscription, with its number (1 = first) */
  onConnect(n: number): void;
  log: Logger;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  timers?: Timers;
}

export function describeEvent(e: DockerEvent): string {
  const name = e.Actor?.Attributes?.name ?? e.Actor?.ID?.slice(0, 12) ?? '?';
  const net = e.Type === 'network' && e.Actor?.Attributes?.container ? ` (container ${e.Actor.Attributes.container.slice(0, 12)})` : '';
  return `docker ${e.Type} ${e.Action} ${name}${net}`;
}

export class EventWatcher {
  private stream?: NodeJS.ReadableStream & { destroy?(): void };
  private timer?: unknown;
  private stopped = false;
  private backoff: number;
  connects = 0;
  private readonly timers: Timers;

  constructor(private readonly source: EventSource, private readonly o: WatchOptions) {
    this.backoff = o.backoffMinMs ?? 200;
    this.timers = o.timers ?? realTimers;
  }

  start(): void { void this.connect(); }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.stream?.destroy?.();
    this.stream = undefined;
  }

  private later(why: string): void {
    if (this.stopped || this.timer !== undefined) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.o.backoffMaxMs ?? 10_000);
    this.o.log('warn', 'docker events unavailable; reconnecting', { why, retryInMs: delay });
    this.timer = this.timers.setTimeout(() => { this.timer = undefined; void this.connect(); }, delay);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let s: NodeJS.ReadableStream & { destroy?(): void };
    try {
      s = await this.source.open();
    } catch (e) {
      this.later((e as Error)?.message ?? String(e));
      return;
    }
    if (this.stopped) { s.destroy?.(); return; }
    this.stream = s;
    this.backoff = this.o.backoffMinMs ?? 200;
    let buf = '';
    let ended = false;
    const end = (why: string) => {
      if (ended) return;
      ended = true;
      if (this.stream === s) this.stream = undefined;
      this.later(why);
    };
    s.on('data', (chunk: Buffer | string) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        try { this.o.onEvent(JSON.parse(line) as DockerEvent); } catch (e) {
          this.o.log('warn', 'ignored an event', { error: (e as Error)?.message ?? String(e) });
        }
      }
    });
    s.on('end', () => end('the event stream ended (dockerd stopped?)'));
    s.on('error', (e: Error) => end(e.message));
    s.on('close', () => end('the event stream closed'));
    this.connects++;
    try { this.o.onConnect(this.connects); } catch (e) {
      this.o.log('warn', 'connect handler failed', { error: (e as Error)?.message ?? String(e) });
    }
  }
}
