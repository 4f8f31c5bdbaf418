// A manual clock for code that takes injected Timers (the agent's loop and event watcher): time moves only
// when the test advances it, so timing logic is tested without depending on how busy the machine is.
import type { Timers } from '../../src/agent/loop';

/**
 * advance() fires due timers in order and lets queued promise reactions and stream events run (one
 * setImmediate) before looking for the next timer, so each callback's follow-up work is scheduled on time.
 */
export function manualClock() {
  let now = 0;
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const flush = () => new Promise((r) => setImmediate(r)); // every queued promise reaction and nextTick runs first
  const timers: Timers = {
    now: () => now,
    setTimeout: (fn, ms) => { due.set(++seq, { at: now + Math.max(0, ms), fn }); return seq; },
    clearTimeout: (h) => { due.delete(h as number); },
  };
  const sleep = (ms: number) => new Promise<void>((r) => { timers.setTimeout(r, ms); });
  async function advance(ms: number): Promise<void> {
    const end = now + ms;
    for (;;) {
      await flush();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of due) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      due.delete(next[0]);
      now = next[1].at;
      next[1].fn();
    }
    now = end;
  }
  return { timers, sleep, advance, now: () => now, timersLeft: () => due.size };
}
