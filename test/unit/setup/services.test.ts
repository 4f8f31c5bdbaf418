// What keeps our rules in step after enable: the units under systemd (written where missing, enabled, started, and
// undone by disable only as far as enable did it), and the words where systemd does not run; against the strict fakes.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planEnable, type EnableOptions } from '../../../src/setup/plan';
import { enableSteps } from '../../../src/setup/steps';
import { disableSteps, planDisable } from '../../../src/setup/disable-steps';
import { agentCommand, planServices, servicesText, type ServiceFacts } from '../../../src/setup/services';
import { RolledBackError } from '../../../src/errors';
import { toolUndoRegistry } from '../../../src/transaction/tool-undo';
import { runTransaction, type Step } from '../../../src/transaction/transaction';
import { stateProblem } from '../../../src/model/state-check';
import { AGENT_UNIT, BOOT_UNIT, OUR_UNITS } from '../../../src/model/names';
import type { ToolState } from '../../../src/model/state';
import { fakeRun, type FakeRun } from '../../fakes/run';

const CARRIED = Object.fromEntries(OUR_UNITS.map((u) => [u, `[Service]\nExecStart=/usr/local/lib/docker/cli-plugins/docker-ipv6 ${u.includes('agent') ? 'agent' : 'apply'}\n`]));

function facts(r: FakeRun, o: Partial<ServiceFacts> = {}): ServiceFacts {
  return { systemd: r.fake.services.systemd, units: [...r.fake.services.known.values()], carried: CARRIED, executable: '/usr/libexec/docker/cli-plugins/docker-ipv6', unitDir: r.ctx.paths.unitDir, ...o };
}

function options(r: FakeRun, services?: ServiceFacts, prefix = '2001:db8:2::/48'): EnableOptions {
  return { prefix, mode: 'auto', randomDraws: [Uint8Array.from([1, 2, 3, 4, 5])], sysctlConfPath: join(r.root, 'etc/sysctl.d/60-docker-ipv6.conf'), services };
}

function setup(t: import('ava').ExecutionContext): FakeRun {
  const r = fakeRun();
  t.teardown(r.cleanup);
  return r;
}

async function run(r: FakeRun, steps: Step[], command = 'enable') {
  const registry = toolUndoRegistry(r.ctx, () => {});
  return runTransaction(steps, { journalPath: r.ctx.paths.journalFile, registry, command });
}

test('planServices: nothing without systemd or without a mode that needs the agent; blocked under a home folder', (t) => {
  const r = setup(t);
  t.deepEqual(planServices(undefined, true), { systemd: false, write: [], enable: [], start: [] });
  r.fake.services.systemd = true;
  const f = facts(r);
  t.deepEqual(planServices(f, false).write, [], 'nat with Docker\'s own NAT needs no agent');
  const p = planServices(f, true);
  t.deepEqual(p.write.map((w) => w.name), [...OUR_UNITS]);
  t.true(p.write.every((w) => w.path.startsWith(`${r.ctx.paths.unitDir}/`)));
  t.regex(p.write[0].text, /^ExecStart=\/usr\/libexec\/docker\/cli-plugins\/docker-ipv6 /m, 'the units run this executable');
  t.deepEqual(p.enable, [...OUR_UNITS]);
  t.deepEqual(p.start, [AGENT_UNIT, BOOT_UNIT]);
  const home = planServices(facts(r, { executable: '/root/.docker/cli-plugins/docker-ipv6' }), true);
  t.regex(home.blocked ?? '', /under a home folder/);
  t.deepEqual([home.write, home.enable, home.start], [[], [], []]);
  t.regex(servicesText(home, { needed: true, mode: 'routed', agentRunning: false, agentCommand: 'X' }).join('\n'), /sudo docker ipv6 install --enable, or keep the agent running: X/);
  // installed by a package and already enabled and running: nothing to do
  for (const u of OUR_UNITS) r.fake.services.installed(u, `/usr/lib/systemd/system/${u}`, { enabled: true, active: true });
  t.deepEqual(planServices(facts(r), true), { systemd: true, write: [], enable: [], start: [] });
});

test('no systemd: enable starts nothing and says ports published later need the agent, with the command', async (t) => {
  const r = setup(t);
  const plan = planEnable(r.snap, options(r, facts(r)));
  t.true(plan.agentNeeded);
  const steps = enableSteps(r.ctx, plan, r.snap, { registry: toolUndoRegistry(r.ctx) });
  t.false(steps.some((s) => s.id.startsWith('unit')), 'no unit step');
  await run(r, steps);
  t.deepEqual(r.fake.services.ops, []);
  const lines = servicesText(plan.services, { needed: true, mode: plan.mode, agentRunning: false, agentCommand: agentCommand(r.ctx.paths.stateDir) });
  t.regex(lines.join('\n'), /ports published and networks created from now on stay closed from outside until docker ipv6 apply runs/);
  t.regex(lines.join('\n'), /no systemd runs this host's services .*: keep the agent running: nohup docker ipv6 agent >>\S+\/var\/lib\/docker-ipv6\/agent\.log 2>&1 &/);
  t.is((JSON.parse(readFileSync(r.ctx.paths.stateFile, 'utf8')) as ToolState).enabled?.services, undefined);
});

test('systemd: enable writes the missing units, enables and starts them last, records it; disable undoes exactly that', async (t) => {
  const r = setup(t);
  r.fake.services.systemd = true;
  // the apply unit is there already, enabled (an earlier install): enable neither writes nor enables it again
  r.fake.services.installed('docker-ipv6-apply.service', '/usr/lib/systemd/system/docker-ipv6-apply.service', { enabled: true });
  const plan = planEnable(r.snap, options(r, facts(r)));
  t.deepEqual(plan.services.write.map((w) => w.name), [BOOT_UNIT, AGENT_UNIT]);
  t.deepEqual(plan.services.enable, [BOOT_UNIT, AGENT_UNIT]);
  const steps = enableSteps(r.ctx, plan, r.snap, { registry: toolUndoRegistry(r.ctx) });
  const ids = steps.map((s) => s.id);
  t.true(ids.indexOf('units-start') > ids.indexOf('write-state'), 'the agent starts once the state it reads is complete');
  // the fake learns of the files as the real systemd would find them on disk
  const enableStep = steps.find((s) => s.id === 'units-enable')!;
  const realApply = enableStep.apply.bind(enableStep);
  enableStep.apply = async (sig) => { for (const w of plan.services.write) if (existsSync(w.path)) r.fake.services.installed(w.name, w.path); return realApply(sig); };
  await run(r, steps);
  for (const w of plan.services.write) t.regex(readFileSync(w.path, 'utf8'), /ExecStart=\/usr\/libexec\/docker\/cli-plugins\/docker-ipv6/);
  t.deepEqual(r.fake.services.ops, ['reload', `enable ${BOOT_UNIT}`, `enable ${AGENT_UNIT}`, 'reload', `start ${AGENT_UNIT}`, `start ${BOOT_UNIT} --no-block`]);
  const state = JSON.parse(readFileSync(r.ctx.paths.stateFile, 'utf8')) as ToolState;
  t.deepEqual(state.enabled?.services, { wrote: plan.services.write.map((w) => w.path), enabled: [BOOT_UNIT, AGENT_UNIT], started: [AGENT_UNIT, BOOT_UNIT] });
  t.is(stateProblem(state), undefined, 'the state file check accepts what enable records');

  // disable: stop and disable only those, remove the files enable wrote, nothing of the apply unit
  r.fake.services.ops.length = 0;
  const snap = { ...r.snap, state, daemonConfig: { ...r.snap.daemonConfig, text: r.fake.daemon.text, value: JSON.parse(r.fake.daemon.text ?? '{}') } };
  const dplan = planDisable(snap, true)!;
  await run(r, disableSteps(r.ctx, dplan, snap, toolUndoRegistry(r.ctx)), 'disable');
  t.deepEqual(r.fake.services.ops.filter((o) => o !== 'reload'), [`stop ${AGENT_UNIT}`, `stop ${BOOT_UNIT}`, `disable ${BOOT_UNIT}`, `disable ${AGENT_UNIT}`]);
  for (const w of plan.services.write) t.false(existsSync(w.path), `${w.path} removed`);
  t.true(r.fake.services.known.get('docker-ipv6-apply.service')!.enabled, 'the unit enable found enabled stays enabled');
});

test('systemd: a failed start rolls back what enable did with the units, after the files are gone a reload', async (t) => {
  const r = setup(t);
  r.fake.services.systemd = true;
  for (const u of OUR_UNITS) r.fake.services.installed(u, `/usr/lib/systemd/system/${u}`);
  const plan = planEnable(r.snap, options(r, facts(r)));
  const steps = enableSteps(r.ctx, plan, r.snap, { registry: toolUndoRegistry(r.ctx) });
  const start = steps.find((s) => s.id === 'units-start')!;
  start.apply = async () => { await r.fake.services.start([AGENT_UNIT]); throw new Error('Job for docker-ipv6-boot.service failed'); };
  await t.throwsAsync(run(r, steps), { instanceOf: RolledBackError });
  // the started agent is stopped, the enabled units disabled, in reverse order, each undo after a reload
  const ops = r.fake.services.ops;
  const undo = ops.slice(ops.indexOf(`start ${AGENT_UNIT}`) + 1);
  t.deepEqual(undo, ['reload', `stop ${AGENT_UNIT}`, `stop ${BOOT_UNIT}`, 'reload', ...OUR_UNITS.map((u) => `disable ${u}`)]);
  t.true(OUR_UNITS.every((u) => !r.fake.services.known.get(u)!.enabled && !r.fake.services.known.get(u)!.active));
});

test('state check: services lists only our units and unit files in /etc/systemd/system', (t) => {
  const base = { version: 1, prefix: '2001:db8:2::/48', mode: 'routed', uplink: 'eth0', enabled: { at: 'x', daemonJson: { path: '/etc/docker/daemon.json', fileExisted: true, undo: { previous: {} } }, sysctls: {}, sysctlFileWritten: true, natByUs: false, filterByUs: true } };
  const withServices = (services: unknown) => stateProblem({ ...base, enabled: { ...base.enabled, services } });
  t.is(withServices({ wrote: ['/etc/systemd/system/docker-ipv6-agent.service'], enabled: [AGENT_UNIT], started: [AGENT_UNIT] }), undefined);
  t.is(withServices({ enabled: ['ssh.service'] })?.field, 'enabled.services.enabled[0]');
  t.is(withServices({ wrote: ['/etc/passwd'] })?.field, 'enabled.services.wrote[0]');
  t.is(withServices({ wrote: ['/etc/systemd/system/../../etc/systemd/system/docker-ipv6-agent.service'] })?.field, 'enabled.services.wrote[0]');
  t.is(withServices({ stop: [AGENT_UNIT] })?.field, 'enabled.services.stop');
});
