// enable's steps run through the transaction engine against the strict fakes: what the host holds after a
// nat, routed and ndp enable, and what a failed restart or someone else's daemon.json edit leaves behind.
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { planEnable, type EnableOptions } from '../../../src/setup/plan';
import { enableSteps } from '../../../src/setup/steps';
import { ConfigError, RolledBackError } from '../../../src/errors';
import { toolUndoRegistry } from '../../../src/transaction/tool-undo';
import { runTransaction } from '../../../src/transaction/transaction';
import { InterruptGuard } from '../../../src/transaction/signals';
import { FORWARD_CHAIN, NAT_CHAIN } from '../../../src/model/names';
import { fakeRun, type FakeRun } from '../../fakes/run';

const ORIGINAL = '{\n  "log-level": "info"\n}\n';

function options(r: FakeRun, prefix: string): EnableOptions {
  return { prefix, mode: 'auto', randomDraws: [Uint8Array.from([1, 2, 3, 4, 5])], sysctlConfPath: join(r.root, 'etc/sysctl.d/60-docker-ipv6.conf') };
}

async function enable(r: FakeRun, prefix: string, guard = new InterruptGuard()) {
  const plan = planEnable(r.snap, options(r, prefix));
  const registry = toolUndoRegistry(r.ctx, (s) => r.ctx.note(s));
  const run = runTransaction(enableSteps(r.ctx, plan, r.snap, { registry }), { journalPath: r.ctx.paths.journalFile, registry, command: 'enable', interrupts: guard });
  return { plan, run };
}

function setup(t: import('ava').ExecutionContext, over: Parameters<typeof fakeRun>[0] = {}): FakeRun {
  const r = fakeRun(over);
  t.teardown(r.cleanup);
  t.is(r.fake.daemon.text, ORIGINAL);
  return r;
}

const at = (log: string[], entry: string) => { const i = log.indexOf(entry); if (i < 0) throw new Error(`${entry} not in ${log.join(' | ')}`); return i; };
const before = { ...fakeRun().snap.host.sysctls };

test('routed: the chain and the unreachable route come before forwarding, accept_ra before forwarding; daemon.json, restart, state', async (t) => {
  const r = setup(t);
  const { plan, run } = await enable(r, '2001:db8:2::/48');
  await run;
  const { fake } = r;
  t.is(plan.mode, 'routed');
  t.is(fake.daemon.text, plan.daemonJson.after, 'daemon.json holds the planned text');
  t.deepEqual(fake.daemon.writes, [plan.daemonJson.after], 'written once');
  t.is(fake.dockerd.restarts.length, 1, 'dockerd restarted once');
  t.deepEqual(fake.dockerd.restarts[0].command, ['systemctl', 'restart', 'docker.service']);
  for (const c of plan.sysctls) t.is(fake.sysctl.values.get(c.key), c.to, c.key);
  const log = fake.log;
  const forwarding = at(log, 'sysctl net.ipv6.conf.all.forwarding=1');
  t.true(at(log, 'sysctl net.ipv6.conf.eth0.accept_ra=2') < forwarding, 'accept_ra=2 first: the default route survives forwarding');
  t.true(at(log, 'ip6tables-restore filter') < forwarding, 'D6-FORWARD holds before anything is forwarded');
  t.true(at(log, 'netlink +route 2001:db8:2::/48') < forwarding, 'no routing loop window');
  t.true(forwarding < at(log, 'dockerd restart'));
  // rendered again after the restart from Docker's networks: no rule depends on the bridge's new subnet, so nothing differs
  t.is(log.lastIndexOf('ip6tables-restore filter'), at(log, 'ip6tables-restore filter'), 'one filter batch: the restart changed nothing it depends on');
  t.true(fake.fw.has('filter', FORWARD_CHAIN));
  t.is(fake.fw.rules('filter', 'FORWARD')[0], `-m comment --comment docker-ipv6 -j ${FORWARD_CHAIN}`, 'our jump first in FORWARD');
  t.false(fake.fw.has('nat', NAT_CHAIN));
  t.deepEqual([...fake.net.unreachable], ['2001:db8:2::/48']);
  t.true(await fake.files.exists(plan.sysctlConf.path));
  t.is(await fake.files.readText(plan.sysctlConf.path), plan.sysctlConf.text);
  t.is(fake.state.writes.length, 2, 'recorded before forwarding (the boot unit closes the prefix from it after a kill) and at the end');
  t.true(log.indexOf('state write') < forwarding, 'the early state comes before forwarding');
  t.like(fake.state.writes[0], { prefix: '2001:db8:2::/48', mode: 'routed', enabled: { filterByUs: true } });
  t.like(fake.state.value, { prefix: '2001:db8:2::/48', mode: 'routed', uplink: 'eth0', routes: ['unreachable 2001:db8:2::/48'], enabled: { filterByUs: true, natByUs: false, sysctlFileWritten: true } });
  t.false(existsSync(r.ctx.paths.journalFile), 'journal removed after success');
  t.is(r.fake.openSessions(), 0, 'every netlink session closed');
});

test('nat: Docker masquerades, no chain or route of ours; daemon.json, sysctls, restart, state', async (t) => {
  const r = setup(t);
  const { plan, run } = await enable(r, 'auto');
  await run;
  const { fake } = r;
  t.is(plan.mode, 'nat');
  t.false(plan.natByUs);
  t.is(fake.daemon.text, plan.daemonJson.after);
  t.is(fake.dockerd.restarts.length, 1);
  t.true(fake.docker.bridge().EnableIPv6);
  t.false(fake.fw.has('filter', FORWARD_CHAIN));
  t.false(fake.fw.has('nat', NAT_CHAIN));
  t.deepEqual([...fake.net.unreachable], []);
  t.true(at(fake.log, 'sysctl net.ipv6.conf.eth0.accept_ra=2') < at(fake.log, 'sysctl net.ipv6.conf.all.forwarding=1'));
  t.like(fake.state.value, { prefix: plan.prefix, mode: 'nat', enabled: { natByUs: false, filterByUs: false } });
  t.is(fake.state.value?.routes, undefined);
});

test('ndp: proxy entries for the bridge gateway and running containers on the uplink, recorded in the state', async (t) => {
  const r = setup(t);
  // a container that comes back on the bridge after the restart, with an address in the prefix
  const { plan, run } = await enable(r, '2001:db8:1:0:8000::/80');
  r.fake.dockerd.onRestart = ((orig) => async () => {
    await orig?.();
    r.fake.docker.containers.push({ Id: 'c1'.padEnd(64, '0'), Names: ['/web'], State: 'running', Ports: [], NetworkSettings: { Networks: { bridge: { GlobalIPv6Address: `${plan.bridgeSubnet.split('/')[0]}2` } } } });
  })(r.fake.dockerd.onRestart);
  await run;
  const { fake } = r;
  t.is(plan.mode, 'ndp');
  const gw = `${plan.bridgeSubnet.split('/')[0]}1`;
  const ctr = `${plan.bridgeSubnet.split('/')[0]}2`;
  t.deepEqual([...fake.net.proxies.keys()].sort(), [`${gw}%2`, `${ctr}%2`].sort());
  t.true([...fake.net.tagged].length === 2, 'tagged as ours');
  t.true(at(fake.log, 'dockerd restart') < at(fake.log, `netlink +proxy ${gw}`), 'computed after the restart');
  t.true(fake.fw.has('filter', FORWARD_CHAIN));
  t.is(fake.sysctl.values.get('net.ipv6.conf.eth0.proxy_ndp'), '1');
  t.deepEqual(fake.state.value?.proxies?.map((p) => p.address).sort(), [gw, ctr].sort());
  t.is(fake.state.value?.mode, 'ndp');
});

test('the restart fails: everything is rolled back, daemon.json byte for byte, and dockerd restarted again with it', async (t) => {
  const r = setup(t);
  r.fake.dockerd.failNext(1);
  const { plan, run } = await enable(r, '2001:db8:2::/48');
  const e = await t.throwsAsync(run, { instanceOf: RolledBackError });
  t.regex(e!.message, /restart dockerd/);
  const { fake } = r;
  t.is(fake.daemon.text, ORIGINAL, 'daemon.json bytes as before');
  t.deepEqual(fake.sysctl.snapshot(), before, 'sysctls back');
  t.is(fake.sysctl.writes.at(-1), 'net.ipv6.conf.eth0.accept_ra=1', 'accept_ra goes back last');
  t.true(fake.sysctl.writes.indexOf('net.ipv6.conf.all.forwarding=0') < fake.sysctl.writes.length - 1, 'after forwarding is off');
  t.false(fake.fw.has('filter', FORWARD_CHAIN), 'our chain gone');
  t.deepEqual(fake.fw.rules('filter', 'FORWARD'), [], 'and its jump');
  t.deepEqual([...fake.net.unreachable], [], 'route gone');
  t.false(await fake.files.exists(plan.sysctlConf.path), 'the sysctl.d file gone');
  t.is(fake.dockerd.restarts.length, 2, 'the rollback restarts dockerd with the restored daemon.json');
  t.true(at(fake.log, 'file write ' + plan.sysctlConf.path) < fake.log.lastIndexOf('dockerd restart'));
  t.false(fake.docker.bridge().EnableIPv6, 'Docker runs the old config again');
  t.is(fake.state.value, undefined, 'no state left (the early one is rolled back with the rest)');
  t.false(existsSync(r.ctx.paths.journalFile), 'journal removed: nothing left to undo');
  t.is(r.fake.openSessions(), 0);
});

test('daemon.json changed by someone else after the plan: refused, their edit kept, nothing else left changed, no restart', async (t) => {
  const r = setup(t);
  const { run } = await enable(r, '2001:db8:2::/48');
  const theirs = '{\n  "log-level": "debug"\n}\n';
  r.fake.daemon.editBehindOurBack(theirs);
  const e = await t.throwsAsync(run, { instanceOf: RolledBackError });
  t.true(e!.cause instanceof ConfigError);
  t.regex(e!.message, /changed while docker ipv6 was planning/);
  const { fake } = r;
  t.is(fake.daemon.text, theirs, 'their edit stays');
  t.deepEqual(fake.daemon.writes, [], 'nothing written through the adapter');
  t.deepEqual(fake.sysctl.snapshot(), before);
  t.false(fake.fw.has('filter', FORWARD_CHAIN));
  t.deepEqual([...fake.net.unreachable], []);
  t.is(fake.dockerd.restarts.length, 0, 'dockerd kept its configuration: no restart');
  t.is(fake.state.value, undefined, 'no state left');
});

test('daemon.json changed by someone else while it is written: the store refuses, their edit kept, no restart', async (t) => {
  const r = setup(t);
  const { run } = await enable(r, '2001:db8:2::/48');
  const theirs = '{\n  "log-level": "warn"\n}\n';
  r.fake.daemon.beforeCommit = () => r.fake.daemon.editBehindOurBack(theirs);
  const e = await t.throwsAsync(run, { instanceOf: RolledBackError });
  t.regex(e!.message, /changed by someone else since it was read; nothing was written/);
  const { fake } = r;
  t.is(fake.daemon.text, theirs, 'their edit stays: the rollback does not write our old copy over it');
  t.deepEqual(fake.sysctl.snapshot(), before);
  t.false(fake.fw.has('filter', FORWARD_CHAIN));
  t.deepEqual([...fake.net.unreachable], []);
  t.is(fake.dockerd.restarts.length, 0, 'nothing of ours was written: no restart');
});

test('Ctrl-C while dockerd restarts: the restart stops, everything is rolled back', async (t) => {
  const r = setup(t);
  r.fake.dockerd.hangNext();
  const guard = new InterruptGuard();
  const { run } = await enable(r, '2001:db8:2::/48', guard);
  const wait = setInterval(() => { if (r.fake.dockerd.restarts.length) { clearInterval(wait); guard.abort('SIGINT'); } }, 5);
  await t.throwsAsync(run, { message: /interrupted by SIGINT/ });
  t.true(r.fake.dockerd.restarts[0].aborted);
  t.is(r.fake.daemon.text, ORIGINAL);
  t.deepEqual(r.fake.sysctl.snapshot(), before);
  t.false(r.fake.fw.has('filter', FORWARD_CHAIN));
  t.is(r.fake.dockerd.restarts.length, 2, 'restarted with the old daemon.json');
});
