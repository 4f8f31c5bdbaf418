// `docker ipv6 renumber` against the strict fakes: Docker is not asked, the state is written twice (both outside
// routes owned while they are swapped, then the new one only) and the journal once; the agent's next full pass
// agrees; a rejected batch puts the old state, mapping and route back; a prefix the host holds is refused unchanged.
import test from 'ava';
import { existsSync } from 'node:fs';
import { runRenumber } from '../../../src/enable/renumber';
import { RolledBackError, UsageError } from '../../../src/errors';
import { hostDeps, reconcileOnce } from '../../../src/reconcile/index';
import type { ToolState } from '../../../src/model/state';
import { enabledState } from '../../fakes/reconcile';
import { fakeRun, type FakeRun } from '../../fakes/run';

const INSIDE = 'fd00:1::/48';
const OLD = '2001:db8:800::/48';
const NEW = '2001:db8:900::/48';

async function nptHost(t: import('ava').ExecutionContext): Promise<FakeRun> {
  const r = fakeRun();
  t.teardown(r.cleanup);
  const s = enabledState('routed', INSIDE);
  const state: ToolState = { ...s, mode: 'npt', outsidePrefix: OLD, enabled: { ...s.enabled!, natByUs: true, filterByUs: true } };
  r.fake.state.value = state;
  await reconcileOnce(hostDeps(r.ctx)); // as enable (and the agent) leave it
  return r;
}

test('renumber: no Docker call, one nat batch, the routes swapped; state written twice, journal once and gone; the full pass after it changes nothing', async (t) => {
  const r = await nptHost(t);
  const calls = r.fake.docker.calls.length;
  const writes = r.fake.state.writes.length;
  const restores = r.fake.fw.restores.length;
  await runRenumber(r.ctx, { outsidePrefix: '2001:DB8:900::/48' });
  t.is(r.fake.docker.calls.length, calls, `Docker asked: ${r.fake.docker.calls.slice(calls).join(', ')}`);
  t.is(r.fake.fw.restores.length, restores + 1);
  t.regex(r.fake.fw.restores.at(-1)!, /^\*nat\n[\s\S]*NETMAP --to 2001:db8:900::\/48/);
  t.deepEqual([...r.fake.net.unreachable].sort(), [INSIDE, NEW].sort());
  t.deepEqual(r.fake.state.writes.slice(writes).map((s) => [s.outsidePrefix, s.routes]), [
    [NEW, [`unreachable ${INSIDE}`, `unreachable ${OLD}`, `unreachable ${NEW}`]],
    [NEW, [`unreachable ${INSIDE}`, `unreachable ${NEW}`]],
  ]);
  t.false(existsSync(r.ctx.paths.journalFile));
  t.regex(r.out.text, /renumbered in \d+ ms: fd00:1::\/48 now leaves and is reached as 2001:db8:900::\/48 \(was 2001:db8:800::\/48\)/);
  t.regex(r.out.text, /The upstream router needs this route: 2001:db8:900::\/48 via 2001:db8:1::2/);
  t.is(r.fake.openSessions(), 0, 'the one netlink session is closed');
  const full = await reconcileOnce(hostDeps(r.ctx));
  t.deepEqual(full.changes, [], 'the agent agrees');
});

test('renumber: a rejected batch rolls back: the old state, the old mapping and route, no new route', async (t) => {
  const r = await nptHost(t);
  const before = JSON.stringify(r.fake.fw.tables.nat);
  const restore = r.fake.fw.restore.bind(r.fake.fw);
  r.fake.fw.restore = async (b: string) => { if (b.includes(NEW)) throw new Error('ip6tables-restore: line 5 failed'); return restore(b); };
  const e = await t.throwsAsync(runRenumber(r.ctx, { outsidePrefix: NEW }), { instanceOf: RolledBackError });
  t.regex(e!.message, /line 5 failed/);
  t.is(r.fake.state.value?.outsidePrefix, OLD);
  t.deepEqual(r.fake.state.value?.routes, [`unreachable ${INSIDE}`, `unreachable ${OLD}`]);
  t.is(JSON.stringify(r.fake.fw.tables.nat), before, 'the old mapping stays');
  t.deepEqual([...r.fake.net.unreachable].sort(), [INSIDE, OLD].sort());
  t.false(existsSync(r.ctx.paths.journalFile));
  r.fake.fw.restore = restore;
  t.deepEqual((await reconcileOnce(hostDeps(r.ctx))).changes, []);
});

test('renumber: an outside prefix holding the host\'s own address is refused before any change', async (t) => {
  const r = await nptHost(t);
  const writes = r.fake.state.writes.length;
  const restores = r.fake.fw.restores.length;
  const e = await t.throwsAsync(runRenumber(r.ctx, { outsidePrefix: '2001:db8:1::/48' }), { instanceOf: UsageError });
  t.regex(e!.message, /2001:db8:1::\/48/);
  t.is(r.fake.state.writes.length, writes);
  t.is(r.fake.fw.restores.length, restores);
  t.false(existsSync(r.ctx.paths.journalFile));
});
