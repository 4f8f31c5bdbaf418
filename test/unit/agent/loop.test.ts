// The agent loop against strict fakes: storms collapse, failures are retried, nothing kills the loop.
import test from 'ava';
import { ReconcileLoop, type LoopOptions } from '../../../src/agent/loop';
import type { Logger } from '../../../src/agent/log';
import { PreconditionError } from '../../../src/errors';
import { manualClock } from '../../helpers/manual-clock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pass that refuses to run twice at once (the loop must serialise passes). */
function strictPass(behaviour: (n: number) => Promise<void> | void = () => {}) {
  const calls: string[][] = [];
  let inFlight = false;
  const pass = async (reasons: string[]) => {
    if (inFlight) throw new Error('fake pass: two passes at once');
    inFlight = true;
    try { calls.push(reasons); await sleep(5); await behaviour(calls.length); } finally { inFlight = false; }
  };
  return { calls, pass };
}

/** strictPass on the manual clock: each pass takes `ms` of clock time. */
function clockedPass(clock: ReturnType<typeof manualClock>, ms: number) {
  const calls: string[][] = [];
  let inFlight = false;
  const pass = async (reasons: string[]) => {
    if (inFlight) throw new Error('fake pass: two passes at once');
    inFlight = true;
    try { calls.push(reasons); await clock.sleep(ms); } finally { inFlight = false; }
  };
  return { calls, pass };
}

function loop(o: Partial<LoopOptions> & Pick<LoopOptions, 'pass'>, logs: unknown[][] = []) {
  const log: Logger = (...a) => { logs.push(a); };
  return new ReconcileLoop({ debounceMs: 20, intervalMs: 60_000, retryMs: 30, log, ...o });
}

test('an event storm collapses into one pass, and events during a pass into one more', async (t) => {
  const p = strictPass(async (n) => { if (n === 1) await sleep(40); });
  const l = loop({ pass: p.pass });
  for (let i = 0; i < 1000; i++) l.trigger(`event ${i % 3}`);
  await sleep(30); // the first pass is running now
  for (let i = 0; i < 500; i++) l.trigger('late event');
  await sleep(150);
  await l.idle();
  t.is(p.calls.length, 2);
  t.deepEqual(p.calls[0], ['event 0', 'event 1', 'event 2']);
  t.deepEqual(p.calls[1], ['late event']);
  await l.stop();
});

test('a failed pass is retried without a new event, with backoff, and the retry succeeds', async (t) => {
  const p = strictPass((n) => { if (n <= 2) throw new Error(`boom ${n}`); });
  const logs: unknown[][] = [];
  const l = loop({ pass: p.pass }, logs);
  l.trigger('start');
  const deadline = Date.now() + 2000;
  while (p.calls.length < 3 && Date.now() < deadline) await sleep(10);
  await l.idle();
  t.is(p.calls.length, 3);
  t.deepEqual(p.calls[1], ['retry after a failed pass']);
  t.is(l.failures, 2);
  t.deepEqual(logs.map((x) => [x[0], (x[2] as { retryInMs: number }).retryInMs]), [['error', 30], ['error', 60]]);
  await sleep(100);
  t.is(p.calls.length, 3, 'no retry after success');
  await l.stop();
});

test('a pass throwing non-errors, and a logger that throws, never stop the loop', async (t) => {
  let n = 0;
  const l = new ReconcileLoop({
    debounceMs: 5, intervalMs: 60_000, retryMs: 10_000,
    pass: async () => { n++; if (n === 1) throw 'a string'; if (n === 2) throw undefined; },
    log: () => { throw new Error('log broken'); },
  });
  l.trigger('a'); await sleep(30); await l.idle();
  l.trigger('b'); await sleep(30); await l.idle();
  l.trigger('c'); await sleep(30); await l.idle();
  t.is(n, 3);
  await l.stop();
});

test('the periodic tick triggers passes; stop waits for the running pass and ends all timers', async (t) => {
  const clock = manualClock();
  const { calls, pass } = clockedPass(clock, 30);
  const l = loop({ pass, timers: clock.timers, intervalMs: 50, debounceMs: 1 });
  l.start();
  await clock.advance(180); // passes at 1 (start), 51, 101, 151 (ticks at 50, 100, 150); the last runs until 181
  t.deepEqual(calls, [['start'], ['periodic tick'], ['periodic tick'], ['periodic tick']]);
  l.trigger('x');
  let stopped = false;
  const stopping = l.stop().then(() => { stopped = true; });
  await clock.advance(0);
  t.false(stopped, 'stop waits for the running pass');
  await clock.advance(1);
  await stopping;
  t.is(clock.timersLeft(), 0, 'no timer is left');
  l.trigger('after stop');
  await clock.advance(1000);
  t.is(calls.length, 4, 'nothing runs after stop, not even the reason that came during the last pass');
});

test('settle: served events wait for quiet (bounded by settleMaxMs); a plain trigger still runs after the short debounce', async (t) => {
  const clock = manualClock();
  const { calls, pass } = clockedPass(clock, 5);
  const l = loop({ pass, timers: clock.timers, debounceMs: 10, settleMs: 60, settleMaxMs: 150 });
  // never 60 ms of quiet (one every 25 ms): only the bound, 150 ms after the first, fires the pass
  for (let i = 0; i < 5; i++) { l.settle(`served ${i}`); await clock.advance(25); }
  await clock.advance(149 - clock.now());
  t.is(calls.length, 0, 'no pass before settleMaxMs');
  await clock.advance(1);
  t.is(calls.length, 1, 'one pass at settleMaxMs');
  t.deepEqual(calls[0], ['served 0', 'served 1', 'served 2', 'served 3', 'served 4']);
  await clock.advance(200);
  t.is(calls.length, 1, 'and no other');

  l.settle('served late');
  await clock.advance(20);
  t.is(calls.length, 1, 'still waiting for quiet');
  l.trigger('needs the pass');
  await clock.advance(9);
  t.is(calls.length, 1, 'the debounce is not over');
  await clock.advance(1);
  t.is(calls.length, 2, 'the trigger ran after the short debounce, not after settleMs');
  t.deepEqual(calls[1], ['served late', 'needs the pass']);

  await clock.advance(200);
  l.settle('served alone');
  await clock.advance(59);
  t.is(calls.length, 2, 'a served event waits for settleMs of quiet');
  await clock.advance(1);
  t.is(calls.length, 3);
  t.deepEqual(calls[2], ['served alone']);
  await clock.advance(5);
  await l.stop();
});

test('a failed pass logs the error\'s hint, so the agent\'s log says what to run', async (t) => {
  const logs: unknown[][] = [];
  const l = loop({ pass: async () => { throw new PreconditionError('an interrupted docker ipv6 enable left a rollback unfinished', 'run docker ipv6 enable or docker ipv6 disable'); } }, logs);
  l.trigger('start');
  const deadline = Date.now() + 2000;
  while (!logs.length && Date.now() < deadline) await sleep(10);
  await l.stop();
  t.is(logs[0][0], 'error');
  t.like(logs[0][2] as object, { error: 'an interrupted docker ipv6 enable left a rollback unfinished', hint: 'run docker ipv6 enable or docker ipv6 disable' });
});
