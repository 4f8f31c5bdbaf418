// The operator's second hour against the strict fakes: containers across enable's and disable's restart, a
// daemon.json from before enable that would break the host, Docker's ip6tables leftovers, someone else's NDP entries.
import test from 'ava';
import { planDisable, disableSteps } from '../../../src/setup/disable-steps';
import { planEnable } from '../../../src/setup/plan';
import { enableSteps } from '../../../src/setup/steps';
import { toolUndoRegistry } from '../../../src/transaction/tool-undo';
import { runTransaction } from '../../../src/transaction/transaction';
import { InterruptGuard } from '../../../src/transaction/signals';
import { downtimeText, type Downtime } from '../../../src/transaction/containers';
import { RolledBackError } from '../../../src/errors';
import { fakeRun, type FakeRun } from '../../fakes/run';
import { observedSnapshot } from '../../fakes/observe';
import type { FakeContainer } from '../../fakes/docker';

async function run(r: FakeRun, steps: Parameters<typeof runTransaction>[0], command: string) {
  await runTransaction(steps, { journalPath: r.ctx.paths.journalFile, registry: toolUndoRegistry(r.ctx), command, interrupts: new InterruptGuard() });
}

const ctr = (name: string, state: string, policy?: FakeContainer['RestartPolicy']): FakeContainer => ({
  Id: name.padEnd(64, 'a').replace(/[^0-9a-f]/g, 'b'), Names: [`/${name}`], State: state, RestartPolicy: policy, Ports: [], NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2' } } },
});

function setup(t: import('ava').ExecutionContext): FakeRun {
  const r = fakeRun();
  t.teardown(r.cleanup);
  r.fake.docker.containers = [ctr('web', 'running'), ctr('db', 'running', 'unless-stopped'), ctr('idle', 'exited')];
  return r;
}

const opts = (r: FakeRun, prefix = 'auto') => ({ prefix, mode: 'auto' as const, randomDraws: [Uint8Array.from([1, 2, 3, 4, 5])], sysctlConfPath: r.ctx.paths.sysctlConf });
const states = (r: FakeRun) => Object.fromEntries(r.fake.docker.containers.map((c) => [c.Names[0].slice(1), c.State]));

test('enable and disable: the containers that ran are running again, the stopped one stays stopped, downtime from Docker\'s clock', async (t) => {
  const r = setup(t);
  const snap = await observedSnapshot(r);
  const plan = planEnable(snap, opts(r));
  t.deepEqual([...plan.runningContainers].sort(), ['db', 'web'], 'the plan names the running containers the restart stops');
  let down: Downtime[] = [];
  await run(r, enableSteps(r.ctx, plan, snap, { registry: toolUndoRegistry(r.ctx), onDowntime: (d) => { down = d; } }), 'enable');
  t.deepEqual(states(r), { web: 'running', db: 'running', idle: 'exited' });
  t.deepEqual(down.map((d) => [d.name, d.how]).sort(), [['db', 'restarted by Docker'], ['web', 'started again']]);
  t.true(down.every((d) => d.downMs !== undefined && d.downMs >= 0));
  t.false(r.fake.docker.calls.some((c) => c.startsWith('start') && c.includes('idle')), 'a stopped container is never started');
  t.regex(downtimeText(down) ?? '', /^containers down during the restart: (web|db) \d+\.\d s/);

  const snap2 = await observedSnapshot(r);
  const dplan = planDisable(snap2, true)!;
  let down2: Downtime[] = [];
  await run(r, disableSteps(r.ctx, dplan, snap2, toolUndoRegistry(r.ctx), { onDowntime: (d) => { down2 = d; } }), 'disable');
  t.deepEqual(states(r), { web: 'running', db: 'running', idle: 'exited' }, 'disable leaves no container stopped that ran');
  t.deepEqual(down2.map((d) => d.name).sort(), ['db', 'web']);
});

test('a rolled-back enable starts again the containers its restart stopped, from the journal\'s restart record', async (t) => {
  const r = setup(t);
  const snap = await observedSnapshot(r);
  const plan = planEnable(snap, opts(r));
  const steps = enableSteps(r.ctx, plan, snap, { registry: toolUndoRegistry(r.ctx) });
  // a step after the restart fails: the rollback restarts dockerd with the old file, which stops web again
  const last = steps.find((x) => x.id === 'write-state')!;
  last.apply = async () => { throw new Error('disk full'); };
  await t.throwsAsync(run(r, steps, 'enable'), { instanceOf: RolledBackError });
  t.true(r.fake.dockerd.restarts.length >= 2, 'restarted by enable, and again by the rollback');
  t.deepEqual(states(r), { web: 'running', db: 'running', idle: 'exited' });
  const log = r.fake.log;
  const web = r.fake.docker.containers[0].Id;
  t.true(log.lastIndexOf(`docker start ${web}`) > log.lastIndexOf('dockerd restart'), 'web started again after the rollback\'s restart');
  t.false(log.some((l) => l === `docker start ${r.fake.docker.containers[2].Id}`), 'idle never started');
});

test('disable refuses nothing on a file that starts dockerd; it names the hazard of a bridge on the router\'s prefix', async (t) => {
  const r = setup(t);
  const snap = await observedSnapshot(r);
  await run(r, enableSteps(r.ctx, planEnable(snap, opts(r)), snap, { registry: toolUndoRegistry(r.ctx) }), 'enable');
  const after = await observedSnapshot(r);
  t.is(planDisable(after, true)!.hazard, undefined);
  // the file from before enable had the uplink's own prefix (the router's too) as fixed-cidr-v6
  const en = after.state!.enabled!;
  en.daemonJson.undo.previous['fixed-cidr-v6'] = { value: '2001:db8:1::/64' };
  en.daemonJson.undo.previous.ipv6 = { value: true };
  const p = planDisable(after, true)!;
  t.regex(p.hazard ?? '', /"fixed-cidr-v6": "2001:db8:1::\/64" holds the host's own address 2001:db8:1::2/);
  // --drop-bad-keys: restored without it
  const dropped = planDisable(after, true, { drop: ['fixed-cidr-v6'] })!;
  t.is(dropped.hazard, undefined);
  t.notRegex(dropped.daemonJson.after, /fixed-cidr-v6/);
  t.deepEqual(dropped.daemonJson.dropped, ['fixed-cidr-v6']);
});

test('disable on 20.10 after nat: Docker\'s masquerade and jumps from the built-in chains go, and FORWARD policy back to ACCEPT; not on 28', async (t) => {
  for (const [version, expect] of [['20.10.24+dfsg1', true], ['28.5.2', false]] as const) {
    const r = setup(t);
    r.fake.fw.tables.filter.policies.FORWARD = 'ACCEPT';
    const snap = await observedSnapshot(r);
    snap.daemon.version = version;
    await run(r, enableSteps(r.ctx, planEnable(snap, opts(r)), snap, { registry: toolUndoRegistry(r.ctx) }), 'enable');
    // what Docker's ip6tables support did once enable turned it on (a 20.10 daemon sets FORWARD DROP)
    const { nat, filter } = r.fake.fw.tables;
    nat.chains.push('DOCKER'); nat.rules.DOCKER = [];
    nat.rules.PREROUTING = ['-m addrtype --dst-type LOCAL -j DOCKER'];
    filter.chains.push('DOCKER'); filter.rules.DOCKER = [];
    filter.rules.FORWARD = [...filter.rules.FORWARD, '-o docker0 -j DOCKER'];
    filter.policies.FORWARD = 'DROP';
    const after = await observedSnapshot(r);
    after.daemon.version = version;
    const dplan = planDisable(after, true, { version })!;
    const n = dplan.dockerLeftovers.nat.length + dplan.dockerLeftovers.filter.length;
    if (!expect) {
      t.is(n, 0, '28 keeps managing ip6tables after disable: its rules are live');
      t.is(dplan.forwardPolicy, undefined);
      continue;
    }
    t.true(dplan.dockerLeftovers.nat.some((l) => /MASQUERADE/.test(l)) && dplan.dockerLeftovers.nat.some((l) => /-j DOCKER$/.test(l)));
    t.deepEqual(dplan.dockerLeftovers.filter, ['-A FORWARD -o docker0 -j DOCKER']);
    t.is(dplan.forwardPolicy, 'ACCEPT');
    await run(r, disableSteps(r.ctx, dplan, after, toolUndoRegistry(r.ctx)), 'disable');
    t.deepEqual(r.fake.fw.tables.nat.rules.POSTROUTING.filter((x) => /MASQUERADE/.test(x)), []);
    t.deepEqual(r.fake.fw.tables.nat.rules.PREROUTING, []);
    t.true(r.fake.fw.tables.nat.chains.includes('DOCKER'), 'Docker\'s chains stay');
    t.is(r.fake.fw.tables.filter.policies.FORWARD, 'ACCEPT');
  }
});

test('ndp: an NDP proxy entry someone made before enable is neither re-tagged nor recorded, and disable leaves it', async (t) => {
  const r = setup(t);
  const gw = '2001:db8:1:0:8000::1';
  const idx = r.fake.net.links.find((l) => l.name === 'eth0')!.index;
  r.fake.net.proxies.set(`${gw}%${idx}`, idx);
  const snap = await observedSnapshot(r);
  const plan = planEnable(snap, opts(r, '2001:db8:1:0:8000::/80'));
  t.is(plan.mode, 'ndp');
  await run(r, enableSteps(r.ctx, plan, snap, { registry: toolUndoRegistry(r.ctx) }), 'enable');
  const state = await r.fake.state.read();
  t.false((state?.proxies ?? []).some((p) => p.address === gw), 'not recorded as ours');
  t.deepEqual(state?.foreignProxies, [{ address: gw, ifname: 'eth0' }]);
  t.false(r.fake.net.ops.some((l) => l === `+proxy ${gw}`), 'not added again (that would tag it as ours)');
  const after = await observedSnapshot(r);
  await run(r, disableSteps(r.ctx, planDisable(after, true)!, after, toolUndoRegistry(r.ctx)), 'disable');
  t.true(r.fake.net.proxies.has(`${gw}%${idx}`), 'someone else\'s entry is still there after disable');
});
