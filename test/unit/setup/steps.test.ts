// Enable's transaction steps as data: the filter chain before forwarding and the restart, the routed
// prefix's unreachable route journaled and recorded as reconcile records it, NDP entries journaled in prepare.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { RunContext } from '../../../src/cli/context';
import { newProxies } from '../../../src/setup/net-steps';
import { planEnable, type EnableOptions } from '../../../src/setup/plan';
import { enableSteps } from '../../../src/setup/steps';
import { toolUndoRegistry } from '../../../src/transaction/tool-undo';
import type { HostAdapters } from '../../../src/host/interfaces';
import { routeKey } from '../../../src/reconcile/desired';
import type { HostSnapshot } from '../../../src/observe/snapshot';
import { snapshot } from '../../helpers/snapshot';
import { fakeHost, type FakeHost } from '../../fakes/host';

const opts = (prefix: string): EnableOptions => ({ prefix, mode: 'auto', randomDraws: [Uint8Array.from([1, 2, 3, 4, 5])], sysctlConfPath: '/etc/sysctl.d/60-docker-ipv6.conf' });

/** A context on a fake host rooted at a temp folder; `fake` is the host the steps would change. */
function context(t: ExecutionContext): RunContext & { fake: FakeHost } {
  const dir = mkdtempSync(join(tmpdir(), 'steps-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fake = fakeHost({ root: dir });
  return {
    note() {}, globals: { restartCommand: ['true'] }, host: fake.host, fake,
    endpoint: () => ({ host: 'unix:///var/run/docker.sock', source: 'default', local: true }),
    paths: { stateDir: dir, stateFile: join(dir, 'state.json') },
  } as unknown as RunContext & { fake: FakeHost };
}

/** The snapshot with daemon.json where the fake host keeps it (the fake refuses any other path). */
const under = (ctx: RunContext & { fake: FakeHost }, snap: HostSnapshot): HostSnapshot => ({ ...snap, daemonConfig: { ...snap.daemonConfig, path: ctx.fake.daemon.path } });

const registry = (ctx: RunContext) => ({ registry: toolUndoRegistry(ctx) });

test('routed: D6-FORWARD and the unreachable route come before forwarding and the restart; the chain is rendered again after it', (t) => {
  const ctx = context(t);
  const snap = under(ctx, snapshot());
  const steps = enableSteps(ctx, planEnable(snap, opts('2001:db8:2::/48')), snap, registry(ctx));
  const ids = steps.map((s) => s.id);
  const at = (id: string) => { const i = ids.indexOf(id); t.true(i >= 0, `${id} in ${ids.join(', ')}`); return i; };
  t.is(ids[0], 'firewall-filter', 'nothing is forwarded before the filter chain holds');
  t.true(at('unreachable-route') < at('sysctl:net.ipv6.conf.all.forwarding'));
  t.true(at('firewall-filter') < at('write-daemon-json') && at('firewall-filter') < at('restart-dockerd'));
  t.true(at('firewall-filter-networks') > at('restart-dockerd'), 'published ports and networks after the restart');
  t.truthy(steps[0].prepare, 'the chain\'s undo record is journaled before the chain exists');
  t.truthy(steps[at('unreachable-route')].prepare);
});

test('nat mode has no filter chain and no route; ndp journals its proxy entries in prepare', (t) => {
  const ctx = context(t);
  const snap = under(ctx, snapshot());
  const nat = enableSteps(ctx, planEnable(snap, opts('auto')), snap, registry(ctx)).map((s) => s.id);
  t.false(nat.some((id) => id.startsWith('firewall-filter') || id === 'unreachable-route'));
  const ndp = enableSteps(ctx, planEnable(snap, opts('2001:db8:1:0:8000::/80')), snap, registry(ctx));
  const step = ndp.find((s) => s.id === 'ndp-proxies')!;
  t.is(typeof step.prepare, 'function', 'the entries are known (and journaled) before the first one is added');
  t.is(step.undo, undefined, 'undone through the registry, as a recovery after a kill does');
  t.false(ndp.some((s) => s.id === 'unreachable-route'));
});

test('the undo kinds for proxy lists and routes are registered, with manual fixes', (t) => {
  const reg = toolUndoRegistry({ host: {} as HostAdapters, globals: { restartCommand: ['true'], configFile: '/x' }, paths: { stateDir: '/s', stateFile: '/s/state.json', sysctlConf: '/c' }, endpoint: () => ({ host: 'unix:///x', source: 'test', local: true }) } as never);
  t.true(reg.has('proxies'));
  t.true(reg.has('route'));
  t.is(reg.describe({ kind: 'proxies', entries: [{ address: '2001:db8:1:0:8000::1', ifname: 'eth0' }] }, ''), 'removed the NDP proxy entries 2001:db8:1:0:8000::1');
});

test('only entries not present yet are this run\'s to undo (any spelling of an address)', (t) => {
  const want = [{ address: '2001:db8:1:0:8000::1', ifname: 'eth0' }, { address: '2001:db8:1:0:8000::2', ifname: 'eth0' }, { address: '2001:db8:1:0:8000::2', ifname: 'eth1' }];
  t.deepEqual(newProxies(want, new Set(['2001:db8:1:0:8000::1%eth0'])), want.slice(1));
  t.deepEqual(newProxies([{ address: '2001:0db8:0001:0000:8000:0000:0000:0001', ifname: 'eth0' }], new Set(['2001:db8:1:0:8000::1%eth0'])), []);
});

test('routed: the state records the unreachable route with reconcile\'s key, kept alongside an earlier one', async (t) => {
  const ctx = context(t);
  const snap = under(ctx, snapshot({ state: { version: 1, prefix: '2001:db8:2::/48', routes: ['unreachable 2001:db8:9::/48'] } }));
  const plan = planEnable(snap, opts('2001:db8:2::/48'));
  const write = enableSteps(ctx, plan, snap, registry(ctx)).find((s) => s.id === 'write-state')!;
  await write.apply(new AbortController().signal);
  const state = ctx.fake.state.value!;
  t.is(ctx.fake.state.writes.length, 1, 'the state goes through the host\'s state file, once');
  t.deepEqual(state.routes, ['unreachable 2001:db8:9::/48', routeKey({ type: 'unreachable', dst: '2001:db8:2::/48' })]);
  t.is(state.routes?.[1], 'unreachable 2001:db8:2::/48');
});
