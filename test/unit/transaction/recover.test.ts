// Journal recovery across real processes: SIGKILL mid-transaction and mid-rollback, Ctrl-C exits 130.
import test from 'ava';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PreconditionError } from '../../../src/errors';
import { recoverJournal } from '../../../src/transaction/recover';
import { readJournal, writeJournal } from '../../../src/transaction/journal';
import { runTransaction } from '../../../src/transaction/transaction';
import { fileLogRegistry, withTmp, writeFileStep } from './fakes';
import { child, until } from './spawn-child';

const undoLog = (dir: string) => (existsSync(join(dir, 'undo.log')) ? readFileSync(join(dir, 'undo.log'), 'utf8').trim().split('\n') : []);

async function killedMidStep(dir: string): Promise<void> {
  writeFileSync(join(dir, 'a.conf'), 'A0\n', { mode: 0o640 });
  const c = child(['run', dir]);
  await until('the child to reach its hanging step', () => existsSync(join(dir, 'step-hanging')), c);
  c.proc.kill('SIGKILL');
  t0(await c.exited);
}
function t0(r: { signal: NodeJS.Signals | null }): void {
  if (r.signal !== 'SIGKILL') throw new Error(`child ended with ${JSON.stringify(r)}, not SIGKILL`);
}

test('kill -9 mid-transaction: the next run undoes each journaled change exactly once', async (t) => {
  await withTmp(async (dir) => {
    await killedMidStep(dir);
    t.is(readFileSync(join(dir, 'a.conf'), 'utf8'), 'A1\n', 'the killed run had changed a.conf');
    t.true(existsSync(join(dir, 'b.conf')));
    const j = await readJournal(join(dir, 'journal.json'));
    t.is(j?.status, 'running');
    t.deepEqual(j?.entries.map((e) => e.state), ['applied', 'applied', 'applying']);

    const notes: string[] = [];
    const report = await recoverJournal(join(dir, 'journal.json'), fileLogRegistry(dir), (l) => notes.push(l));
    t.true(report.complete);
    t.is(report.command, 'enable');
    t.is(report.restored.length, 2);
    t.regex(report.restored[0], /^removed .*b\.conf \(it did not exist before\)$/);
    t.regex(report.restored[1], /^restored .*a\.conf$/);
    t.regex(notes[0], /an earlier docker ipv6 enable \(pid \d+, started .*\) did not finish; rolling back/);
    t.is(readFileSync(join(dir, 'a.conf'), 'utf8'), 'A0\n');
    t.is(statSync(join(dir, 'a.conf')).mode & 0o777, 0o640, 'mode restored');
    t.false(existsSync(join(dir, 'b.conf')));
    t.false(existsSync(join(dir, 'journal.json')));

    const again = await recoverJournal(join(dir, 'journal.json'), fileLogRegistry(dir));
    t.false(again.found);
    t.deepEqual(undoLog(dir), ['undo b.conf', 'undo a.conf'], 'each undo ran exactly once');
  });
});

test('a recovery that is itself killed is finished by the next one without repeating finished undos', async (t) => {
  await withTmp(async (dir) => {
    await killedMidStep(dir);
    const r = child(['recover', dir, 'a.conf']);
    await until('the recovery to hang in the undo of a.conf', () => existsSync(join(dir, 'undo-hanging')), r);
    r.proc.kill('SIGKILL');
    t0(await r.exited);
    const j = await readJournal(join(dir, 'journal.json'));
    t.is(j?.status, 'rolling-back');
    t.deepEqual(j?.entries.map((e) => e.state), ['applied', 'undone', 'applying']);

    const report = await recoverJournal(join(dir, 'journal.json'), fileLogRegistry(dir));
    t.true(report.complete);
    t.is(report.restored.length, 1);
    t.deepEqual(undoLog(dir), ['undo b.conf', 'undo a.conf', 'undo a.conf'], 'b once; only the in-flight undo of a repeats');
    t.is(readFileSync(join(dir, 'a.conf'), 'utf8'), 'A0\n');
    t.false(existsSync(join(dir, 'b.conf')));
    t.false(existsSync(join(dir, 'journal.json')));
  });
});

test('recovery that cannot undo something keeps the journal and says what to do', async (t) => {
  await withTmp(async (dir) => {
    await writeJournal(join(dir, 'journal.json'), {
      version: 1, command: 'disable', pid: 1234567, startedAt: 'x', status: 'running',
      entries: [{ stepId: 's', describe: 'write /nonexistent-dir/x', state: 'applied', record: { kind: 'file', path: join(dir, 'no/such/dir/x'), absent: false, previousText: 'x' } }],
    });
    const report = await recoverJournal(join(dir, 'journal.json'), fileLogRegistry(dir));
    t.false(report.complete);
    t.is(report.failed.length, 1);
    t.regex(report.failed[0].error, /ENOENT/);
    t.is((await readJournal(join(dir, 'journal.json')))?.entries[0].state, 'undo-failed');
  });
});

test('recovery refuses to undo the journal of a process that is still running', async (t) => {
  await withTmp(async (dir) => {
    writeFileSync(join(dir, 'a.conf'), 'A0\n');
    const c = child(['sigint', dir]);
    try {
      await until('the child to reach its slow step', () => existsSync(join(dir, 'step-hanging')), c);
      await t.throwsAsync(recoverJournal(join(dir, 'journal.json'), fileLogRegistry(dir)), { instanceOf: PreconditionError, message: new RegExp(`pid ${c.proc.pid}\\) is still running`) });
      t.is(readFileSync(join(dir, 'a.conf'), 'utf8'), 'A1\n', 'nothing undone under a live transaction');
      t.deepEqual(undoLog(dir), []);
    } finally {
      c.proc.kill('SIGKILL');
      await c.exited;
    }
  });
});

test('a finished journal left behind is only removed', async (t) => {
  await withTmp(async (dir) => {
    await writeJournal(join(dir, 'journal.json'), { version: 1, command: 'enable', pid: 1, startedAt: 'x', status: 'done', entries: [{ stepId: 's', describe: 'd', state: 'applied', record: { kind: 'file', path: join(dir, 'keep'), absent: true } }] });
    writeFileSync(join(dir, 'keep'), 'new');
    const report = await recoverJournal(join(dir, 'journal.json'), fileLogRegistry(dir));
    t.true(report.found && report.complete);
    t.true(existsSync(join(dir, 'keep')), 'a done transaction is not undone');
    t.false(existsSync(join(dir, 'journal.json')));
  });
});

test('Ctrl-C (a real SIGINT) rolls back, ignores a second SIGINT during the rollback, exits 130', async (t) => {
  await withTmp(async (dir) => {
    writeFileSync(join(dir, 'a.conf'), 'A0\n');
    const c = child(['sigint', dir]);
    await until('the child to reach its slow step', () => existsSync(join(dir, 'step-hanging')), c);
    c.proc.kill('SIGINT');
    await until('the rollback to start', () => existsSync(join(dir, 'undo-hanging')), c);
    c.proc.kill('SIGINT');
    await until('the second SIGINT to be noted', () => /SIGINT ignored: the rollback is running/.test(c.stderr()), c);
    writeFileSync(join(dir, 'continue'), '');
    const end = await c.exited;
    t.is(end.code, 130, c.stderr());
    t.regex(c.stderr(), /error: interrupted by SIGINT\n {2}rolled back:\n {4}- removed .*b\.conf.*\n {4}- restored .*a\.conf/);
    t.is(readFileSync(join(dir, 'a.conf'), 'utf8'), 'A0\n');
    t.false(existsSync(join(dir, 'b.conf')));
    t.false(existsSync(join(dir, 'journal.json')));
  });
});

test('in-process: a file step that fails after its write is restored from the prepared record', async (t) => {
  await withTmp(async (dir) => {
    const p = join(dir, 'daemon.json');
    writeFileSync(p, '{"debug": true}\n');
    const step = writeFileStep(p, '{"ipv6": true}\n');
    step.verify = async () => { throw new Error('dockerd --validate: bad'); };
    await t.throwsAsync(runTransaction([step], { journalPath: join(dir, 'journal.json'), registry: fileLogRegistry(dir) }), { message: /the check after write .* failed: dockerd --validate: bad/ });
    t.is(readFileSync(p, 'utf8'), '{"debug": true}\n');
  });
});
