// The bytes a dry run shows are the bytes applied: `apply --plan ID` and enable's first filter step refuse
// when Docker or the ruleset changed since the plan, and apply the shown batch otherwise.
import test from 'ava';
import { reconcileOnce, reconcilePlanId } from '../../../src/reconcile';
import { applyFirewallTable, firewallBatch } from '../../../src/reconcile/firewall-table';
import { dockerFacts } from '../../../src/model/docker';
import { parseSave } from '../../../src/model/ip6tables-save';
import { planId } from '../../../src/model/plan-id';
import { ctr, enabledState, net, world } from '../../fakes/reconcile';

const ROUTED = '2001:db8:100::/48';

test('planId: same content in any key order gives the same id; other content another', (t) => {
  t.is(planId({ a: 1, b: [1, { c: 2, d: 3 }] }), planId({ b: [1, { d: 3, c: 2 }], a: 1 }));
  t.not(planId({ a: 1 }), planId({ a: 2 }));
  t.regex(planId({}), /^[0-9a-f]{16}$/);
});

test('apply --plan: the dry run\'s plan is applied when nothing changed', async (t) => {
  const w = world(enabledState('routed', ROUTED));
  w.networks = [net('n1', 'a'.repeat(64), '2001:db8:100:1::/64')];
  const dry = await reconcileOnce(w.deps, { dryRun: true });
  t.is(w.fw.restores.length, 0, 'a dry run changes nothing');
  const id = reconcilePlanId(dry.plan);
  const r = await reconcileOnce(w.deps, { expectPlan: id });
  t.is(w.fw.restores.length, 1);
  t.is(w.fw.restores[0], dry.plan.batch ?? '', 'exactly the bytes the dry run showed');
  t.true(r.changes.length > 0);
});

test('apply --plan: a network created between the dry run and apply makes apply refuse, changing nothing', async (t) => {
  const w = world(enabledState('routed', ROUTED));
  w.networks = [net('n1', 'a'.repeat(64), '2001:db8:100:1::/64')];
  const id = reconcilePlanId((await reconcileOnce(w.deps, { dryRun: true })).plan);
  w.networks.push(net('n2', 'c'.repeat(64), '2001:db8:100:2::/64'));
  w.containers = [ctr('web', { n2: '2001:db8:100:2::2' }, [[80, 'tcp']])];
  const before = await w.fw.save();
  const e = await t.throwsAsync(reconcileOnce(w.deps, { expectPlan: id }), { message: /host changed since plan/ });
  t.regex(e!.message, /nothing was changed/);
  t.is(await w.fw.save(), before, 'no batch was applied');
  t.is(w.net.unreachable.size, 0, 'no route was added');
});

test('enable\'s filter step: the planned batch is applied byte for byte, or refused when Docker changed', async (t) => {
  const w = world(enabledState('routed', ROUTED));
  w.networks = [net('n1', 'a'.repeat(64), '2001:db8:100:1::/64')];
  const planned = firewallBatch('filter', { prefix: ROUTED, uplink: 'eth0' }, dockerFacts(w.networks, w.containers), parseSave(await w.fw.save()), []);
  t.true(planned.includes('-j D6-FORWARD'));
  await applyFirewallTable(w.deps, { prefix: ROUTED, uplink: 'eth0' }, 'filter', planned);
  t.is(w.fw.restores[0], planned);
  // a second plan made now is empty; meanwhile a container publishes a port: the empty plan is refused
  const empty = firewallBatch('filter', { prefix: ROUTED, uplink: 'eth0' }, dockerFacts(w.networks, w.containers), parseSave(await w.fw.save()), []);
  t.is(empty, '');
  w.containers = [ctr('web', { n1: '2001:db8:100:1::2' }, [[80, 'tcp']])];
  await t.throwsAsync(applyFirewallTable(w.deps, { prefix: ROUTED, uplink: 'eth0' }, 'filter', empty), { message: /host changed since the plan was made[\s\S]*planned:\n    \(nothing\)[\s\S]*--dport 80/ });
  t.is(w.fw.restores.length, 1, 'nothing more was applied');
});
