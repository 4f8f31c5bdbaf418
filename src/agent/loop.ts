// The agent's loop: every event, signal and tick is only a reason to run the same pass, debounced,
// one pass at a time; a failed pass is retried with backoff; nothing a pass throws stops the loop.
import type { Logger } from './log';

/** The clock and timers the loop reads: injected, so tests run the debounce/settle logic on a manual clock. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface LoopOptions {
  debounceMs: number;
  /** periodic pass, so rules flushed by another tool come back */
  intervalMs: number;
  /** first retry delay after a failed pass (doubles up to intervalMs) */
  retryMs: number;
  /** settle(): wait this long without such reasons (events the fast path already served) ... */
  settleMs?: number;
  /** ... but never longer than this after the first one */
  settleMaxMs?: number;
  pass(reasons: string[]): Promise<void>;
  log: Logger;
  timers?: Timers;
}

export class ReconcileLoop {
  private readonly pending = new Set<string>();
  private debounce?: unknown;
  private dueAt = 0;
  private dueKind: 'debounce' | 'settle' = 'debounce';
  private settleSince?: number;
  private pendingKind?: 'debounce' | 'settle';
  private tick?: unknown;
  private retry?: unknown;
  private running?: Promise<void>;
  private stopped = false;
  private retryDelay: number;
  private readonly timers: Timers;
  passes = 0;
  failures = 0;

  constructor(private readonly o: LoopOptions) {
    this.timers = o.timers ?? realTimers;
    this.retryDelay = o.retryMs;
  }

  start(): void {
    this.trigger('start');
    this.scheduleTick();
  }

  /** A reason to reconcile; storms collapse into one pass per debounce window. */
  trigger(reason: string): void {
    if (this.stopped) return;
    this.pending.add(reason);
    if (this.running) { this.pendingKind = 'debounce'; return; }
    const due = this.timers.now() + this.o.debounceMs;
    if (this.debounce === undefined || (this.dueKind === 'settle' && due < this.dueAt)) this.schedule(due, 'debounce');
  }

  /**
   * A reason whose changes are already in place (the fast path served it): the confirming pass waits
   * for settleMs of quiet, at most settleMaxMs, so it does not compete with the next event's fast path.
   */
  settle(reason: string): void {
    if (this.stopped) return;
    const settleMs = this.o.settleMs ?? this.o.debounceMs;
    this.pending.add(reason);
    if (this.running) { this.pendingKind ??= 'settle'; return; }
    const t = this.timers.now();
    this.settleSince ??= t;
    const due = Math.min(t + settleMs, this.settleSince + (this.o.settleMaxMs ?? settleMs));
    if (this.debounce === undefined || this.dueKind === 'settle') this.schedule(due, 'settle');
  }

  private schedule(due: number, kind: 'debounce' | 'settle'): void {
    if (this.debounce !== undefined) this.timers.clearTimeout(this.debounce);
    this.dueAt = due;
    this.dueKind = kind;
    this.debounce = this.timers.setTimeout(() => this.fire(), Math.max(0, due - this.timers.now()));
  }

  /** Stops timers and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const h of [this.debounce, this.tick, this.retry]) if (h !== undefined) this.timers.clearTimeout(h);
    this.debounce = this.tick = this.retry = undefined;
    await this.running;
  }

  /** Resolves once no pass is queued or running (tests). */
  async idle(): Promise<void> {
    while (this.running || this.debounce !== undefined) await (this.running ?? new Promise((r) => setImmediate(r)));
  }

  private scheduleTick(): void {
    if (this.stopped) return;
    this.tick = this.timers.setTimeout(() => { this.tick = undefined; this.trigger('periodic tick'); this.scheduleTick(); }, this.o.intervalMs);
  }

  private fire(): void {
    this.debounce = undefined;
    this.settleSince = undefined;
    if (this.stopped) return;
    const reasons = [...this.pending];
    this.pending.clear();
    this.running = this.runPass(reasons).finally(() => {
      this.running = undefined;
      const kind = this.pendingKind ?? 'debounce';
      this.pendingKind = undefined;
      if (this.pending.size && !this.stopped) {
        if (kind === 'settle') this.settleSince = this.timers.now();
        this.schedule(this.timers.now() + (kind === 'settle' ? this.o.settleMs ?? this.o.debounceMs : this.o.debounceMs), kind);
      }
    });
  }

  private async runPass(reasons: string[]): Promise<void> {
    this.passes++;
    try {
      await this.o.pass(reasons);
      this.retryDelay = this.o.retryMs;
      if (this.retry !== undefined) { this.timers.clearTimeout(this.retry); this.retry = undefined; }
    } catch (e) {
      this.failures++;
      const delay = this.retryDelay;
      this.retryDelay = Math.min(this.retryDelay * 2, this.o.intervalMs);
      // the hint says what the person should do (e.g. run enable or disable to finish an interrupted rollback)
      const hint = (e as { hint?: unknown })?.hint;
      try { this.o.log('error', 'reconcile failed; retrying', { error: (e as Error)?.message ?? String(e), ...(typeof hint === 'string' ? { hint } : {}), retryInMs: delay, reasons }); } catch { /* logging must not stop the loop */ }
      if (!this.stopped && this.retry === undefined) {
        this.retry = this.timers.setTimeout(() => { this.retry = undefined; this.trigger('retry after a failed pass'); }, delay);
      }
    }
  }
}
