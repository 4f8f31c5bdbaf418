// Every undo kind of toolUndoRegistry against the strict fakes: it undoes its change, running it twice is
// fine (a recovery may repeat the undo that was in flight), and it can say what it did and how to fix by hand.
// Also finishInterruptedRun with the journal a killed enable left on disk.
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderForwardBatch, renderNatBatch } from '../../../src/firewall/batches';
import { parseSave } from '../../../src/model/ip6tables-save';
import { FORWARD_CHAIN, NAT_CHAIN } from '../../../src/model/names';
import { finishInterruptedRun, toolUndoRegistry } from '../../../src/transaction/tool-undo';
import { captureFile, captureSysctl } from '../../../src/transaction/undo-kinds';
import type { UndoRecord } from '../../../src/transaction/registry';
import { enabledState } from '../../fakes/reconcile';
import { fakeRun, type FakeRun } from '../../fakes/run';
import { killedEnable } from '../../helpers/killed-run';

function setup(t: import('ava').ExecutionContext): FakeRun {
  const r = fakeRun();
  t.teardown(r.cleanup);
  return r;
}

/** Undo twice; both must succeed. describe and manualFix must have text. */
async function undoTwice(t: import('ava').ExecutionContext, r: FakeRun, rec: UndoRecord, fixPattern: RegExp) {
  const reg = toolUndoRegistry(r.ctx);
  t.true(reg.has(rec.kind));
  await reg.undo(rec);
  await t.notThrowsAsync(reg.undo(rec), 'a second undo (recovery repeating it) is fine');
  t.regex(reg.describe(rec, 'fallback'), /\S/);
  t.not(reg.describe(rec, 'fallback'), 'undid: fallback', 'describes itself');
  t.regex(reg.manualFix(rec).join('\n'), fixPattern);
  t.is(r.fake.openSessions(), 0, 'netlink sessions closed');
}

test('restart: restarts dockerd with this run\'s --restart-command each time it runs, never the journaled one', async (t) => {
  const r = setup(t);
  const rec: UndoRecord = { kind: 'restart', command: ['/usr/local/bin/hangs'], endpoint: { host: 'unix:///var/run/docker.sock', source: 'default', local: true }, networks: 3 };
  await undoTwice(t, r, rec, /^systemctl restart docker\.service$/);
  t.deepEqual(r.fake.dockerd.restarts.map((c) => [c.command.join(' '), c.networks]), [['systemctl restart docker.service', 3], ['systemctl restart docker.service', 3]]);
  t.is(toolUndoRegistry(r.ctx).describe({ ...rec, skipped: 'daemon.json was never written' }, ''), 'did not restart dockerd: daemon.json was never written');
});

test('ip6tables nat: removes D6-NAT and its jump, leaves Docker\'s rules', async (t) => {
  const r = setup(t);
  const docker = '-s fd00:1::/64 ! -o docker0 -j MASQUERADE';
  r.fake.fw.tables.nat.rules.POSTROUTING.push(docker);
  await r.fake.fw.restore(renderNatBatch([{ subnet: 'fd00:2::/64', bridge: 'docker0' }], parseSave(await r.fake.fw.save())));
  t.true(r.fake.fw.has('nat', NAT_CHAIN));
  await undoTwice(t, r, { kind: 'ip6tables', table: 'nat' }, /ip6tables -t nat -D POSTROUTING .* -j D6-NAT/);
  t.false(r.fake.fw.has('nat', NAT_CHAIN));
  t.deepEqual(r.fake.fw.rules('nat', 'POSTROUTING'), [docker]);
});

test('ip6tables filter: removes D6-FORWARD and its jump, leaves other FORWARD rules', async (t) => {
  const r = setup(t);
  r.fake.fw.tables.filter.rules.FORWARD.push('-j DOCKER-USER');
  await r.fake.fw.restore(renderForwardBatch([{ bridge: 'docker0', internal: false, published: [] }], { uplink: 'eth0' }, parseSave(await r.fake.fw.save())));
  t.true(r.fake.fw.has('filter', FORWARD_CHAIN));
  await undoTwice(t, r, { kind: 'ip6tables', table: 'filter' }, /ip6tables -t filter -D FORWARD .* -j D6-FORWARD/);
  t.false(r.fake.fw.has('filter', FORWARD_CHAIN));
  t.deepEqual(r.fake.fw.rules('filter', 'FORWARD'), ['-j DOCKER-USER']);
});

test('proxy: removes the entry on its interface; an entry elsewhere stays', async (t) => {
  const r = setup(t);
  const session = await r.ctx.host.openNet();
  await session.addProxy('2001:db8:1::5', 2);
  await session.addProxy('2001:db8:1::6', 2);
  session.close();
  await undoTwice(t, r, { kind: 'proxy', address: '2001:db8:1::5', ifname: 'eth0' }, /^ip -6 neigh del proxy 2001:db8:1::5 dev eth0$/);
  t.deepEqual([...r.fake.net.proxies.keys()], ['2001:db8:1::6%2']);
  await t.notThrowsAsync(toolUndoRegistry(r.ctx).undo({ kind: 'proxy', address: '2001:db8:1::6', ifname: 'gone0' }), 'an interface that is gone: nothing to remove');
});

test('proxies: removes the listed entries (any spelling), only those still present', async (t) => {
  const r = setup(t);
  r.fake.net.proxies.set('2001:db8:1::5%2', 2);
  r.fake.net.proxies.set('2001:db8:1::7%2', 2);
  const rec: UndoRecord = { kind: 'proxies', entries: [{ address: '2001:0db8:0001:0000:0000:0000:0000:0005', ifname: 'eth0' }, { address: '2001:db8:1::6', ifname: 'eth0' }] };
  await undoTwice(t, r, rec, /ip -6 neigh del proxy 2001:db8:1::6 dev eth0/);
  t.deepEqual([...r.fake.net.proxies.keys()], ['2001:db8:1::7%2']);
});

test('route: removes the unreachable route (any spelling of the prefix); other routes stay', async (t) => {
  const r = setup(t);
  r.fake.net.unreachable.add('2001:db8:2::/48');
  const routes = r.fake.net.otherRoutes.length;
  await undoTwice(t, r, { kind: 'route', type: 'unreachable', dst: '2001:0db8:0002::/48' }, /^ip -6 route del unreachable 2001:0db8:0002::\/48$/);
  t.deepEqual([...r.fake.net.unreachable], []);
  t.is(r.fake.net.otherRoutes.length, routes);
});

test('reconcile: with the state saying enabled, a pass puts the chain and the route back; a second pass changes nothing', async (t) => {
  const r = setup(t);
  r.fake.state.value = { ...enabledState('routed', '2001:db8:2::/48'), routes: ['unreachable 2001:db8:2::/48'] };
  r.fake.docker.networks = [{ ...r.fake.docker.bridge(), EnableIPv6: true, IPAM: { Config: [{ Subnet: '172.17.0.0/16' }, { Subnet: '2001:db8:2::/64', Gateway: '2001:db8:2::1' }] } }];
  const rec: UndoRecord = { kind: 'reconcile', endpoint: { host: 'unix:///var/run/docker.sock', source: 'default', local: true }, stateFile: r.ctx.paths.stateFile };
  const reg = toolUndoRegistry(r.ctx);
  await reg.undo(rec);
  t.true(r.fake.fw.has('filter', FORWARD_CHAIN));
  t.true(r.fake.fw.rules('filter', FORWARD_CHAIN).some((x) => x.includes('-o docker0 -m comment --comment docker-ipv6 -j DROP')));
  t.deepEqual([...r.fake.net.unreachable], ['2001:db8:2::/48']);
  const restores = r.fake.fw.restores.length;
  const netOps = r.fake.net.ops.length;
  await undoTwice(t, r, rec, /^docker ipv6 apply$/);
  t.is(r.fake.fw.restores.length, restores, 'nothing to restore again');
  t.is(r.fake.net.ops.length, netOps);
});

test('file (built-in): puts back the previous bytes and mode, or removes a file that did not exist; twice is fine', async (t) => {
  const r = setup(t);
  const reg = toolUndoRegistry(r.ctx);
  const p = join(r.root, 'thing.conf');
  writeFileSync(p, 'old\n', { mode: 0o640 });
  const rec = await captureFile(p);
  writeFileSync(p, 'new\n');
  await reg.undo(rec);
  await reg.undo(rec);
  t.is(readFileSync(p, 'utf8'), 'old\n');
  t.regex(reg.describe(rec, ''), /restored/);
  t.truthy(reg.manualFix(rec).length);
  const q = join(r.root, 'new.conf');
  const absent = await captureFile(q);
  writeFileSync(q, 'ours\n');
  await reg.undo(absent);
  await reg.undo(absent);
  t.false(existsSync(q));
  t.deepEqual(reg.manualFix(absent), [`rm -f ${q}`]);
});

test('sysctl (built-in): writes the previous value back once; twice is fine; a key that did not exist is left', async (t) => {
  const r = setup(t);
  const reg = toolUndoRegistry(r.ctx);
  const rec = await captureSysctl(r.fake.sysctl, 'net.ipv6.conf.all.forwarding');
  await r.fake.sysctl.write('net.ipv6.conf.all.forwarding', '1');
  await reg.undo(rec);
  await reg.undo(rec);
  t.is(r.fake.sysctl.values.get('net.ipv6.conf.all.forwarding'), '0');
  t.deepEqual(r.fake.sysctl.writes, ['net.ipv6.conf.all.forwarding=1', 'net.ipv6.conf.all.forwarding=0'], 'the second undo writes nothing');
  t.deepEqual(reg.manualFix(rec), ['sysctl -w net.ipv6.conf.all.forwarding=0']);
  const missing = await captureSysctl(r.fake.sysctl, 'net.ipv6.conf.nope0.forwarding');
  await t.notThrowsAsync(reg.undo(missing));
  t.regex(reg.describe(missing, ''), /did not exist/);
});

test('finishInterruptedRun: the journal of an enable killed while dockerd restarted is rolled back through the fakes', async (t) => {
  const r = setup(t);
  const original = r.fake.daemon.text;
  const sysctls = r.fake.sysctl.snapshot();
  // what runTransaction journals, step by step, until the process dies inside the restart
  await killedEnable(r, 'restart-dockerd');
  t.not(r.fake.daemon.text, original);
  t.true(r.fake.fw.has('filter', FORWARD_CHAIN));

  // a later run: a fresh registry on the same host, nothing but the journal
  const notes: string[] = [];
  t.true(await finishInterruptedRun(r.ctx.paths.journalFile, toolUndoRegistry(r.ctx), (l) => notes.push(l)));
  t.is(r.fake.daemon.text, original, 'daemon.json byte for byte');
  t.deepEqual(r.fake.sysctl.snapshot(), sysctls);
  t.false(r.fake.fw.has('filter', FORWARD_CHAIN));
  t.deepEqual([...r.fake.net.unreachable], []);
  t.false(await r.fake.files.exists(r.ctx.paths.sysctlConf));
  t.is(r.fake.dockerd.restarts.length, 1, 'recovery restarts dockerd with the restored file (it cannot know whether the killed restart happened)');
  t.false(r.fake.docker.bridge().EnableIPv6);
  t.false(existsSync(r.ctx.paths.journalFile));
  t.true(notes.some((l) => /finished the rollback of an interrupted earlier run/.test(l)));
  t.false(await finishInterruptedRun(r.ctx.paths.journalFile, toolUndoRegistry(r.ctx), () => {}), 'nothing left the second time');
  t.is(r.fake.openSessions(), 0);
});
