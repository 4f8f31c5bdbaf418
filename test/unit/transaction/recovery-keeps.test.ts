// Recovery puts back only what is still ours: a file that holds our bytes (or the previous ones) is restored,
// someone else's edit is kept with ours saved beside it and said so; the same for sysctls. The restart uses
// this run's --restart-command, never the journaled one. `recover --abandon` undoes nothing and drops the
// journal. A journal holding what the tool never writes is refused (exit 5) before anything changes.
import test from 'ava';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { runEnable } from '../../../src/enable/enable';
import { runRecover } from '../../../src/recover/recover';
import { ConfigError, RolledBackError } from '../../../src/errors';
import { recoverJournal } from '../../../src/transaction/recover';
import { finishInterruptedRun, toolUndoRegistry } from '../../../src/transaction/tool-undo';
import { captureFile, captureSysctl, ROLLBACK_SUFFIX, sha256 } from '../../../src/transaction/undo-kinds';
import type { UndoRecord } from '../../../src/transaction/registry';
import { readJournal, writeJournal } from '../../../src/transaction/journal';
import { runTransaction } from '../../../src/transaction/transaction';
import { InterruptGuard } from '../../../src/transaction/signals';
import { fakeRun, type FakeRun } from '../../fakes/run';
import { journalOf, killedEnable } from '../../helpers/killed-run';

const FWD = 'net.ipv6.conf.all.forwarding';

function setup(t: import('ava').ExecutionContext): FakeRun {
  const r = fakeRun();
  t.teardown(r.cleanup);
  return r;
}

test('a killed enable: daemon.json still holding our bytes is restored byte for byte', async (t) => {
  const r = setup(t);
  const original = r.fake.daemon.text;
  await killedEnable(r, 'restart-dockerd');
  const j = await readJournal(r.ctx.paths.journalFile);
  const rec = j!.entries.find((e) => e.stepId === 'write-daemon-json')!.record!;
  t.is(rec.wroteSha256, sha256(r.fake.daemon.text!), 'the journal holds the sha256 of the bytes enable wrote');
  t.is(j!.entries.find((e) => e.stepId === `sysctl:${FWD}`)!.record!.value, '1', 'and the value each sysctl was set to');
  const report = await recoverJournal(r.ctx.paths.journalFile, toolUndoRegistry(r.ctx));
  t.true(report.complete);
  t.deepEqual(report.kept, []);
  t.is(r.fake.daemon.text, original);
  t.false(existsSync(`${r.fake.daemon.path}${ROLLBACK_SUFFIX}`));
});

test('a killed enable, then daemon.json edited by hand: the edit is kept, ours saved beside, and the output says so', async (t) => {
  const r = setup(t);
  const original = r.fake.daemon.text!;
  await killedEnable(r, 'restart-dockerd');
  const mine = '{ "ipv6": true, "fixed-cidr-v6": "2001:db8:2::/64", "log-level": "debug" }\n';
  r.fake.daemon.editBehindOurBack(mine);
  const notes: string[] = [];
  t.true(await finishInterruptedRun(r.ctx.paths.journalFile, toolUndoRegistry(r.ctx), (l) => notes.push(l)));
  t.is(r.fake.daemon.text, mine, 'the hand edit stays');
  const beside = `${r.fake.daemon.path}${ROLLBACK_SUFFIX}`;
  t.is(readFileSync(beside, 'utf8'), original, 'what the rollback would have written is beside it');
  t.true(notes.some((l) => l.includes(`kept ${r.fake.daemon.path} as it is now`) && l.includes(beside)), notes.join('\n'));
  t.is(r.fake.sysctl.values.get(FWD), '0', 'the rest is rolled back');
  t.is(r.fake.dockerd.restarts.length, 1, 'dockerd restarted (on the kept file)');
  const j = await readJournal(r.ctx.paths.journalFile);
  t.is(j, undefined, 'the journal is finished');
});

test('killed between the journal write and the file write: the previous bytes are recognised, nothing is kept', async (t) => {
  const r = setup(t);
  const original = r.fake.daemon.text;
  await killedEnable(r, 'write-daemon-json');
  t.is(r.fake.daemon.text, original, 'the write never happened');
  const report = await recoverJournal(r.ctx.paths.journalFile, toolUndoRegistry(r.ctx));
  t.true(report.complete);
  t.deepEqual(report.kept, []);
  t.is(r.fake.daemon.text, original);
});

test('a sysctl someone changed after us is kept and reported; one still at our value is restored', async (t) => {
  const r = setup(t);
  r.fake.sysctl.values.set('net.ipv6.conf.default.forwarding', '0');
  const a = await captureSysctl(r.fake.sysctl, FWD, '1');
  const b = await captureSysctl(r.fake.sysctl, 'net.ipv6.conf.default.forwarding', '1');
  await r.fake.sysctl.write(FWD, '1');
  await r.fake.sysctl.write('net.ipv6.conf.default.forwarding', '1');
  r.fake.sysctl.values.set(FWD, '2'); // someone else, after us
  await writeJournal(r.ctx.paths.journalFile, journalOf([
    { stepId: 'a', describe: `sysctl ${FWD} = 1`, state: 'applied', record: a },
    { stepId: 'b', describe: 'sysctl default.forwarding = 1', state: 'applied', record: b },
  ]));
  const report = await recoverJournal(r.ctx.paths.journalFile, toolUndoRegistry(r.ctx));
  t.is(r.fake.sysctl.values.get(FWD), '2', 'their value stays');
  t.is(r.fake.sysctl.values.get('net.ipv6.conf.default.forwarding'), '0', 'ours is put back');
  t.deepEqual(report.kept, [`kept sysctl ${FWD} = 2: it was changed after docker-ipv6 set 1; the rollback would have set 0`]);
  t.deepEqual(report.restored, ['restored net.ipv6.conf.default.forwarding = 0']);
});

test('the journaled restart command is never run: this run\'s --restart-command is', async (t) => {
  const r = setup(t);
  const notes: string[] = [];
  await writeJournal(r.ctx.paths.journalFile, journalOf([
    { stepId: 'arm-restart', describe: 'on rollback: restart dockerd', state: 'applied', record: { kind: 'restart', command: ['sleep', '1000'], endpoint: { host: 'unix:///elsewhere.sock', source: 'x', local: true }, networks: 2 } },
  ]));
  const report = await recoverJournal(r.ctx.paths.journalFile, toolUndoRegistry(r.ctx, (s) => notes.push(s)));
  t.true(report.complete);
  t.deepEqual(r.fake.dockerd.restarts.map((c) => [c.command.join(' '), c.endpoint.host]), [['systemctl restart docker.service', 'unix:///var/run/docker.sock']]);
  t.true(notes.some((l) => /this run's restart command \(systemctl restart docker\.service\), not the interrupted run's \(sleep 1000\)/.test(l)), notes.join('\n'));
});

test('an in-process rollback keeps a file someone edited while the run went on', async (t) => {
  const r = setup(t);
  const p = r.ctx.paths.sysctlConf;
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, 'net.ipv6.conf.all.forwarding = 0\n');
  const ours = 'net.ipv6.conf.all.forwarding = 1\n';
  const e = await t.throwsAsync(runTransaction([
    { id: 'write', describe: `write ${p}`, prepare: () => captureFile(p, { writes: ours }), async apply() { writeFileSync(p, ours); } },
    { id: 'edit', describe: 'someone edits it, then a step fails', async apply() { writeFileSync(p, '# mine\n'); throw new Error('boom'); } },
  ], { journalPath: r.ctx.paths.journalFile, registry: toolUndoRegistry(r.ctx), interrupts: new InterruptGuard() }), { instanceOf: RolledBackError });
  t.is(readFileSync(p, 'utf8'), '# mine\n');
  t.is(readFileSync(`${p}${ROLLBACK_SUFFIX}`, 'utf8'), 'net.ipv6.conf.all.forwarding = 0\n');
  t.regex(e!.message, /kept as someone else left it[\s\S]*kept .*60-docker-ipv6\.conf as it is now/);
});

test('recover --abandon: undoes nothing, says what each change keeps, removes the journal', async (t) => {
  const r = setup(t);
  await killedEnable(r, 'restart-dockerd');
  const daemon = r.fake.daemon.text;
  const sysctls = r.fake.sysctl.snapshot();
  const fw = JSON.stringify(r.fake.fw.tables);
  await runRecover(r.ctx, { abandon: true });
  t.is(r.fake.daemon.text, daemon);
  t.deepEqual(r.fake.sysctl.snapshot(), sysctls);
  t.is(JSON.stringify(r.fake.fw.tables), fw);
  t.is(r.fake.dockerd.restarts.length, 0);
  t.false(existsSync(r.ctx.paths.journalFile));
  const out = r.out.text;
  t.regex(out, /abandoned the interrupted docker ipv6 enable \(pid \d+\) without undoing anything; left as it is:/);
  t.true(out.includes(`${r.fake.daemon.path} keeps its current content`), out);
  t.regex(out, /sysctl net\.ipv6\.conf\.all\.forwarding keeps its value 1 \(it was 0 before the interrupted run\)/);
  t.regex(out, /dockerd is not restarted/);
  t.regex(out, /docker-ipv6's chain in the filter table stays \(ip6tables, or nftables table ip6 docker-ipv6\)/);
  t.regex(out, /removed .*journal\.json/);
});

test('recover --dry-run shows what it would undo and changes nothing; recover then rolls back', async (t) => {
  const r = setup(t);
  const original = r.fake.daemon.text;
  await killedEnable(r, 'restart-dockerd');
  const before = readFileSync(r.ctx.paths.journalFile, 'utf8');
  const dry = fakeRunLike(r, { dryRun: true });
  await runRecover(dry);
  t.regex(r.out.text, /recover would undo, last first:\n {2}- write .*daemon\.json/);
  t.regex(r.out.text, /dry run: nothing was changed/);
  t.is(readFileSync(r.ctx.paths.journalFile, 'utf8'), before);
  await runRecover(r.ctx);
  t.is(r.fake.daemon.text, original);
  t.false(existsSync(r.ctx.paths.journalFile));
  t.regex(r.out.text, /recovered the interrupted docker ipv6 enable/);
});

function fakeRunLike(r: FakeRun, over: { dryRun: boolean; json?: boolean }) {
  const ctx = Object.create(r.ctx) as typeof r.ctx;
  Object.defineProperty(ctx, 'globals', { value: { ...r.ctx.globals, ...over } });
  return ctx;
}

const hostile: Array<[string, (r: FakeRun) => UndoRecord, RegExp]> = [
  ['an unknown kind', () => ({ kind: 'exec', argv: ['sh', '-c', 'id'] }), /a record of unknown kind "exec"/],
  ['a file docker-ipv6 does not write', () => ({ kind: 'file', path: '/etc/shadow', absent: false, previousText: 'root::0:0:::::\n' }), /a file record for \/etc\/shadow, a file docker-ipv6 does not write/],
  ['a sysctl key outside our plan', () => ({ kind: 'sysctl', key: 'kernel.core_pattern', previous: '1' }), /a sysctl record for kernel\.core_pattern, a key docker-ipv6 never sets/],
  ['a restart command in a file record', (r) => ({ kind: 'file', path: r.ctx.globals.configFile, absent: true, command: ['sh', '-c', 'id'] }), /a file record with field\(s\) command that docker-ipv6 never writes there/],
  ['a restart record waiting for a billion networks', () => ({ kind: 'restart', networks: 1e9 }), /a restart record for 1000000000 networks/],
  ['a setuid mode', (r) => ({ kind: 'file', path: r.ctx.globals.configFile, absent: false, previousText: '{}', mode: 0o4755 }), /has mode/],
  ['a backup outside the state folder', (r) => ({ kind: 'file', path: r.ctx.globals.configFile, absent: false, previousText: '{}', backup: '/root/.ssh/x' }), /names a backup outside/],
];

for (const [name, record, why] of hostile) {
  test(`a journal holding ${name} is refused (exit 5) and nothing changes`, async (t) => {
    const r = setup(t);
    const daemon = r.fake.daemon.text;
    const sysctls = r.fake.sysctl.snapshot();
    // a sound entry first: the refusal must come before any undo, not when the bad record is reached
    const good = await captureSysctl(r.fake.sysctl, FWD, '1');
    await r.fake.sysctl.write(FWD, '1');
    await writeJournal(r.ctx.paths.journalFile, journalOf([
      { stepId: 'bad', describe: 'bad', state: 'applied', record: record(r) },
      { stepId: 'good', describe: 'good', state: 'applied', record: good },
    ]));
    const before = readFileSync(r.ctx.paths.journalFile, 'utf8');
    for (const run of [() => runRecover(r.ctx), () => runEnable(r.ctx, {})]) {
      const e = await t.throwsAsync(run(), { instanceOf: ConfigError });
      t.is(e!.exitCode, 5);
      t.true(e!.message.includes(r.ctx.paths.journalFile), 'names the journal');
      t.regex(e!.message, why);
      t.regex(e!.message, /nothing was undone or changed/);
      t.regex((e as ConfigError).hint ?? '', /docker ipv6 recover --abandon/);
    }
    t.is(readFileSync(r.ctx.paths.journalFile, 'utf8'), before, 'the journal is untouched');
    t.is(r.fake.daemon.text, daemon);
    t.deepEqual(r.fake.sysctl.snapshot(), { ...sysctls, [FWD]: '1' }, 'not even the sound entry was undone');
    t.is(r.fake.dockerd.restarts.length, 0);
    t.false(existsSync('/etc/shadow.docker-ipv6-rollback'));
  });
}

test('--abandon drops a hostile journal too, acting on none of it', async (t) => {
  const r = setup(t);
  await writeJournal(r.ctx.paths.journalFile, journalOf([
    { stepId: 'bad', describe: 'write /etc/shadow', state: 'applied', record: { kind: 'file', path: '/etc/shadow', absent: false, previousText: 'x' } },
  ]));
  await runRecover(r.ctx, { abandon: true });
  t.false(existsSync(r.ctx.paths.journalFile));
  t.regex(r.out.text, /write \/etc\/shadow: stays as it is \(its record is not one docker-ipv6 writes\)/);
});

test('recover --json: what was restored and kept; --abandon --json: what was left; no journal: found false', async (t) => {
  const r = setup(t);
  const json = fakeRunLike(r, { dryRun: false, json: true });
  await runRecover(json);
  t.like(JSON.parse(r.out.text), { found: false });
  r.out.text = '';
  await killedEnable(r, 'restart-dockerd');
  r.fake.daemon.editBehindOurBack('{ "ipv6": false }\n');
  await runRecover(json);
  const rec = JSON.parse(r.out.text);
  t.like(rec, { found: true, command: 'enable', complete: true });
  t.is(rec.kept.length, 1);
  t.regex(rec.kept[0], /^kept .*daemon\.json as it is now/);
  t.true(rec.restored.length > 0);
  r.out.text = '';
  await writeJournal(r.ctx.paths.journalFile, journalOf([{ stepId: 'a', describe: 'd', state: 'applied', record: { kind: 'ip6tables', table: 'filter' } }]));
  await runRecover(json, { abandon: true });
  t.like(JSON.parse(r.out.text), { found: true, removed: true, left: ["docker-ipv6's chain in the filter table stays (ip6tables, or nftables table ip6 docker-ipv6)"] });
  t.false(existsSync(r.ctx.paths.journalFile));
});
