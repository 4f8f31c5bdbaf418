// Docker event subscription: lines split across chunks, reconnect with backoff, stop ends everything.
import test from 'ava';
import { PassThrough } from 'node:stream';
import { describeEvent, EventWatcher, type DockerEvent, type EventSource } from '../../../src/agent/events';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fails `downFor` times (dockerd down), then hands out streams; opening while one is live is a bug. */
class FakeSource implements EventSource {
  opens = 0;
  live?: PassThrough;
  constructor(private downFor: number) {}
  async open() {
    this.opens++;
    if (this.live && !this.live.destroyed) throw new Error('fake source: open while a stream is live');
    if (this.downFor-- > 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    this.live = new PassThrough();
    return this.live;
  }
}

test('events are parsed across chunk boundaries; bad lines are skipped; dockerd restarts reconnect with backoff', async (t) => {
  const src = new FakeSource(2);
  const events: DockerEvent[] = [];
  const connects: number[] = [];
  const logs: string[] = [];
  const w = new EventWatcher(src, { onEvent: (e) => events.push(e), onConnect: (n) => connects.push(n), log: (_l, m) => logs.push(m), backoffMinMs: 10, backoffMaxMs: 40 });
  w.start();
  await sleep(80);
  t.deepEqual(connects, [1]);
  t.is(src.opens, 3);
  src.live!.write('{"Type":"network","Action":"create","Actor":{"ID":"abc","Attributes":{"name":"n1"}}}\n{"Type":"cont');
  src.live!.write('ainer","Action":"start","Actor":{"ID":"0123456789abcdef","Attributes":{"name":"c1"}}}\nnot json\n');
  await sleep(10);
  t.deepEqual(events.map(describeEvent), ['docker network create n1', 'docker container start c1']);
  t.true(logs.includes('ignored an event'));
  src.live!.end(); // dockerd restarted
  await sleep(60);
  t.deepEqual(connects, [1, 2]);
  w.stop();
  t.true(src.live!.destroyed);
  await sleep(50);
  t.is(src.opens, 4, 'no reconnect after stop');
});

test('an onEvent handler that throws does not end the subscription', async (t) => {
  const src = new FakeSource(0);
  let n = 0;
  const w = new EventWatcher(src, { onEvent: () => { n++; throw new Error('handler bug'); }, onConnect: () => {}, log: () => {} });
  w.start();
  await sleep(10);
  src.live!.write('{"Type":"container","Action":"die"}\n{"Type":"container","Action":"die"}\n');
  await sleep(10);
  t.is(n, 2);
  t.false(src.live!.destroyed);
  w.stop();
});
