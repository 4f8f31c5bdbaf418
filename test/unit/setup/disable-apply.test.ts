// disable's steps against the strict fakes after a real (fake) enable: everything enable changed is back.
import test from 'ava';
import { planDisable, disableSteps } from '../../../src/setup/disable-steps';
import { planEnable } from '../../../src/setup/plan';
import { enableSteps } from '../../../src/setup/steps';
import { FORWARD_CHAIN, NAT_CHAIN } from '../../../src/model/names';
import { toolUndoRegistry } from '../../../src/transaction/tool-undo';
import { runTransaction } from '../../../src/transaction/transaction';
import { InterruptGuard } from '../../../src/transaction/signals';
import { fakeRun, type FakeRun } from '../../fakes/run';
import { observedSnapshot } from '../../fakes/observe';

async function run(r: FakeRun, steps: Parameters<typeof runTransaction>[0], command: string) {
  await runTransaction(steps, { journalPath: r.ctx.paths.journalFile, registry: toolUndoRegistry(r.ctx), command, interrupts: new InterruptGuard() });
}

for (const [mode, prefix] of [['routed', '2001:db8:2::/48'], ['ndp', '2001:db8:1:0:8000::/80'], ['nat', 'auto']] as const) {
  test(`${mode}: disable after enable puts back daemon.json byte for byte, the sysctls, and removes our chain, route, proxies and files`, async (t) => {
    const r = fakeRun();
    t.teardown(r.cleanup);
    const original = r.fake.daemon.text;
    const sysctls = r.fake.sysctl.snapshot();
    const registry = toolUndoRegistry(r.ctx);
    const plan = planEnable(r.snap, { prefix, mode: 'auto', randomDraws: [Uint8Array.from([1, 2, 3, 4, 5])], sysctlConfPath: r.ctx.paths.sysctlConf });
    t.is(plan.mode, mode);
    await run(r, enableSteps(r.ctx, plan, r.snap, { registry }), 'enable');
    t.not(r.fake.daemon.text, original);
    if (mode === 'ndp') t.true(r.fake.net.proxies.size > 0);

    const snap = await observedSnapshot(r);
    const dplan = planDisable(snap, await r.fake.files.exists(r.ctx.paths.sysctlConf))!;
    t.truthy(dplan);
    await run(r, disableSteps(r.ctx, dplan, snap, registry), 'disable');

    const { fake } = r;
    t.is(fake.daemon.text, original, 'daemon.json byte-identical to the original');
    t.deepEqual(fake.sysctl.snapshot(), sysctls, 'sysctls back');
    t.false(fake.fw.has('filter', FORWARD_CHAIN));
    t.false(fake.fw.has('nat', NAT_CHAIN));
    t.deepEqual(fake.fw.rules('filter', 'FORWARD'), []);
    t.deepEqual([...fake.net.unreachable], []);
    t.deepEqual([...fake.net.proxies.keys()], []);
    t.false(await fake.files.exists(r.ctx.paths.sysctlConf));
    t.is(fake.dockerd.restarts.length, 2, 'one restart each');
    t.false(fake.docker.bridge().EnableIPv6);
    t.is(fake.state.value?.enabled, undefined, 'marked disabled');
    t.is(fake.state.value?.prefix, plan.prefix, 'the prefix stays saved');
    t.is(r.fake.openSessions(), 0);
  });
}
