// The agent loop against strict fakes: storms collapse, failures are retried, nothing kills the loop.
import test from 'ava';
import { ReconcileLoop, type LoopOptions } from '../../../src/agent/loop';
import type { Logger } from '../../../src/agent/log';
import { PreconditionError } from '../../../src/errors';

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
  const p = strictPass(async () => { await sleep(30); });
  const l = loop({ pass: p.pass, intervalMs: 50, debounceMs: 1 });
  l.start();
  await sleep(180);
  t.true(p.calls.length >= 2, `${p.calls.length} passes`);
  t.true(p.calls.slice(1).every((r) => r.includes('periodic tick')));
  l.trigger('x');
  await sleep(3);
  await l.stop();
  const after = p.calls.length;
  l.trigger('after stop');
  await sleep(120);
  t.is(p.calls.length, after);
});

test('settle: served events wait for quiet (bounded by settleMaxMs); a plain trigger still runs after the short debounce', async (t) => {
  const p = strictPass();
  const l = loop({ pass: p.pass, debounceMs: 10, settleMs: 60, settleMaxMs: 150 });
  const t0 = Date.now();
  for (let i = 0; i < 5; i++) { l.settle(`served ${i}`); await sleep(25); } // never 60 ms quiet: the bound fires it
  await sleep(80);
  await l.idle();
  t.is(p.calls.length, 1);
  t.deepEqual(p.calls[0], ['served 0', 'served 1', 'served 2', 'served 3', 'served 4']);
  t.true(Date.now() - t0 >= 150);
  l.settle('served late');
  await sleep(20);
  t.is(p.calls.length, 1, 'still waiting for quiet');
  l.trigger('needs the pass');
  await sleep(30);
  await l.idle();
  t.is(p.calls.length, 2);
  t.deepEqual(p.calls[1], ['served late', 'needs the pass']);
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
