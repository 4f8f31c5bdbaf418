// The agent's fast path against the strict reconcile fakes: it adds exactly what the full pass would
// (so the pass after it changes nothing), survives storms and out-of-order events, and a failure
// leaves the repair to the full pass.
import test from 'ava';
import { FastPath, type FastDeps } from '../../../src/agent/fastpath';
import type { DockerEvent } from '../../../src/agent/events';
import { ReconcileLoop } from '../../../src/agent/loop';
import { describeChange, reconcileOnce } from '../../../src/reconcile';
import { ctr, enabledState, net, world, type World } from '../../fakes/reconcile';

const NDP = '2001:db8:1:0:8000::/65';
const ROUTED = '2001:db8:100::/48';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fastWorld(w: World, o: { inspectMs?: number } = {}) {
  const logs: unknown[][] = [];
  const inspects: string[] = [];
  let inFlight = false;
  const deps: FastDeps = {
    async inspectContainer(id) {
      inspects.push(id);
      if (o.inspectMs) await sleep(o.inspectMs);
      const c = w.containers.find((x) => x.Id === id);
      return c && { Id: c.Id, Name: c.Names![0], State: { Running: c.State === 'running' }, NetworkSettings: JSON.parse(JSON.stringify(c.NetworkSettings)) };
    },
    async inspectNetwork(id) { inspects.push(id); return w.networks.find((n) => n.Id === id); },
    net: async () => w.net,
    restore: (b) => w.fw.restore(b),
    readState: w.deps.readState,
    writeState: w.deps.writeState,
    async exclusive(fn) {
      if (inFlight) throw new Error('fake: two exclusive sections at once');
      inFlight = true;
      try { return await fn(); } finally { inFlight = false; }
    },
    log: (...a) => { logs.push(a); },
    describeChange,
  };
  const fp = new FastPath(deps);
  const pass = async () => { const r = await reconcileOnce(w.deps); fp.setView(r.view); return r; };
  return { fp, logs, inspects, pass, deps };
}

const ev = (Type: string, Action: string, ID: string, name = ID.slice(0, 4)): DockerEvent => ({ Type, Action, Actor: { ID, Attributes: { name } } });

test('ndp: a started container gets its entry at once, tagged ours, no file written; die removes it; the full pass after changes nothing', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:1:0:8000::/73', '2001:db8:1:0:8000::1')];
  const { fp, logs, pass } = fastWorld(w);
  await pass();
  t.false(fp['view']!.tagsKept, 'no tagged entry seen yet: the kernel has not shown that it keeps the tag');
  await pass();
  t.true(fp['view']!.tagsKept, 'the gateway entry the first pass added carries the tag');
  const restores = w.fw.restores.length;
  w.containers = [ctr('c1', { bridge: '2001:db8:1:0:8000::2' })];
  await fp.handle(ev('container', 'start', w.containers[0].Id), 'docker container start c1');
  t.deepEqual([...w.net.proxies.keys()].sort(), ['2001:db8:1:0:8000::1%2', '2001:db8:1:0:8000::2%2']);
  t.true(w.net.tagged.has('2001:db8:1:0:8000::2%2'), 'the entry carries our NDA_PROTOCOL tag');
  t.deepEqual(w.state!.proxies!.map((p) => p.address), ['2001:db8:1:0:8000::1'], 'the state waits for the full pass');
  t.deepEqual(w.net.ops.slice(-1), ['+proxy 2001:db8:1:0:8000::2']);
  t.is(logs[0][1], 'add proxy 2001:db8:1:0:8000::2 on eth0: container c1 runs on network bridge');
  t.like(logs[0][2], { because: ['docker container start c1'], fast: true });
  t.deepEqual((await pass()).changes, [], 'the full pass finds nothing left to do');
  t.deepEqual(w.state!.proxies!.map((p) => p.address).sort(), ['2001:db8:1:0:8000::1', '2001:db8:1:0:8000::2'], 'and records the entry');
  t.is(w.fw.restores.length, restores);

  const id = w.containers[0].Id;
  w.containers = [];
  await fp.handle(ev('container', 'die', id), 'docker container die c1');
  t.deepEqual([...w.net.proxies.keys()], ['2001:db8:1:0:8000::1%2']);
  t.deepEqual((await pass()).changes, []);
  t.deepEqual(w.state!.proxies, [{ address: '2001:db8:1:0:8000::1', ifname: 'eth0' }]);
  t.is(fp.failed, 0);
});

test('ndp: the agent dies between the fast path and its pass: the next pass knows the entry as ours by its tag and removes it once its container is gone; a foreign entry stays', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:1:0:8000::/73', '2001:db8:1:0:8000::1')];
  const { fp, pass } = fastWorld(w);
  await pass(); await pass(); // the second pass sees the gateway entry tagged
  w.net.proxies.set('2001:db8:1:0:8000::77%2', 2); // someone else's entry inside our prefix, untagged
  w.containers = [ctr('c1', { bridge: '2001:db8:1:0:8000::2' })];
  await fp.handle(ev('container', 'start', w.containers[0].Id), 'docker container start c1');
  t.false(w.state!.proxies!.some((p) => p.address === '2001:db8:1:0:8000::2'));
  // (crash: no pass ran) the container stops while no agent runs; a new agent's first pass
  w.containers = [];
  const r = await reconcileOnce(w.deps);
  t.deepEqual(r.changes.map((c) => `${c.action} ${c.target}`), ['remove 2001:db8:1:0:8000::2 on eth0']);
  t.deepEqual([...w.net.proxies.keys()].sort(), ['2001:db8:1:0:8000::1%2', '2001:db8:1:0:8000::77%2']);
  t.deepEqual(w.state!.proxies, [{ address: '2001:db8:1:0:8000::1', ifname: 'eth0' }]);
  // --cleanup takes ours (state and tag) and leaves the foreign one
  const c = await reconcileOnce(w.deps, { cleanup: true });
  t.deepEqual(c.changes.filter((x) => x.kind === 'proxy').map((x) => `${x.action} ${x.target}`), ['remove 2001:db8:1:0:8000::1 on eth0']);
  t.deepEqual([...w.net.proxies.keys()], ['2001:db8:1:0:8000::77%2']);
});

test('routed: a new network\'s rules are inserted where the full pass puts them, so that pass restores nothing', async (t) => {
  const w = world(enabledState('routed', ROUTED));
  w.networks = [net('n1', '1'.repeat(64), '2001:db8:100:1::/64'), net('n3', '3'.repeat(64), '2001:db8:100:3::/64')];
  w.containers = [ctr('web', { n3: '2001:db8:100:3::2' }, [[80, 'tcp']])];
  const { fp, pass, inspects } = fastWorld(w);
  await pass();
  const restores = w.fw.restores.length;
  w.networks.push(net('n2', '2'.repeat(64), '2001:db8:100:2::/64'));
  await fp.handle(ev('network', 'create', '2'.repeat(64)), 'docker network create n2');
  t.deepEqual(inspects, ['2'.repeat(64)]);
  t.is(w.fw.restores.length, restores + 1);
  // between n1's and n3's blocks on each side: from the bridge after n1's, toward it after n1's
  t.regex(w.fw.restores.at(-1)!, /^\*filter\n-I D6-FORWARD 6 -i br-222222222222 -o br-222222222222 [^\n]*\n(-I D6-FORWARD \d+ -i br-222222222222 [^\n]*\n){3}-I D6-FORWARD 16 -o br-222222222222 [^\n]* -j D6-INBOUND\n-I D6-FORWARD 17 -o br-222222222222 [^\n]* -j DROP\nCOMMIT\n$/);
  t.true(w.fw.tables.filter.rules['D6-FORWARD'].includes(`-o br-${'2'.repeat(12)} -m comment --comment docker-ipv6 -j DROP`));
  t.deepEqual((await pass()).changes, []);
  t.is(w.fw.restores.length, restores + 1, 'rules already in the order the pass wants');
  // the same network again (a replayed event): nothing; one outside the prefix: its rules too (the filter covers every bridge)
  w.networks.push(net('outside', '4'.repeat(64), 'fd99::/64'));
  await fp.handle(ev('network', 'create', '2'.repeat(64)), 'again');
  t.is(w.fw.restores.length, restores + 1);
  await fp.handle(ev('network', 'create', '4'.repeat(64)), 'outside');
  t.is(w.fw.restores.length, restores + 2);
  t.true(w.fw.tables.filter.rules['D6-FORWARD'].includes(`-o br-${'4'.repeat(12)} -m comment --comment docker-ipv6 -j DROP`));
  t.deepEqual((await pass()).changes, [], 'the full pass agrees');
});

test('nat-by-us: a new network gets its masquerade rule at the end of our chain', async (t) => {
  const w = world(enabledState('nat', 'fd00:1::/48', true));
  w.networks = [net('bridge', 'b'.repeat(64), 'fd00:1::/64')];
  const { fp, pass } = fastWorld(w);
  await pass();
  w.networks.push(net('n9', '9'.repeat(64), 'fd00:1:0:9::/64'));
  await fp.handle(ev('network', 'create', '9'.repeat(64)), 'docker network create n9');
  t.deepEqual(w.fw.tables.nat.rules['D6-NAT'], [
    `-s fd00:1::/64 ! -o docker0 -m comment --comment docker-ipv6 -j MASQUERADE`,
    `-s fd00:1:0:9::/64 ! -o br-${'9'.repeat(12)} -m comment --comment docker-ipv6 -j MASQUERADE`,
  ]);
  t.deepEqual((await pass()).changes, []);
});

test('an event storm through the loop: every start served by the fast path, few full passes, final state exact', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:1:0:8000::/73', '2001:db8:1:0:8000::1')];
  const { fp, pass, inspects } = fastWorld(w);
  let passes = 0;
  const loop = new ReconcileLoop({ debounceMs: 20, intervalMs: 60_000, retryMs: 30, log: () => {}, pass: async () => { passes++; await pass(); } });
  loop.trigger('start');
  await sleep(40); await loop.idle();
  const all = Array.from({ length: 60 }, (_, i) => ctr(`s${i}`, { bridge: `2001:db8:1:0:8000::${(i + 2).toString(16)}` }));
  const jobs: Array<Promise<unknown>> = [];
  for (const c of all) {
    w.containers.push(c);
    jobs.push(fp.handle(ev('container', 'start', c.Id), `start ${c.Names![0]}`));
    loop.trigger(`start ${c.Names![0]}`);
  }
  for (const c of all.slice(0, 30)) { // half stop again
    w.containers = w.containers.filter((x) => x !== c);
    jobs.push(fp.handle(ev('container', 'die', c.Id), 'die'));
    loop.trigger('die');
  }
  await Promise.all(jobs);
  await sleep(40); await loop.idle();
  t.is(inspects.length, 60, 'one inspect per start, none per die');
  t.true(passes <= 4, `${passes} full passes`);
  t.is(fp.failed, 0);
  t.is(w.net.proxies.size, 31);
  t.deepEqual((await pass()).changes, []);
  await loop.stop();
});

test('out of order: a die before its start, and a start whose container already stopped, add nothing', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:1:0:8000::/73', '2001:db8:1:0:8000::1')];
  const { fp, pass } = fastWorld(w, { inspectMs: 5 });
  await pass();
  const c = ctr('late', { bridge: '2001:db8:1:0:8000::9' });
  await fp.handle(ev('container', 'die', c.Id), 'die first');
  t.is(w.net.proxies.size, 1);
  w.containers = [{ ...c, State: 'exited' }];
  await fp.handle(ev('container', 'start', c.Id), 'start of a container that already stopped');
  t.is(w.net.proxies.size, 1);
  // start and die queued back to back while the inspect is slow: served in order, nothing left behind
  w.containers = [c];
  const a = fp.handle(ev('container', 'start', c.Id), 'start');
  const b = fp.handle(ev('container', 'die', c.Id), 'die');
  w.containers = [];
  await Promise.all([a, b]);
  t.deepEqual([...w.net.proxies.keys()], ['2001:db8:1:0:8000::1%2']);
  t.deepEqual((await pass()).changes, []);
  t.is(fp.failed, 0);
});

test('a fast path error drops the view: later events wait for the full pass, which repairs everything', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:1:0:8000::/73', '2001:db8:1:0:8000::1')];
  const { fp, pass, logs } = fastWorld(w);
  await pass();
  w.net.failAfter = w.net.ops.length; // the next netlink call fails
  w.containers = [ctr('x', { bridge: '2001:db8:1:0:8000::a' })];
  await fp.handle(ev('container', 'start', w.containers[0].Id), 'start x');
  t.is(fp.failed, 1);
  t.false(fp.ready);
  t.regex(String(logs.at(-1)![1]), /fast path failed/);
  w.net.failAfter = Infinity;
  w.containers.push(ctr('y', { bridge: '2001:db8:1:0:8000::b' }));
  await fp.handle(ev('container', 'start', w.containers[1].Id), 'start y');
  t.is(w.net.proxies.size, 1, 'no fast path without a view');
  const r = await pass();
  t.deepEqual(r.changes.map((c) => c.target).sort(), ['2001:db8:1:0:8000::a on eth0', '2001:db8:1:0:8000::b on eth0']);
  t.true(fp.ready);
  t.deepEqual((await pass()).changes, []);
});

test('while the tool lock is held elsewhere the event is left to the full pass', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:1:0:8000::/73', '2001:db8:1:0:8000::1')];
  const { fp, pass, deps } = fastWorld(w);
  await pass();
  deps.exclusive = async () => { throw new Error('another docker ipv6 apply is running'); };
  w.containers = [ctr('z', { bridge: '2001:db8:1:0:8000::c' })];
  await fp.handle(ev('container', 'start', w.containers[0].Id), 'start z');
  t.is(w.net.proxies.size, 1);
  t.is(fp.failed, 1);
  t.deepEqual((await pass()).changes.map((c) => c.action), ['add']);
});

test('ndp: network connect/disconnect around a start and die need no full pass; connecting a running container proxies its new address', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:1:0:8000::/73', '2001:db8:1:0:8000::1'), net('other', 'o'.repeat(64), '2001:db8:1:0:8080::/73', '2001:db8:1:0:8080::1')];
  const { fp, pass } = fastWorld(w);
  await pass();
  const attach = (action: string, cid: string): DockerEvent => ({ Type: 'network', Action: action, Actor: { ID: 'b'.repeat(64), Attributes: { container: cid, name: 'bridge' } } });
  // connect comes before start: the container does not run yet, the start event brings the change
  w.containers = [ctr('c1', { bridge: '2001:db8:1:0:8000::2' })];
  w.containers[0].State = 'created';
  t.true(await fp.handle(attach('connect', w.containers[0].Id), 'docker network connect'));
  t.false([...w.net.proxies.keys()].includes('2001:db8:1:0:8000::2%2'));
  w.containers[0].State = 'running';
  t.true(await fp.handle(ev('container', 'start', w.containers[0].Id), 'docker container start c1'));
  // a running container joins another network: its new address is proxied at once
  w.containers[0].NetworkSettings!.Networks!.other = { GlobalIPv6Address: '2001:db8:1:0:8080::2' } as never;
  t.true(await fp.handle(attach('connect', w.containers[0].Id), 'docker network connect other'));
  t.true([...w.net.proxies.keys()].includes('2001:db8:1:0:8080::2%2'));
  // leaving a network while running is the full pass's job; after the die, disconnect needs nothing
  t.false(await fp.handle(attach('disconnect', w.containers[0].Id), 'docker network disconnect'));
  const id = w.containers[0].Id;
  w.containers = [];
  t.true(await fp.handle(ev('container', 'die', id), 'docker container die c1'));
  t.true(await fp.handle(attach('disconnect', id), 'docker network disconnect after die'));
  t.deepEqual((await pass()).changes, [], 'the full pass finds nothing left to do');
});

test('container create and destroy change nothing of ours: no full pass is asked for', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:1:0:8000::/73', '2001:db8:1:0:8000::1')];
  const { fp, pass, inspects } = fastWorld(w);
  await pass();
  t.true(await fp.handle(ev('container', 'create', 'c'.repeat(64)), 'docker container create'));
  t.true(await fp.handle(ev('container', 'destroy', 'c'.repeat(64)), 'docker container destroy'));
  t.deepEqual(inspects, []);
  t.false(await fp.handle(ev('network', 'destroy', 'b'.repeat(64)), 'docker network destroy'), 'a removed network is the full pass\'s job');
});

test('a guarded full pass observes while the fast path serves events; a change during its observation makes it observe again, and it never undoes the fast path', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:1:0:8000::/73', '2001:db8:1:0:8000::1')];
  const { fp, pass, deps } = fastWorld(w);
  await pass();
  // one serialiser for the fast path and the pass's apply phase, as in the agent
  let tail: Promise<unknown> = Promise.resolve();
  let holding = '';
  const serial = <T>(who: string, fn: () => Promise<T>): Promise<T> => {
    const p = tail.then(async () => { if (holding) throw new Error(`${who} inside ${holding}`); holding = who; try { return await fn(); } finally { holding = ''; } });
    tail = p.catch(() => undefined);
    return p;
  };
  deps.exclusive = (fn) => serial('fast path', fn);
  const settled: unknown[] = [];
  const guard = { generation: () => fp.generation, exclusive: <T>(fn: () => Promise<T>) => serial('pass', fn), settled: (v: unknown) => { settled.push(v); fp.setView(v as never); } };
  // while the pass lists containers (Docker already reports c1 running), c1's start event is served
  const c1 = ctr('c1', { bridge: '2001:db8:1:0:8000::2' });
  const lister = await w.deps.docker();
  let served: Promise<boolean> | undefined;
  let lists = 0;
  const guarded = { ...w.deps, docker: async () => ({ ...lister, listContainers: async () => {
    lists++;
    const before = await lister.listContainers();
    if (lists === 1) { w.containers = [c1]; served = fp.handle(ev('container', 'start', c1.Id), 'docker container start c1'); await served; }
    return before;
  } }) };
  const r = await reconcileOnce(guarded, { guard });
  t.true(await served!, 'the fast path did not wait for the pass');
  t.is(r.observations, 2, 'the first observation predates the fast path change: observed again');
  t.deepEqual(r.changes, [], 'the second observation already sees the entry');
  t.is(settled.length, 1);
  t.true(w.net.tagged.has('2001:db8:1:0:8000::2%2'));
  t.deepEqual(w.state!.proxies!.map((p) => p.address).sort(), ['2001:db8:1:0:8000::1', '2001:db8:1:0:8000::2']);
  // a fast path busy at every observation: the third observes with the fast path held and applies
  let n = 0;
  const holders: string[] = [];
  const busy = { ...w.deps, readState: async () => { holders.push(holding); if (!holding) n++; return w.deps.readState(); } };
  const g2 = { ...guard, generation: () => n };
  const r2 = await reconcileOnce(busy, { guard: g2 });
  t.is(r2.observations, 3);
  t.deepEqual(holders, ['', '', 'pass'], 'the first two observe alongside the fast path, the third holds it');
  t.deepEqual(r2.changes, []);
  t.is(fp.failed, 0);
});

test('ndp on a kernel that drops the tag (before 5.2): the fast path records the entry in the state before adding it', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.net.keepsTags = false;
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:1:0:8000::/73', '2001:db8:1:0:8000::1')];
  const { fp, pass } = fastWorld(w);
  await pass(); await pass();
  t.false(fp['view']!.tagsKept);
  w.containers = [ctr('c1', { bridge: '2001:db8:1:0:8000::2' })];
  let stateWhenAdded: string[] | undefined;
  const add = w.net.addProxy.bind(w.net);
  w.net.addProxy = async (a, i) => { stateWhenAdded = (w.state!.proxies ?? []).map((p) => p.address); return add(a, i); };
  await fp.handle(ev('container', 'start', w.containers[0].Id), 'docker container start c1');
  t.deepEqual(stateWhenAdded, ['2001:db8:1:0:8000::1', '2001:db8:1:0:8000::2'], 'intent first');
  // crash now (no pass); the container stops; a new agent's pass removes the entry: the state owns it
  w.containers = [];
  const r = await reconcileOnce(w.deps);
  t.deepEqual(r.changes.map((c) => `${c.action} ${c.target}`), ['remove 2001:db8:1:0:8000::2 on eth0']);
});

test('a pass that observes while a fast-path removal is in flight observes again instead of deleting the entry twice', async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:1:0:8000::/73', '2001:db8:1:0:8000::1')];
  const c1 = ctr('c1', { bridge: '2001:db8:1:0:8000::2' });
  w.containers = [c1];
  const { fp, pass, deps } = fastWorld(w);
  await pass(); await pass();
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => { const p = tail.then(fn); tail = p.catch(() => undefined); return p; };
  deps.exclusive = serial;
  const guard = { generation: () => fp.generation, exclusive: serial, settled: (v: unknown) => fp.setView(v as never) };
  // the removal is slow; the pass begins while it is in flight (Docker already lists c1 as gone)
  const del = w.net.delProxy.bind(w.net);
  let inFlight!: () => void;
  const started = new Promise<void>((r) => { inFlight = r; });
  w.net.delProxy = async (a, i) => { inFlight(); await sleep(30); return del(a, i); };
  w.containers = [];
  const die = fp.handle(ev('container', 'die', c1.Id), 'docker container die c1');
  await started;
  const r = await reconcileOnce(w.deps, { guard });
  t.true(await die);
  t.is(r.observations, 2, 'the generation moved when the removal finished: observed again');
  t.deepEqual(r.changes, []);
  t.true(fp.ready);
  t.is(fp.failed, 0);
  t.deepEqual([...w.net.proxies.keys()], ['2001:db8:1:0:8000::1%2']);
});

test("ndp: a new network's gateway entry goes in before its rules' process starts (that start holds the agent's thread)", async (t) => {
  const w = world(enabledState('ndp', NDP));
  w.networks = [net('n1', '1'.repeat(64), '2001:db8:1:0:8100::/80')];
  const { fp, pass, deps } = fastWorld(w);
  await pass();
  const order: string[] = [];
  const restore = deps.restore;
  deps.restore = async (b) => { order.push(`restore after ${w.net.ops.filter((o) => o.startsWith('+proxy')).at(-1)}`); return restore(b); };
  w.networks.push(net('n2', '2'.repeat(64), '2001:db8:1:0:8200::/80'));
  t.true(await fp.handle(ev('network', 'create', '2'.repeat(64)), 'docker network create n2'));
  t.deepEqual(order, ['restore after +proxy 2001:db8:1:0:8200::1']);
  t.deepEqual((await pass()).changes, [], 'the full pass agrees');
});
