// Docker event subscription: lines split across chunks, reconnect with backoff, stop ends everything.
// The watcher runs on the manual clock: backoff is asserted to the millisecond, however busy the machine is.
import test from 'ava';
import { PassThrough } from 'node:stream';
import { describeEvent, EventWatcher, type DockerEvent, type EventSource } from '../../../src/agent/events';
import { manualClock } from '../../helpers/manual-clock';

/** Fails `downFor` times (dockerd down), then hands out streams; opening while one is live is a bug. */
class FakeSource implements EventSource {
  /** clock time of every open, failed or not */
  opens: number[] = [];
  live?: PassThrough;
  constructor(public downFor: number, private readonly now: () => number) {}
  async open() {
    this.opens.push(this.now());
    if (this.live && !this.live.destroyed) throw new Error('fake source: open while a stream is live');
    if (this.downFor-- > 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    this.live = new PassThrough();
    return this.live;
  }
}

test('events are parsed across chunk boundaries; bad lines are skipped; dockerd restarts reconnect with backoff', async (t) => {
  const clock = manualClock();
  const src = new FakeSource(4, clock.now);
  const events: DockerEvent[] = [];
  const connects: number[] = [];
  const logs: string[] = [];
  const retries: unknown[] = [];
  const w = new EventWatcher(src, {
    onEvent: (e) => events.push(e), onConnect: (n) => connects.push(n),
    log: (_l, m, f) => { logs.push(m); if (f?.retryInMs !== undefined) retries.push(f.retryInMs); },
    backoffMinMs: 10, backoffMaxMs: 40, timers: clock.timers,
  });
  w.start();
  await clock.advance(109);
  t.deepEqual(connects, [], 'dockerd is still down');
  await clock.advance(1);
  t.deepEqual(connects, [1]);
  t.deepEqual(src.opens, [0, 10, 30, 70, 110], 'the delay doubles from backoffMinMs and stops at backoffMaxMs');
  t.deepEqual(retries, [10, 20, 40, 40]);
  src.live!.write('{"Type":"network","Action":"create","Actor":{"ID":"abc","Attributes":{"name":"n1"}}}\n{"Type":"cont');
  src.live!.write('ainer","Action":"start","Actor":{"ID":"0123456789abcdef","Attributes":{"name":"c1"}}}\nnot json\n');
  await clock.advance(0);
  t.deepEqual(events.map(describeEvent), ['docker network create n1', 'docker container start c1']);
  t.true(logs.includes('ignored an event'));
  // dockerd restarts at 1110: the stream ends, the first try (10 ms later) finds it still down
  await clock.advance(1000);
  src.downFor = 1;
  src.live!.end();
  await clock.advance(29);
  t.deepEqual(connects, [1]);
  await clock.advance(1);
  t.deepEqual(connects, [1, 2]);
  t.deepEqual(src.opens.slice(5), [1120, 1140], 'a connection resets the backoff to backoffMinMs');
  t.deepEqual(retries.slice(4), [10, 20]);
  w.stop();
  t.true(src.live!.destroyed);
  await clock.advance(0); // the destroyed stream's close event comes now
  t.is(clock.timersLeft(), 0, 'no timer is left');
  await clock.advance(1000);
  t.is(src.opens.length, 7, 'no reconnect after stop');
  t.deepEqual(connects, [1, 2]);
});

test('an onEvent handler that throws does not end the subscription', async (t) => {
  const clock = manualClock();
  const src = new FakeSource(0, clock.now);
  let n = 0;
  const w = new EventWatcher(src, { onEvent: () => { n++; throw new Error('handler bug'); }, onConnect: () => {}, log: () => {}, timers: clock.timers });
  w.start();
  await clock.advance(0);
  src.live!.write('{"Type":"container","Action":"die"}\n{"Type":"container","Action":"die"}\n');
  await clock.advance(0);
  t.is(n, 2);
  t.false(src.live!.destroyed);
  w.stop();
});
